package oci

import (
	"testing"

	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// TestLibcontainerAccepts converts every golden spec, and those of the
// focused tests that build one, into a libcontainer config, as skiff-shim
// will: no container is run, but a spec runc would refuse fails here.
func TestLibcontainerAccepts(t *testing.T) {
	var all []*specs.Spec
	for _, tc := range goldenCases() {
		s, err := tc.build(t)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		all = append(all, s)
	}
	all = append(all, focusedSpecs(t)...)
	for i, s := range all {
		_, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{
			CgroupName:       "skiff-test",
			UseSystemdCgroup: s.Linux != nil && isSystemdPath(s.Linux.CgroupsPath),
			Spec:             s,
		})
		if err != nil {
			t.Errorf("spec %d (%v): libcontainer refuses it: %v", i, s.Process.Args, err)
		}
	}
}

// isSystemdPath tells a slice:prefix:name path from a cgroupfs one.
func isSystemdPath(p string) bool { return len(p) > 0 && p[0] != '/' }

// focusedSpecs are specs of variants the golden files do not show: every
// seccomp choice that succeeds, and the capability extremes.
func focusedSpecs(t *testing.T) []*specs.Spec {
	dir := seccompDir(t)
	var out []*specs.Spec
	build := func(edit func(in *ContainerInput)) {
		in := minimalInput(t)
		in.SeccompProfileRoot = dir
		in.Sandbox.Config.Linux.SecurityContext.Privileged = true
		edit(&in)
		s, err := ContainerSpec(in)
		if err != nil {
			t.Fatalf("focused spec: %v", err)
		}
		out = append(out, s)
	}
	for _, v := range seccompVariants(dir) {
		if v.err == nil {
			build(func(in *ContainerInput) { in.Config.Linux = &runtime.LinuxContainerConfig{SecurityContext: v.sc} })
		}
	}
	for _, c := range []*runtime.Capability{
		{AddCapabilities: []string{"ALL"}},
		{DropCapabilities: []string{"ALL"}},
		{AddCapabilities: []string{"SYS_ADMIN"}, AddAmbientCapabilities: []string{"SYS_ADMIN"}},
	} {
		build(func(in *ContainerInput) { secCtx(in).Capabilities = c })
	}
	return out
}
