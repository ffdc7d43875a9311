package proxy

import (
	"maps"
	"net/netip"
	"slices"
)

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func slicesSortAddrs(a []netip.Addr) {
	slices.SortFunc(a, func(x, y netip.Addr) int { return x.Compare(y) })
}

var loopback = netip.MustParseAddr("127.0.0.1")
