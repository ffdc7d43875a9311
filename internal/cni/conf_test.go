package cni

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

const (
	confA = `{"cniVersion":"1.0.0","name":"net-a","plugins":[{"type":"bridge"},{"type":"portmap","capabilities":{"portMappings":true}}]}`
	confB = `{"cniVersion":"1.0.0","name":"net-b","plugins":[{"type":"loopback"}]}`
	// A single-plugin .conf, to be wrapped into a list.
	confSingle = `{"cniVersion":"0.4.0","name":"single","type":"ptp","ipam":{"type":"host-local","subnet":"10.1.0.0/24"}}`
)

// defaultPlugins are the binaries the default network needs.
var defaultPlugins = []string{"bridge", "host-local", "portmap", "firewall"}

func TestLoadConfDir(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		wantName  string // "" means no config (default network)
		wantFile  string
		wantTypes []string
		wantSkip  int
	}{
		{name: "empty", files: nil},
		{name: "lexical first wins", files: map[string]string{"20-b.conflist": confB, "10-a.conflist": confA},
			wantName: "net-a", wantFile: "10-a.conflist", wantTypes: []string{"bridge", "portmap"}},
		{name: "conf wrapped", files: map[string]string{"05-single.conf": confSingle, "10-a.conflist": confA},
			wantName: "single", wantFile: "05-single.conf", wantTypes: []string{"ptp"}},
		{name: "json accepted", files: map[string]string{"01-x.json": confSingle},
			wantName: "single", wantFile: "01-x.json", wantTypes: []string{"ptp"}},
		{name: "invalid skipped", files: map[string]string{"00-bad.conflist": "{", "10-a.conflist": confA},
			wantName: "net-a", wantFile: "10-a.conflist", wantTypes: []string{"bridge", "portmap"}, wantSkip: 1},
		{name: "other extensions ignored", files: map[string]string{"00-a.txt": confB, "10-a.conflist": confA},
			wantName: "net-a", wantFile: "10-a.conflist", wantTypes: []string{"bridge", "portmap"}},
		{name: "only invalid", files: map[string]string{"00-bad.conf": `{"name":"x"}`}, wantSkip: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for f, c := range tc.files {
				writeFile(t, filepath.Join(dir, f), c)
			}
			nc, err := loadConfDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(nc.skipped) != tc.wantSkip {
				t.Errorf("skipped %v, want %d", nc.skipped, tc.wantSkip)
			}
			if tc.wantName == "" {
				if nc.list != nil {
					t.Fatalf("got network %q, want none", nc.list.Name)
				}
				return
			}
			if nc.list == nil || nc.list.Name != tc.wantName || filepath.Base(nc.file) != tc.wantFile {
				t.Fatalf("got %+v, want %s from %s", nc, tc.wantName, tc.wantFile)
			}
			var types []string
			for _, p := range nc.list.Plugins {
				types = append(types, p.Network.Type)
			}
			if !reflect.DeepEqual(types, tc.wantTypes) {
				t.Errorf("plugins %v, want %v", types, tc.wantTypes)
			}
		})
	}
}

// fakeBin makes a bin dir holding empty executables named types.
func fakeBin(t *testing.T, types ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range types {
		writeFile(t, filepath.Join(dir, p), "#!/bin/sh\n")
		if err := os.Chmod(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name    string
		conf    string // file content for 10-net.conflist; "" for none
		plugins []string
		wantErr string // substring of the message; "" for ready
	}{
		{name: "default, plugins present", plugins: defaultPlugins},
		{name: "default, no plugins", wantErr: "bridge, host-local, portmap, firewall"},
		{name: "default, portmap missing", plugins: []string{"bridge", "host-local", "firewall"}, wantErr: "portmap not found"},
		{name: "config, plugins present", conf: confA, plugins: []string{"bridge", "portmap"}},
		{name: "config, plugin missing", conf: confA, plugins: []string{"bridge"}, wantErr: `network "net-a"`},
		{name: "only an invalid config", conf: "{", plugins: defaultPlugins, wantErr: "no valid network config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			confDir := t.TempDir()
			if tc.conf != "" {
				writeFile(t, filepath.Join(confDir, "10-net.conflist"), tc.conf)
			}
			n, err := New(Config{ConfDir: confDir, BinDirs: []string{fakeBin(t, tc.plugins...)}, CacheDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			err = n.Status()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Status: %v", err)
				}
				return
			}
			var nre *NotReadyError
			if !errors.As(err, &nre) || nre.Reason != ReasonNotReady || !errors.Is(err, errdefs.ErrFailedPrecondition) {
				t.Fatalf("Status: %#v, want a NotReadyError", err)
			}
			if !strings.Contains(nre.Message, tc.wantErr) {
				t.Errorf("message %q does not contain %q", nre.Message, tc.wantErr)
			}
			if _, err := n.Setup(context.Background(), Pod{ID: "p", NetNS: "/x"}); !errors.Is(err, errdefs.ErrFailedPrecondition) {
				t.Errorf("Setup on a network not ready: %v, want ErrFailedPrecondition", err)
			}
		})
	}
}

// TestConfigChangePickedUp: edits to the conf dir apply on the next call.
func TestConfigChangePickedUp(t *testing.T) {
	confDir := t.TempDir()
	n, err := New(Config{ConfDir: confDir, BinDirs: []string{fakeBin(t, append(defaultPlugins, "loopback")...)}, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		edit     func()
		wantName string
	}{
		{"default", func() {}, DefaultNetworkName},
		{"file added", func() { writeFile(t, filepath.Join(confDir, "20-b.conflist"), confB) }, "net-b"},
		{"earlier file added", func() { writeFile(t, filepath.Join(confDir, "10-a.conflist"), confA) }, "net-a"},
		{"file rewritten", func() {
			writeFile(t, filepath.Join(confDir, "10-a.conflist"), strings.Replace(confA, "net-a", "net-a2", 1))
		}, "net-a2"},
		{"file removed", func() { os.Remove(filepath.Join(confDir, "10-a.conflist")) }, "net-b"},
		{"all removed", func() { os.Remove(filepath.Join(confDir, "20-b.conflist")) }, DefaultNetworkName},
	}
	for _, s := range steps {
		s.edit()
		nc, err := n.current(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if nc.list.Name != s.wantName {
			t.Fatalf("%s: network %q, want %q", s.name, nc.list.Name, s.wantName)
		}
	}
}

func TestDefaultConfList(t *testing.T) {
	cfg, err := Config{CacheDir: "/c", IPAMDataDir: "/d"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	list, err := defaultConfList(cfg, []string{"10.88.0.0/16", "fd00:88::/64"})
	if err != nil {
		t.Fatal(err)
	}
	b := string(list.Bytes)
	for _, want := range []string{
		`"name":"skiff"`, `"bridge":"skiff0"`, `"isGateway":true`, `"forceAddress":true`, `"ipMasq":true`, `"hairpinMode":true`,
		`"type":"host-local"`, `"dataDir":"/d"`, `[[{"subnet":"10.88.0.0/16"}],[{"subnet":"fd00:88::/64"}]]`,
		`{"dst":"0.0.0.0/0"}`, `{"dst":"::/0"}`, `"capabilities":{"portMappings":true}`, `"snat":true`, `"type":"firewall"`,
	} {
		if !strings.Contains(b, want) {
			t.Errorf("default conflist lacks %s:\n%s", want, b)
		}
	}
}

func TestSetPodCIDR(t *testing.T) {
	n, err := New(Config{ConfDir: t.TempDir(), BinDirs: []string{fakeBin(t)}, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.SetPodCIDR("10.244.1.7/24, fd00::/64"); err != nil {
		t.Fatal(err)
	}
	nc, _ := n.current(context.Background())
	if !strings.Contains(string(nc.list.Bytes), `[[{"subnet":"10.244.1.0/24"}],[{"subnet":"fd00::/64"}]]`) {
		t.Errorf("default network ignores the pod CIDR: %s", nc.list.Bytes)
	}
	rt := runtimeConf(Pod{ID: "p"}, "", n.podCIDR())
	if got := rt.CapabilityArgs["ipRanges"]; !reflect.DeepEqual(got, [][]map[string]string{{{"subnet": "10.244.1.0/24"}}, {{"subnet": "fd00::/64"}}}) {
		t.Errorf("ipRanges %v", got)
	}
	if err := n.SetPodCIDR("nonsense"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("SetPodCIDR(nonsense): %v", err)
	}
	if err := n.SetPodCIDR(""); err != nil || n.podCIDR() != nil {
		t.Errorf("clearing: %v %v", err, n.podCIDR())
	}
}

func TestRuntimeConf(t *testing.T) {
	p := Pod{
		ID: "abc", Name: "web", Namespace: "prod", UID: "u-1",
		PortMappings: []*runtime.PortMapping{
			{Protocol: runtime.Protocol_UDP, ContainerPort: 53, HostPort: 5353, HostIp: "127.0.0.1"},
			{Protocol: runtime.Protocol_SCTP, ContainerPort: 9, HostPort: 9},
			{ContainerPort: 80}, // no host port: not mapped
		},
		Annotations: map[string]string{"a": "b"},
	}
	rt := runtimeConf(p, "/run/netns/x", nil)
	wantArgs := [][2]string{
		{"IgnoreUnknown", "1"}, {"K8S_POD_NAMESPACE", "prod"}, {"K8S_POD_NAME", "web"},
		{"K8S_POD_INFRA_CONTAINER_ID", "abc"}, {"K8S_POD_UID", "u-1"},
	}
	if !reflect.DeepEqual(rt.Args, wantArgs) {
		t.Errorf("args %v, want %v", rt.Args, wantArgs)
	}
	wantPM := []portMapping{
		{HostPort: 5353, ContainerPort: 53, Protocol: "udp", HostIP: "127.0.0.1"},
		{HostPort: 9, ContainerPort: 9, Protocol: "sctp"},
	}
	if !reflect.DeepEqual(rt.CapabilityArgs["portMappings"], wantPM) {
		t.Errorf("portMappings %v, want %v", rt.CapabilityArgs["portMappings"], wantPM)
	}
	if _, ok := rt.CapabilityArgs["ipRanges"]; ok {
		t.Error("ipRanges without a pod CIDR")
	}
	if rt.ContainerID != "abc" || rt.NetNS != "/run/netns/x" || rt.IfName != IfName {
		t.Errorf("runtime conf %+v", rt)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no cache dir", Config{}},
		{"bad subnet", Config{CacheDir: "/c", DefaultSubnet: "10.0.0.0/33"}},
		{"relative conf dir", Config{CacheDir: "/c", ConfDir: "net.d"}},
		{"long bridge name", Config{CacheDir: "/c", DefaultBridge: "a-very-long-bridge"}},
		{"bridge name with a colon", Config{CacheDir: "/c", DefaultBridge: "br:0"}},
		{"two IPv4 subnets", Config{CacheDir: "/c", DefaultSubnet: "10.1.0.0/16,10.2.0.0/16"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("New: %v, want ErrInvalidArgument", err)
			}
		})
	}
}

func TestCheckBridgeName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"skiff0", true},
		{"skiffe2e0", true},
		{"br-0.1_x", true},
		{"fifteen-chars-x", true},
		{"sixteen-chars-xx", false},
		{"", false},
		{".", false},
		{"..", false},
		{"br/0", false},
		{"br:0", false},
		{"br 0", false},
		{"br\t0", false},
	}
	for _, tc := range tests {
		if err := CheckBridgeName(tc.name); (err == nil) != tc.ok {
			t.Errorf("CheckBridgeName(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

func TestCheckSubnet(t *testing.T) {
	tests := []struct {
		subnet string
		ok     bool
	}{
		{"10.88.0.0/16", true},
		{"10.232.0.0/16", true},
		{"10.232.0.1/16", true}, // host bits are masked off
		{"10.232.0.0/30", true},
		{"10.232.0.0/16, fd00:232::/64", true},
		{"fd00:232::/126", true},
		{"10.232.0.0/31", false},
		{"fd00:232::/127", false},
		{"10.232.0.0/33", false},
		{"10.232.0.0", false},
		{"skiff0", false},
		{"", false},
		{",", false},
		{"10.1.0.0/16,10.2.0.0/16", false},
		{"fd00:1::/64,fd00:2::/64", false},
	}
	for _, tc := range tests {
		if err := CheckSubnet(tc.subnet); (err == nil) != tc.ok {
			t.Errorf("CheckSubnet(%q) = %v, want ok %v", tc.subnet, err, tc.ok)
		}
	}
}

func TestEnsureForwarding(t *testing.T) {
	tests := []struct {
		name     string
		bridgeNF bool // br_netfilter present
	}{{"with br_netfilter", true}, {"without br_netfilter", false}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			old := procSys
			procSys = root
			defer func() { procSys = old }()
			files := []string{"net/ipv4/ip_forward"}
			if tc.bridgeNF {
				files = append(files, "net/bridge/bridge-nf-call-iptables", "net/bridge/bridge-nf-call-ip6tables")
			}
			for _, f := range files {
				os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755)
				writeFile(t, filepath.Join(root, f), "0\n")
			}
			if err := EnsureForwarding(); err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if b, _ := os.ReadFile(filepath.Join(root, f)); strings.TrimSpace(string(b)) != "1" {
					t.Errorf("%s = %q, want 1", f, b)
				}
			}
		})
	}
}
