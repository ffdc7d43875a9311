package sandbox

import (
	"strings"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// TestHostilePodConfigs: each bad value of a pod config is refused with
// InvalidArgument naming it, before anything is made: no netns, no
// network attachment, no pod directory, no task.
func TestHostilePodConfigs(t *testing.T) {
	long := strings.Repeat("n", 254)
	tests := []struct {
		name string
		edit func(*runtime.PodSandboxConfig)
		msg  string
	}{
		{"relative log directory", func(c *runtime.PodSandboxConfig) { c.LogDirectory = "var/log/pods/x" }, "log_directory"},
		{"NUL in the log directory", func(c *runtime.PodSandboxConfig) { c.LogDirectory = "/var/log/\x00" }, "log_directory"},
		{"long name", func(c *runtime.PodSandboxConfig) { c.Metadata.Name = long }, "metadata.name"},
		{"long namespace", func(c *runtime.PodSandboxConfig) { c.Metadata.Namespace = long }, "metadata.namespace"},
		{"long uid", func(c *runtime.PodSandboxConfig) { c.Metadata.Uid = long }, "metadata.uid"},
		{"long label key", func(c *runtime.PodSandboxConfig) { c.Labels = map[string]string{long + long: ""} }, "labels"},
		{"huge annotations", func(c *runtime.PodSandboxConfig) {
			c.Annotations = map[string]string{"a": strings.Repeat("v", 300<<10)}
		}, "labels and annotations"},
		{"long hostname", func(c *runtime.PodSandboxConfig) { c.Hostname = strings.Repeat("h", 65) }, "hostname"},
		{"bad hostname", func(c *runtime.PodSandboxConfig) { c.Hostname = "a/b" }, "hostname"},
		{"bad DNS server", func(c *runtime.PodSandboxConfig) { c.DnsConfig.Servers = []string{"dns.example"} }, "dns_config.servers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "")
			cfg := podConfig("p")
			tt.edit(cfg)
			_, err := e.m.Run(ctxT(t), cfg, "")
			wantErr(t, err, errdefs.ErrInvalidArgument, tt.msg)
			e.assertNothingLeft(t)
			if calls := e.pauses.calls; len(calls) > 0 {
				t.Errorf("pauses called: %q", calls)
			}
		})
	}
}
