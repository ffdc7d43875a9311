package oci

import (
	"slices"
	"strings"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func TestCapabilitySet(t *testing.T) {
	without := func(drop ...string) []string {
		return slices.DeleteFunc(slices.Clone(allCapabilities), func(c string) bool { return slices.Contains(drop, c) })
	}
	defaults := ordered(toSet(defaultCapabilities))
	tests := []struct {
		name       string
		add, drop  []string
		privileged bool
		want       []string
	}{
		{"default", nil, nil, false, defaults},
		{"add one", []string{"NET_ADMIN"}, nil, false, ordered(toSet(append(slices.Clone(defaultCapabilities), "CAP_NET_ADMIN")))},
		{"drop one, any spelling", nil, []string{"cap_chown", "Kill"}, false, ordered(toSet(slices.DeleteFunc(slices.Clone(defaultCapabilities), func(c string) bool { return c == "CAP_CHOWN" || c == "CAP_KILL" })))},
		{"add ALL", []string{"ALL"}, nil, false, allCapabilities},
		{"add ALL drop one", []string{"all"}, []string{"SYS_ADMIN"}, false, without("CAP_SYS_ADMIN")},
		{"drop ALL", nil, []string{"ALL"}, false, []string{}},
		{"drop ALL add one", []string{"NET_BIND_SERVICE"}, []string{"ALL"}, false, []string{"CAP_NET_BIND_SERVICE"}},
		{"add ALL drop ALL", []string{"ALL"}, []string{"ALL"}, false, []string{}},
		{"add and drop the same", []string{"SYS_TIME"}, []string{"SYS_TIME"}, false, defaults},
		{"privileged ignores drops", nil, []string{"ALL"}, true, allCapabilities},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := capabilitySet(&runtime.Capability{AddCapabilities: tt.add, DropCapabilities: tt.drop}, tt.privileged, nil)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("capabilitySet = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestCapabilityErrors(t *testing.T) {
	tests := []struct {
		name string
		caps *runtime.Capability
		msg  string
	}{
		{"unknown add", &runtime.Capability{AddCapabilities: []string{"FOO"}},
			`container config: linux.security_context.capabilities.add_capabilities: unknown capability "CAP_FOO": invalid argument`},
		{"unknown drop", &runtime.Capability{DropCapabilities: []string{"CAP_BAR"}}, `drop_capabilities: unknown capability "CAP_BAR"`},
		{"unknown ambient", &runtime.Capability{AddAmbientCapabilities: []string{"BAZ"}}, `add_ambient_capabilities: unknown capability "CAP_BAZ"`},
		{"ambient not held", &runtime.Capability{AddAmbientCapabilities: []string{"NET_ADMIN"}}, "CAP_NET_ADMIN is not in the container's capability set"},
		{"ambient ALL", &runtime.Capability{AddAmbientCapabilities: []string{"ALL"}}, `"ALL" cannot be ambient`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := capabilitySet(tt.caps, false, nil)
			if err == nil {
				_, err = processCapabilities(set, tt.caps)
			}
			if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want InvalidArgument containing %q", err, tt.msg)
			}
		})
	}
}

func TestAmbientCapabilities(t *testing.T) {
	c := &runtime.Capability{AddCapabilities: []string{"NET_ADMIN"}, AddAmbientCapabilities: []string{"net_admin", "NET_BIND_SERVICE"}}
	set, err := capabilitySet(c, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	caps, err := processCapabilities(set, c)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN"}
	if !slices.Equal(caps.Ambient, want) || !slices.Equal(caps.Inheritable, want) {
		t.Errorf("ambient %v, inheritable %v; want both %v", caps.Ambient, caps.Inheritable, want)
	}
	if !slices.Equal(caps.Bounding, caps.Effective) || !slices.Equal(caps.Bounding, caps.Permitted) {
		t.Errorf("bounding, effective and permitted differ: %+v", caps)
	}
}
