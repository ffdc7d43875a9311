//go:build cgo && seccomp

package monitor

import (
	"fmt"

	libseccomp "github.com/seccomp/libseccomp-golang"
)

// libseccompVersion is the libseccomp this binary runs with and the API
// level it sees: libcontainer's program depends on both.
func libseccompVersion() string {
	major, minor, micro := libseccomp.GetLibraryVersion()
	api, _ := libseccomp.GetAPI()
	return fmt.Sprintf("libseccomp %d.%d.%d api %d", major, minor, micro, api)
}
