//go:build kubelet

package kubelet

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
)

// exec runs cmd in a container through the kubelet's /exec, as the API
// server does for kubectl exec: the kubelet asks the runtime for a
// streaming URL (the Exec RPC) and proxies the SPDY stream to it. It
// returns stdout, stderr and the error of the stream, which for a command
// that fails is a k8s.io/client-go/util/exec.ExitError.
func (k *kubeletAPI) exec(podName, container string, cmd ...string) (string, string, error) {
	q := url.Values{"output": {"1"}, "error": {"1"}, "command": cmd}
	u, err := url.Parse(fmt.Sprintf("%s/exec/default/%s/%s?%s", k.base, podName, container, q.Encode()))
	if err != nil {
		return "", "", err
	}
	cfg := &rest.Config{TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	e, err := remotecommand.NewSPDYExecutor(cfg, "POST", u)
	if err != nil {
		return "", "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err = e.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr})
	return stdout.String(), stderr.String(), err
}
