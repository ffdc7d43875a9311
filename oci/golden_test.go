package oci

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenCase builds one spec to compare with testdata/<name>.json.
type goldenCase struct {
	name  string
	build func(t *testing.T) (*specs.Spec, error)
}

func containerCase(name string, edit func(t *testing.T, in *ContainerInput)) goldenCase {
	return goldenCase{name, func(t *testing.T) (*specs.Spec, error) {
		in := minimalInput(t)
		edit(t, &in)
		return ContainerSpec(in)
	}}
}

func sandboxCase(name string, edit func(in *SandboxInput)) goldenCase {
	return goldenCase{name, func(*testing.T) (*specs.Spec, error) {
		in := sandboxInput()
		edit(&in)
		return SandboxSpec(in)
	}}
}

// goldenCases are the specs kept as golden files; the libcontainer test
// converts every one of them too.
func goldenCases() []goldenCase {
	return []goldenCase{
		containerCase("container-minimal", func(*testing.T, *ContainerInput) {}),
		containerCase("container-kitchen-sink", kitchenSink),
		containerCase("container-privileged", privileged),
		containerCase("container-host-namespaces", hostNamespaces),
		sandboxCase("sandbox", func(*SandboxInput) {}),
		sandboxCase("sandbox-host-namespaces", func(in *SandboxInput) {
			in.Config.Linux.SecurityContext.NamespaceOptions = &runtime.NamespaceOption{
				Network: runtime.NamespaceMode_NODE, Pid: runtime.NamespaceMode_NODE, Ipc: runtime.NamespaceMode_NODE,
			}
			in.Config.Linux.SecurityContext.RunAsUser = &runtime.Int64Value{Value: 1000}
			in.Config.Linux.SecurityContext.SupplementalGroups = []int64{3000}
			in.NetNSPath, in.ShmPath, in.HostsPath = "", "", ""
			in.CgroupManager, in.CgroupParent = SystemdManager, "kubepods-besteffort-pod0c5f8b4e.slice"
		}),
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.build(t)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			checkGolden(t, tc.name, portable(s))
		})
	}
	t.Run("seccomp-default", func(t *testing.T) {
		s := DefaultSeccompProfile()
		s.Architectures = nil
		checkGolden(t, "seccomp-default", s)
	})
}

// portable makes a spec independent of the machine: the rootfs's absolute
// path and the seccomp architectures go.
func portable(s *specs.Spec) *specs.Spec {
	c := *s
	if c.Root != nil && strings.HasSuffix(c.Root.Path, "/testdata/rootfs") {
		c.Root = &specs.Root{Path: "/testdata/rootfs", Readonly: c.Root.Readonly}
	}
	if c.Linux != nil && c.Linux.Seccomp != nil {
		l, sc := *c.Linux, *c.Linux.Seccomp
		sc.Architectures = nil
		l.Seccomp, c.Linux = &sc, &l
	}
	return &c
}

// checkGolden compares v, as indented JSON, with testdata/<name>.json.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	file := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./oci -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the spec built (go test ./oci -update rewrites it):\n%s", file, firstDiff(want, got))
	}
}

// firstDiff shows the first differing line with a little context.
func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		if i >= len(w) || i >= len(g) || w[i] != g[i] {
			line := func(l []string) string {
				if i < len(l) {
					return l[i]
				}
				return "<end of file>"
			}
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + line(w) + "\n  got:  " + line(g)
		}
	}
	return ""
}
