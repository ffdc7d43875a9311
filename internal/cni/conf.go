package cni

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/containernetworking/cni/libcni"
)

// confExtensions are the file name endings read from ConfDir, as kubelet
// and cri-o read them.
var confExtensions = []string{".conflist", ".conf", ".json"}

// netConf is the network config in use and where it came from.
type netConf struct {
	list *libcni.NetworkConfigList
	// file is the config file, or "" for skiff's default network.
	file string
	// skipped describes files that came first but did not parse.
	skipped []error
}

// loadConfDir returns the first usable config of dir in lexical order, or
// a nil list if there is none.
func loadConfDir(dir string) (netConf, error) {
	files, err := libcni.ConfFiles(dir, confExtensions)
	if err != nil {
		return netConf{}, fmt.Errorf("read %s: %w", dir, err)
	}
	sort.Strings(files)
	var nc netConf
	for _, f := range files {
		list, err := loadConfFile(f)
		if err != nil {
			nc.skipped = append(nc.skipped, fmt.Errorf("%s: %w", f, err))
			continue
		}
		nc.list, nc.file = list, f
		return nc, nil
	}
	return nc, nil
}

// loadConfFile reads a .conflist, or a single plugin .conf / .json and
// wraps it into a list.
func loadConfFile(path string) (*libcni.NetworkConfigList, error) {
	if filepath.Ext(path) == ".conflist" {
		return libcni.NetworkConfFromFile(path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	conf, err := libcni.NetworkPluginConfFromBytes(b)
	if err != nil {
		return nil, err
	}
	if conf.Network.Name == "" {
		return nil, errors.New("no network name")
	}
	return libcni.ConfListFromConf(conf)
}

// defaultConfList builds skiff's default network on subnets (one range
// set per subnet, so a v4 and a v6 CIDR give a dual-stack pod).
func defaultConfList(cfg Config, subnets []string) (*libcni.NetworkConfigList, error) {
	var ranges [][]map[string]string
	var routes []map[string]string
	for _, s := range subnets {
		ranges = append(ranges, []map[string]string{{"subnet": s}})
		dst := "0.0.0.0/0"
		if isV6CIDR(s) {
			dst = "::/0"
		}
		routes = append(routes, map[string]string{"dst": dst})
	}
	ipam := map[string]any{"type": "host-local", "ranges": ranges, "routes": routes}
	if cfg.IPAMDataDir != "" {
		ipam["dataDir"] = cfg.IPAMDataDir
	}
	list := map[string]any{
		"cniVersion": "1.0.0",
		"name":       cfg.DefaultNetworkName,
		"plugins": []any{
			map[string]any{
				"type":        "bridge",
				"bridge":      cfg.DefaultBridge,
				"isGateway":   true,
				"ipMasq":      true,
				"hairpinMode": true,
				// The bridge is skiff's own and outlives skiffd: an
				// address left from another subnet (an earlier pod CIDR,
				// or the default before one was set) is replaced, or
				// every pod would fail until someone deleted it by hand.
				"forceAddress": true,
				"ipam":         ipam,
			},
			map[string]any{
				"type":         "portmap",
				"capabilities": map[string]bool{"portMappings": true},
				"snat":         true,
			},
			// Accepts the pods' traffic in FORWARD, for hosts whose
			// FORWARD policy is DROP (Docker sets it).
			map[string]any{"type": "firewall"},
		},
	}
	b, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	return libcni.NetworkConfFromBytes(b)
}

func isV6CIDR(s string) bool {
	for _, c := range s {
		if c == ':' {
			return true
		}
	}
	return false
}
