package testimage

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
)

// BasePasswd is /etc/passwd of every image, as in the official busybox
// image (buildroot's skeleton).
const BasePasswd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`

// BaseGroup is /etc/group of every image, as in the official busybox image.
const BaseGroup = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
`

const baseShadow = `root:*:19723:0:99999:7:::
daemon:*:19723:0:99999:7:::
bin:*:19723:0:99999:7:::
sys:*:19723:0:99999:7:::
sync:*:19723:0:99999:7:::
mail:*:19723:0:99999:7:::
www-data:*:19723:0:99999:7:::
operator:*:19723:0:99999:7:::
nobody:*:19723:0:99999:7:::
`

// DefaultPath is PATH in every image's config.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Applets returns where `busybox --list-full` installs each applet of the
// given binary, as paths relative to the root ("bin/sh", "usr/sbin/httpd"),
// sorted.
func Applets(busybox string) ([]string, error) {
	out, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list-full: %w", busybox, err)
	}
	var list []string
	for _, l := range strings.Fields(string(out)) {
		l = path.Clean(l)
		if path.IsAbs(l) || l == "." || strings.HasPrefix(l, "..") {
			return nil, fmt.Errorf("%s --list-full: bad applet path %q", busybox, l)
		}
		list = append(list, l)
	}
	if !slices.Contains(list, "bin/sh") {
		return nil, fmt.Errorf("%s --list-full: no bin/sh in %d applets", busybox, len(list))
	}
	slices.Sort(list)
	return slices.Compact(list), nil
}

// baseRootfs returns the entries of the busybox base layer: the directory
// skeleton, /bin/busybox with a hard link per applet, and /etc.
func baseRootfs(busybox string) ([]entry, error) {
	bin, err := os.ReadFile(busybox)
	if err != nil {
		return nil, fmt.Errorf("read busybox: %w", err)
	}
	if !bytes.HasPrefix(bin, []byte("\x7fELF")) {
		return nil, fmt.Errorf("%s is not an ELF binary", busybox)
	}
	applets, err := Applets(busybox)
	if err != nil {
		return nil, err
	}
	entries := []entry{
		dir("bin", 0o755),
		blob("bin/busybox", 0o755, bin),
		dir("etc", 0o755),
		file("etc/group", 0o644, BaseGroup),
		file("etc/passwd", 0o644, BasePasswd),
		file("etc/shadow", 0o600, baseShadow),
		dir("home", 0o755),
		dir("root", 0o700),
		dir("sbin", 0o755),
		dir("tmp", 0o1777),
		dir("usr", 0o755),
		dir("usr/bin", 0o755),
		dir("usr/local", 0o755),
		dir("usr/local/bin", 0o755),
		dir("usr/sbin", 0o755),
		dir("var", 0o755),
		dir("var/log", 0o755),
		dir("var/run", 0o755),
		dir("var/spool", 0o755),
		dir("var/spool/mail", 0o755),
		dir("var/www", 0o755),
	}
	for _, a := range applets {
		if !slices.Contains([]string{".", "bin", "sbin", "usr/bin", "usr/sbin"}, path.Dir(a)) {
			return nil, fmt.Errorf("applet %s: unexpected directory", a)
		}
		entries = append(entries, hardlink(a, "bin/busybox"))
	}
	return entries, nil
}
