//go:build kubelet

package kubelet

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// checkpoint asks the kubelet's checkpoint API (the ContainerCheckpoint
// feature) for an archive of a container and returns the archives it
// names.
func (k *kubeletAPI) checkpoint(podName, container string) ([]string, error) {
	body, err := k.do(http.MethodPost, fmt.Sprintf("/checkpoint/default/%s/%s?timeout=60", podName, container))
	if err != nil {
		return nil, err
	}
	var resp struct {
		Items []string `json:"items"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("checkpoint answer %q: %w", body, err)
	}
	return resp.Items, nil
}

// checkCheckpoint checkpoints the web container through the kubelet: the
// archive it names holds CRIU's images and the files checkpointctl reads,
// and the container goes on serving.
func (n *node) checkCheckpoint(t *testing.T, p *corev1.Pod) {
	archives, err := n.api.checkpoint(webPod, "web")
	if err != nil && strings.Contains(err.Error(), "CRIU cannot run") {
		t.Skipf("CRIU cannot run here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(archives) != 1 {
		t.Fatalf("checkpoint archives = %q, want one", archives)
	}
	defer os.Remove(archives[0])
	f, err := os.Open(archives[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("archive %s: %v", archives[0], err)
		}
		names[hdr.Name] = true
	}
	for _, want := range []string{"checkpoint/inventory.img", "config.dump", "spec.dump", "status.dump", "rootfs-diff.tar"} {
		if !names[want] {
			t.Errorf("archive %s lacks %s", archives[0], want)
		}
	}
	n.checkServes(t, p, "web 1")
}
