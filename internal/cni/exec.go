package cni

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/skiffrt/skiff/internal/log"
)

// pluginExec runs plugins as libcni's default Exec does and times each
// run as a span named cni.COMMAND.PLUGIN ("cni.add.bridge"), so that a
// slow ADD or DEL shows which plugin it waited for. It is explicit also
// because libcni sets a nil Exec lazily, which races when the first calls
// run in parallel.
type pluginExec struct{ invoke.DefaultExec }

func newPluginExec() *pluginExec {
	return &pluginExec{invoke.DefaultExec{
		RawExec:       &invoke.RawExec{Stderr: os.Stderr},
		PluginDecoder: version.PluginDecoder{},
	}}
}

func (e *pluginExec) ExecPlugin(ctx context.Context, path string, stdin []byte, environ []string) ([]byte, error) {
	defer log.Span(ctx, pluginSpan(path, environ))()
	return e.DefaultExec.ExecPlugin(ctx, path, stdin, environ)
}

// pluginSpan names the span of one plugin run: its CNI_COMMAND (the last
// one in environ, the one os/exec passes on) and its file name.
func pluginSpan(path string, environ []string) string {
	cmd := "exec"
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "CNI_COMMAND="); ok {
			cmd = strings.ToLower(v)
		}
	}
	return "cni." + cmd + "." + filepath.Base(path)
}
