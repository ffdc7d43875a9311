package nodeipam

import (
	"errors"
	"fmt"
	"math/big"
	"net/netip"
)

// maxSubnetBits bounds the node CIDRs of one cluster CIDR to 2^16, as
// upstream's allocator does.
const maxSubnetBits = 16

// ErrFull is returned by Allocate when every node CIDR is in use.
var ErrFull = errors.New("no node CIDR left in the cluster CIDR")

// CIDRSet is the bitmap of the node CIDRs of one cluster CIDR. It is not
// safe for concurrent use.
type CIDRSet struct {
	cluster  netip.Prefix
	nodeBits int      // prefix length of a node CIDR
	used     []uint64 // bit i: node CIDR i is in use
	count    int      // node CIDRs in all
	inUse    int
	next     int // where the next search starts: freed CIDRs are reused last
}

// NewCIDRSet cuts cluster into node CIDRs of prefix length nodeBits.
func NewCIDRSet(cluster netip.Prefix, nodeBits int) (*CIDRSet, error) {
	if !cluster.IsValid() {
		return nil, errors.New("invalid cluster CIDR")
	}
	cluster = cluster.Masked()
	switch diff := nodeBits - cluster.Bits(); {
	case nodeBits > cluster.Addr().BitLen():
		return nil, fmt.Errorf("node CIDR mask /%d is longer than an %d-bit address", nodeBits, cluster.Addr().BitLen())
	case diff < 0:
		return nil, fmt.Errorf("node CIDR mask /%d is shorter than the cluster CIDR %s", nodeBits, cluster)
	case diff > maxSubnetBits:
		return nil, fmt.Errorf("cluster CIDR %s cut in /%d gives more than 2^%d node CIDRs; use a longer cluster mask or a shorter node mask",
			cluster, nodeBits, maxSubnetBits)
	}
	count := 1 << (nodeBits - cluster.Bits())
	return &CIDRSet{cluster: cluster, nodeBits: nodeBits, used: make([]uint64, (count+63)/64), count: count}, nil
}

// Cluster is the cluster CIDR the set cuts.
func (s *CIDRSet) Cluster() netip.Prefix { return s.cluster }

// Free is the number of node CIDRs not in use.
func (s *CIDRSet) Free() int { return s.count - s.inUse }

// Allocate marks the next free node CIDR in use and returns it.
func (s *CIDRSet) Allocate() (netip.Prefix, error) {
	for i := range s.count {
		idx := (s.next + i) % s.count
		if !s.isSet(idx) {
			s.set(idx)
			s.next = (idx + 1) % s.count
			return s.prefix(idx), nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("%w %s", ErrFull, s.cluster)
}

// Occupy marks p in use: the node CIDRs it covers, or the one that
// holds it. It reports whether p was entirely free before; an error
// means p is not in the cluster CIDR.
func (s *CIDRSet) Occupy(p netip.Prefix) (bool, error) {
	first, last, err := s.span(p)
	if err != nil {
		return false, err
	}
	free := true
	for i := first; i <= last; i++ {
		if s.isSet(i) {
			free = false
			continue
		}
		s.set(i)
	}
	return free, nil
}

// Release marks the node CIDRs p covers (or the one that holds it) free.
func (s *CIDRSet) Release(p netip.Prefix) error {
	first, last, err := s.span(p)
	if err != nil {
		return err
	}
	for i := first; i <= last; i++ {
		if s.isSet(i) {
			s.used[i/64] &^= 1 << (i % 64)
			s.inUse--
		}
	}
	return nil
}

// Contains reports whether p lies in the cluster CIDR.
func (s *CIDRSet) Contains(p netip.Prefix) bool {
	return p.IsValid() && p.Addr().BitLen() == s.cluster.Addr().BitLen() &&
		p.Bits() >= s.cluster.Bits() && s.cluster.Contains(p.Addr())
}

// span is the range of node CIDR indexes p covers.
func (s *CIDRSet) span(p netip.Prefix) (first, last int, err error) {
	if !s.Contains(p) {
		return 0, 0, fmt.Errorf("%s is not in the cluster CIDR %s", p, s.cluster)
	}
	p = p.Masked()
	first = s.index(p.Addr())
	if p.Bits() >= s.nodeBits {
		return first, first, nil
	}
	return first, first + 1<<(s.nodeBits-p.Bits()) - 1, nil
}

// index is the number of the node CIDR holding a.
func (s *CIDRSet) index(a netip.Addr) int {
	off := new(big.Int).Sub(addrInt(a), addrInt(s.cluster.Addr()))
	off.Rsh(off, uint(a.BitLen()-s.nodeBits))
	return int(off.Int64())
}

// prefix is node CIDR number idx.
func (s *CIDRSet) prefix(idx int) netip.Prefix {
	n := new(big.Int).Lsh(big.NewInt(int64(idx)), uint(s.cluster.Addr().BitLen()-s.nodeBits))
	n.Add(n, addrInt(s.cluster.Addr()))
	b := n.FillBytes(make([]byte, s.cluster.Addr().BitLen()/8))
	a, _ := netip.AddrFromSlice(b)
	return netip.PrefixFrom(a, s.nodeBits)
}

func (s *CIDRSet) isSet(i int) bool { return s.used[i/64]&(1<<(i%64)) != 0 }

func (s *CIDRSet) set(i int) {
	s.used[i/64] |= 1 << (i % 64)
	s.inUse++
}

func addrInt(a netip.Addr) *big.Int { return new(big.Int).SetBytes(a.AsSlice()) }
