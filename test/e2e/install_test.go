//go:build e2e

package e2e

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// installed are the files `make install` places, without and with the
// skiff control-plane binary.
var (
	installedFiles = []string{
		"etc/crictl.yaml",
		"etc/skiff/skiff.toml",
		"usr/local/bin/skiff-pause",
		"usr/local/bin/skiff-shim",
		"usr/local/bin/skiffd",
		"usr/local/lib/systemd/system/skiffd.service",
		"usr/local/share/skiff/installed",
	}
	controlPlaneFiles = []string{
		"usr/local/bin/skiff",
		"usr/local/lib/systemd/system/skiff-agent.service",
		"usr/local/lib/systemd/system/skiff-server.service",
	}
)

// installScript runs hack/install.sh verb into destdir from the binaries
// in srcBin and returns its output.
func installScript(t *testing.T, verb, destdir, srcBin string) string {
	t.Helper()
	cmd := exec.Command("../../hack/install.sh", verb)
	cmd.Env = append(os.Environ(), "DESTDIR="+destdir, "SRCBIN="+srcBin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("install.sh %s: %v\n%s", verb, err, out)
	}
	return string(out)
}

// srcBin returns a directory with the built binaries, plus a stand-in
// skiff when withSkiff.
func srcBin(t *testing.T, withSkiff bool) string {
	t.Helper()
	dir := t.TempDir()
	for _, b := range []string{"skiffd", "skiff-shim", "skiff-pause"} {
		if err := os.Symlink(filepath.Join(binDir(t), b), filepath.Join(dir, b)); err != nil {
			t.Fatal(err)
		}
	}
	if withSkiff {
		if err := os.WriteFile(filepath.Join(dir, "skiff"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// filesUnder lists the regular files under root, relative and sorted.
func filesUnder(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestInstallThenUninstallLeavesNothing(t *testing.T) {
	for _, withSkiff := range []bool{false, true} {
		t.Run(map[bool]string{false: "node", true: "with control plane"}[withSkiff], func(t *testing.T) {
			dest := t.TempDir()
			out := installScript(t, "install", dest, srcBin(t, withSkiff))
			if !strings.Contains(out, "staged under "+dest+"; systemd not touched") {
				t.Errorf("install output does not say systemd was left alone:\n%s", out)
			}
			want := slices.Clone(installedFiles)
			if withSkiff {
				want = append(want, controlPlaneFiles...)
			}
			slices.Sort(want)
			if got := filesUnder(t, dest); !slices.Equal(got, want) {
				t.Errorf("installed %v\nwant %v", got, want)
			}
			unit, _ := os.ReadFile(filepath.Join(dest, "usr/local/lib/systemd/system/skiffd.service"))
			for _, line := range []string{"Type=notify", "Delegate=yes", "KillMode=process", "ExecStart=/usr/local/bin/skiffd --config /etc/skiff/skiff.toml"} {
				if !bytes.Contains(unit, []byte("\n"+line+"\n")) {
					t.Errorf("skiffd.service lacks %q:\n%s", line, unit)
				}
			}
			if bytes.Contains(unit, []byte("@")) {
				t.Errorf("skiffd.service has an unfilled placeholder:\n%s", unit)
			}

			installScript(t, "uninstall", dest, "")
			if left, _ := os.ReadDir(dest); len(left) > 0 {
				t.Errorf("uninstall left %v", filesUnder(t, dest))
			}
		})
	}
}

func TestInstallKeepsChangedConfig(t *testing.T) {
	dest := t.TempDir()
	crictl := filepath.Join(dest, "etc/crictl.yaml")
	os.MkdirAll(filepath.Dir(crictl), 0o755)
	theirs := []byte("runtime-endpoint: unix:///run/containerd/containerd.sock\n")
	if err := os.WriteFile(crictl, theirs, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := srcBin(t, false)
	installScript(t, "install", dest, bin)
	conf := filepath.Join(dest, "etc/skiff/skiff.toml")
	mine := append(mustRead(t, conf), "log_level = \"debug\"\n"...)
	if err := os.WriteFile(conf, mine, 0o644); err != nil {
		t.Fatal(err)
	}

	out := installScript(t, "install", dest, bin)
	if !strings.Contains(out, "kept "+conf+": it was changed") || !bytes.Equal(mustRead(t, conf), mine) {
		t.Errorf("a second install did not keep the changed %s:\n%s", conf, out)
	}
	if !bytes.Equal(mustRead(t, conf+".dist"), mustRead(t, "../../contrib/skiff.toml")) {
		t.Errorf("the new version is not beside it as skiff.toml.dist")
	}

	out = installScript(t, "uninstall", dest, "")
	if !strings.Contains(out, "kept "+conf+": it was changed") {
		t.Errorf("uninstall does not say it kept %s:\n%s", conf, out)
	}
	want := []string{"etc/crictl.yaml", "etc/skiff/skiff.toml"}
	if got := filesUnder(t, dest); !slices.Equal(got, want) {
		t.Errorf("after uninstall: %v, want only the changed config and the foreign crictl.yaml: %v", got, want)
	}
	if !bytes.Equal(mustRead(t, crictl), theirs) {
		t.Errorf("install or uninstall touched a crictl.yaml it did not write")
	}
}

// TestInstalledSkiffdServesCrictl starts the installed skiffd from the
// installed configuration (state paths moved into the test's temp dir) and
// drives it with crictl through the installed crictl.yaml.
func TestInstalledSkiffdServesCrictl(t *testing.T) {
	dest := t.TempDir()
	installScript(t, "install", dest, srcBin(t, false))
	skiffd := filepath.Join(dest, "usr/local/bin/skiffd")
	conf := filepath.Join(dest, "etc/skiff/skiff.toml")

	// crictl.yaml names the socket the installed configuration listens on.
	out, err := exec.Command(skiffd, "config", "--config", conf).CombinedOutput()
	if err != nil {
		t.Fatalf("skiffd config: %v\n%s", err, out)
	}
	listen := "listen = \"/run/skiff/skiff.sock\"\n"
	crictlYAML := filepath.Join(dest, "etc/crictl.yaml")
	if !strings.Contains(string(out), listen) || !bytes.Contains(mustRead(t, crictlYAML), []byte("runtime-endpoint: unix:///run/skiff/skiff.sock\n")) {
		t.Errorf("installed skiff.toml (%s) and crictl.yaml disagree on the socket", listen)
	}
	if want := "shim_path = \"" + filepath.Join(dest, "usr/local/bin/skiff-shim") + "\""; !strings.Contains(string(out), want) {
		t.Errorf("installed skiffd does not find its shim beside it (%s):\n%s", want, out)
	}

	d := startDaemonIn(t, t.TempDir(), func(dir string, extra ...string) []string {
		return append([]string{
			"--config", conf,
			"--root", filepath.Join(dir, "root"),
			"--run-root", filepath.Join(dir, "run"),
			"--listen", filepath.Join(dir, "run", "skiff.sock"),
		}, extra...)
	})
	for _, args := range [][]string{{"version"}, {"info"}} {
		cmd := exec.Command(filepath.Join(binDir(t), "crictl"), append([]string{"--config", crictlYAML, "--runtime-endpoint", "unix://" + d.socket}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("crictl %v: %v\n%s", args, err, out)
		}
		if args[0] == "version" && !strings.Contains(string(out), "RuntimeName:  skiff") {
			t.Errorf("crictl version:\n%s", out)
		}
	}
	d.stop()
	installScript(t, "uninstall", dest, "")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
