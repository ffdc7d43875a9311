package testimage

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
)

func TestNNPBinaryIsStaticELF(t *testing.T) {
	f, err := elf.NewFile(bytes.NewReader(nnpBinary()))
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != elf.ET_EXEC || f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 {
		t.Errorf("type %v machine %v class %v", f.Type, f.Machine, f.Class)
	}
	if len(f.Progs) != 1 || f.Progs[0].Type != elf.PT_LOAD || f.Progs[0].Flags != elf.PF_R|elf.PF_X {
		t.Errorf("program headers %+v, want one R+X PT_LOAD", f.Progs)
	}
	if f.Entry < f.Progs[0].Vaddr || f.Entry >= f.Progs[0].Vaddr+f.Progs[0].Filesz {
		t.Errorf("entry %#x outside the segment", f.Entry)
	}
}

// TestNNPSetuid runs the program as nonewprivs' image would: setuid root,
// started by uid 1000, with and without no_new_privs.
func TestNNPSetuid(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("x86-64 machine code")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a setuid-root file")
	}
	bin := setuidNNP(t)
	tests := []struct {
		name string
		cmd  *exec.Cmd
		want string
	}{
		{"as root", exec.Command(bin), "Effective uid: 0\n"},
		{"uid 1000 gains root", asUser(exec.Command(bin), 1000), "Effective uid: 0\n"},
	}
	if setpriv, err := exec.LookPath("setpriv"); err == nil {
		tests = append(tests, struct {
			name string
			cmd  *exec.Cmd
			want string
		}{"uid 1000 with no_new_privs", exec.Command(setpriv, "--no-new-privs", "--reuid=1000", "--regid=1000", "--clear-groups", bin), "Effective uid: 1000\n"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.cmd.Output()
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if string(out) != tc.want {
				t.Errorf("output %q, want %q", out, tc.want)
			}
		})
	}
}

// setuidNNP writes the nonewprivs image's nnp, as the image has it, to a
// directory every user may enter.
func setuidNNP(t *testing.T) string {
	t.Helper()
	fs := flatten(t, hostImage(t, E2ENonewprivs))
	e, ok := fs["/usr/local/bin/nnp"]
	if !ok {
		t.Fatal("no /usr/local/bin/nnp in the image")
	}
	if mode := e.hdr.FileInfo().Mode(); mode&os.ModeSetuid == 0 || e.hdr.Uid != 0 {
		t.Fatalf("nnp mode %v owner %d, want setuid root", mode, e.hdr.Uid)
	}
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "nnp")
	if err := os.WriteFile(bin, []byte(e.data), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(bin, e.hdr.FileInfo().Mode()); err != nil {
		t.Fatal(err)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err == nil && st.Flags&0x2 != 0 { // ST_NOSUID
		t.Skip(dir + " is mounted nosuid")
	}
	return bin
}

func asUser(cmd *exec.Cmd, uid uint32) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	cmd.Env = []string{"PATH=" + DefaultPath, "UID=" + strconv.Itoa(int(uid))}
	return cmd
}
