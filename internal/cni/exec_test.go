package cni

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skiffrt/skiff/internal/log"
)

func TestPluginSpan(t *testing.T) {
	for _, tc := range []struct {
		path    string
		environ []string
		want    string
	}{
		{"/usr/lib/cni/bridge", []string{"PATH=/bin", "CNI_COMMAND=ADD"}, "cni.add.bridge"},
		{"/opt/cni/bin/portmap", []string{"CNI_COMMAND=ADD", "CNI_COMMAND=DEL"}, "cni.del.portmap"},
		{"firewall", nil, "cni.exec.firewall"},
	} {
		if got := pluginSpan(tc.path, tc.environ); got != tc.want {
			t.Errorf("pluginSpan(%q, %q) = %q, want %q", tc.path, tc.environ, got, tc.want)
		}
	}
}

// TestPluginExecSpan runs a plugin through pluginExec and finds its
// span, with the call's attributes, in the debug log.
func TestPluginExecSpan(t *testing.T) {
	plugin := filepath.Join(t.TempDir(), "fake")
	if err := os.WriteFile(plugin, []byte("#!/bin/sh\ncat >/dev/null\necho '{\"cniVersion\":\"1.0.0\"}'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	l, err := log.New(&buf, "debug", "text")
	if err != nil {
		t.Fatal(err)
	}
	ctx := log.WithAttrs(log.WithLogger(context.Background(), l), log.KeySandboxID, "pod1")
	out, err := newPluginExec().ExecPlugin(ctx, plugin, []byte("{}"), []string{"CNI_COMMAND=ADD"})
	if err != nil {
		t.Fatalf("ExecPlugin: %v", err)
	}
	if !strings.Contains(string(out), "1.0.0") {
		t.Errorf("output %q, want the plugin's", out)
	}
	var spans []string
	for line := range strings.Lines(buf.String()) {
		if strings.Contains(line, "msg=span") {
			spans = append(spans, line)
		}
	}
	if len(spans) != 1 || !strings.Contains(spans[0], "span=cni.add.fake ") || !strings.Contains(spans[0], "sandbox_id=pod1") {
		t.Errorf("span records %q, want one span=cni.add.fake with sandbox_id=pod1", spans)
	}
}
