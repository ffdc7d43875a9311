package podfiles

import (
	"fmt"
	"os"
	"strings"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// maxHostname is the kernel's limit (HOST_NAME_MAX, __NEW_UTS_LEN).
const maxHostname = 64

// WriteHostname writes <dir>/hostname. An empty hostname means the node's
// own, as for pods on the host network (CRI allows it only there) and as
// containerd does.
func WriteHostname(dir, hostname string) error {
	if hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("podfiles: node hostname: %w", err)
		}
		hostname = h
	} else if err := checkHostname("hostname", hostname); err != nil {
		return err
	}
	return writeFile(dir, HostnameFile, []byte(hostname+"\n"))
}

// checkHostname accepts what Kubernetes sends as a pod hostname: DNS
// labels of letters, digits and '-', joined by dots (a FQDN with
// setHostnameAsFQDN), at most 64 bytes.
func checkHostname(field, h string) error {
	bad := func(why string) error {
		return fmt.Errorf("podfiles: %s %q %s: %w", field, h, why, errdefs.ErrInvalidArgument)
	}
	if len(h) > maxHostname {
		return bad(fmt.Sprintf("is longer than %d bytes", maxHostname))
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return bad("has an empty or over-long label")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return bad("has a label that starts or ends with '-'")
		}
		for _, c := range label {
			if !isAlnum(c) && c != '-' {
				return bad(fmt.Sprintf("contains %q", c))
			}
		}
	}
	return nil
}

func isAlnum(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
