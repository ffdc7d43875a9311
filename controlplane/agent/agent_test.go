package agent

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/skiffrt/skiff/controlplane/agent/fakecri"
	"github.com/skiffrt/skiff/controlplane/agent/state"
)

func ptr[T any](v T) *T { return &v }

func testPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name)},
		Spec: corev1.PodSpec{NodeName: "n1", RestartPolicy: corev1.RestartPolicyAlways, TerminationGracePeriodSeconds: ptr(int64(30)),
			Containers: []corev1.Container{{Name: "c", Image: "busybox", ImagePullPolicy: corev1.PullIfNotPresent}}},
		Status: corev1.PodStatus{Phase: corev1.PodPending, QOSClass: corev1.PodQOSBestEffort},
	}
}

func newAgent(t *testing.T, client *fake.Clientset, cri *fakecri.Runtime, manifests string) *Agent {
	t.Helper()
	a, err := New(context.Background(), Config{
		NodeName: "n1", NodeIP: "127.0.0.1", Client: client, Runtime: cri, Images: cri,
		RootDir: t.TempDir(), LogDir: t.TempDir(), ManifestDir: manifests,
		Listen: "127.0.0.1:0", ClientCA: x509.NewCertPool(),
		SyncEvery: time.Second, RelistEvery: 50 * time.Millisecond, HousekeepEvery: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSyncAndTerminate: one sync runs the pod and posts its status; its
// termination stops it with the deletion's grace period, deletes it from
// the API and removes what it left.
func TestSyncAndTerminate(t *testing.T) {
	ctx := context.Background()
	pod := testPod("web")
	client := fake.NewSimpleClientset(pod)
	cri := fakecri.New("busybox")
	a := newAgent(t, client, cri, "")

	if _, err := a.syncPod(ctx, pod, false); err != nil {
		t.Fatal(err)
	}
	got, err := client.CoreV1().Pods("default").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.Phase != corev1.PodRunning || got.Status.PodIP != "10.88.0.1" || got.Status.HostIP != "127.0.0.1" ||
		len(got.Status.ContainerStatuses) != 1 || !strings.HasPrefix(got.Status.ContainerStatuses[0].ContainerID, "fake://") {
		t.Fatalf("status after the first sync: %+v", got.Status)
	}
	cri.Calls()

	// A second sync with nothing to do changes nothing.
	client.ClearActions()
	if _, err := a.syncPod(ctx, got, false); err != nil {
		t.Fatal(err)
	}
	if calls := cri.Calls(); len(calls) != 0 {
		t.Errorf("idle sync made calls %q", calls)
	}
	for _, act := range client.Actions() {
		if act.GetVerb() == "patch" {
			t.Errorf("idle sync patched the status")
		}
	}

	deleted := got.DeepCopy()
	deleted.DeletionTimestamp, deleted.DeletionGracePeriodSeconds = &metav1.Time{Time: time.Now()}, ptr(int64(3))
	if err := a.terminate(ctx, deleted, false, false); err != nil {
		t.Fatal(err)
	}
	calls := cri.Calls()
	for _, want := range []string{"StopContainer c 3s", "StopPodSandbox sb1", "RemovePodSandbox sb1"} {
		if !slices.Contains(calls, want) {
			t.Errorf("termination made %q, missing %q", calls, want)
		}
	}
	if _, err := client.CoreV1().Pods("default").Get(ctx, "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("pod still in the API: %v", err)
	}
	if _, err := os.Stat(a.volumes.PodDir(pod.UID)); !os.IsNotExist(err) {
		t.Errorf("pod directory left: %v", err)
	}
}

// TestRun runs the whole agent: the node registers, an API pod and a
// static pod run (the latter with a mirror pod), a pod removed from the
// API is torn down, and an orphan of the runtime is removed.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewSimpleClientset(testPod("web"))
	cri := fakecri.New("busybox")
	manifests := t.TempDir()
	static := "apiVersion: v1\nkind: Pod\nmetadata: {name: st}\nspec:\n  containers: [{name: c, image: busybox}]\n"
	if err := os.WriteFile(filepath.Join(manifests, "st.yaml"), []byte(static), 0o644); err != nil {
		t.Fatal(err)
	}
	a := newAgent(t, client, cri, manifests)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	waitFor(t, "both pods running, the mirror's status posted", func() bool {
		web, err1 := client.CoreV1().Pods("default").Get(ctx, "web", metav1.GetOptions{})
		mirror, err2 := client.CoreV1().Pods("default").Get(ctx, "st-n1", metav1.GetOptions{})
		return err1 == nil && err2 == nil && web.Status.Phase == corev1.PodRunning && mirror.Status.Phase == corev1.PodRunning &&
			mirror.Annotations["kubernetes.io/config.mirror"] != ""
	})
	if n, err := client.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{}); err != nil || n.Status.DaemonEndpoints.KubeletEndpoint.Port == 0 {
		t.Errorf("node %v: %v", n, err)
	}
	if p, ok := a.Lookup("default", "st-n1"); !ok || p.UID == "" || p.Annotations["kubernetes.io/config.source"] != "file" {
		t.Errorf("Lookup of the static pod: %v %v", p, ok)
	}

	// Gone from the API (a forced deletion): torn down.
	if err := client.CoreV1().Pods("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "web's sandbox removed", func() bool {
		st, err := state.Read(ctx, cri, "uid-web")
		return err == nil && len(st.Sandboxes) == 0
	})

	// The manifest removed: the static pod and its mirror go.
	os.Remove(filepath.Join(manifests, "st.yaml"))
	waitFor(t, "static pod removed", func() bool {
		_, err := client.CoreV1().Pods("default").Get(ctx, "st-n1", metav1.GetOptions{})
		return apierrors.IsNotFound(err) && len(cri.Sandboxes()) == 0
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
