//go:build kubelet

package kubelet

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// kubeletAPI is a client of the kubelet's secure port. The kubelet serves
// it with a self-signed certificate on loopback, which is not verified.
type kubeletAPI struct {
	base   string
	client *http.Client
}

func newKubeletAPI(port int) *kubeletAPI {
	return &kubeletAPI{
		base: fmt.Sprintf("https://127.0.0.1:%d", port),
		client: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		},
	}
}

// apiError is a non-2xx answer.
type apiError struct {
	method, path string
	code         int
	body         string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.method, e.path, e.code, strings.TrimSpace(e.body))
}

// do sends a request and returns the body of a 2xx answer, or an *apiError.
func (k *kubeletAPI) do(method, path string) ([]byte, error) {
	req, err := http.NewRequest(method, k.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, &apiError{method, path, resp.StatusCode, string(body)}
	}
	return body, nil
}

func (k *kubeletAPI) getJSON(path string, v any) error {
	body, err := k.do(http.MethodGet, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

func (k *kubeletAPI) healthz() error {
	_, err := k.do(http.MethodGet, "/healthz")
	return err
}

// pods returns the kubelet's pods with their status (/pods).
func (k *kubeletAPI) pods() ([]corev1.Pod, error) {
	var l corev1.PodList
	return l.Items, k.getJSON("/pods", &l)
}

// runningPods returns the pods the runtime runs, asked of it afresh
// (/runningpods/).
func (k *kubeletAPI) runningPods() ([]corev1.Pod, error) {
	var l corev1.PodList
	return l.Items, k.getJSON("/runningpods/", &l)
}

// containerLogs returns a container's log as the kubelet reads it from the
// CRI log file; query is e.g. "tailLines=10".
func (k *kubeletAPI) containerLogs(podName, container, query string) (string, error) {
	body, err := k.do(http.MethodGet, fmt.Sprintf("/containerLogs/default/%s/%s?%s", podName, container, query))
	return string(body), err
}

// run runs cmd in a container through the runtime's ExecSync (/run).
func (k *kubeletAPI) run(podName, container string, cmd string) (string, error) {
	body, err := k.do(http.MethodPost, fmt.Sprintf("/run/default/%s/%s?cmd=%s", podName, container, url.QueryEscape(cmd)))
	return string(body), err
}

// statsSummary returns /stats/summary.
func (k *kubeletAPI) statsSummary() (summary, error) {
	var s summary
	return s, k.getJSON("/stats/summary", &s)
}

// summary is the part of the kubelet's stats summary
// (k8s.io/kubelet/pkg/apis/stats/v1alpha1) the test reads.
type summary struct {
	Pods []struct {
		PodRef struct {
			Name string `json:"name"`
		} `json:"podRef"`
		usage
		Containers []struct {
			Name string `json:"name"`
			usage
		} `json:"containers"`
	} `json:"pods"`
}

// usage is the CPU and memory of a pod or container in the summary.
type usage struct {
	CPU *struct {
		UsageNanoCores *uint64 `json:"usageNanoCores"`
	} `json:"cpu"`
	Memory *struct {
		WorkingSetBytes *uint64 `json:"workingSetBytes"`
	} `json:"memory"`
}

// missing names what u lacks: a CPU rate or a working set above zero.
func (u usage) missing() string {
	switch {
	case u.CPU == nil || u.CPU.UsageNanoCores == nil:
		return "CPU"
	case u.Memory == nil || u.Memory.WorkingSetBytes == nil || *u.Memory.WorkingSetBytes == 0:
		return "memory"
	}
	return ""
}

// ready reports whether the pod's Ready condition is True.
func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// containerStatus returns the status of the named container, init
// containers included, or nil.
func containerStatus(p *corev1.Pod, name string) *corev1.ContainerStatus {
	for _, list := range [][]corev1.ContainerStatus{p.Status.ContainerStatuses, p.Status.InitContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// findPod returns the pod named name in pods, or nil.
func findPod(pods []corev1.Pod, name string) *corev1.Pod {
	for i := range pods {
		if pods[i].Name == name {
			return &pods[i]
		}
	}
	return nil
}
