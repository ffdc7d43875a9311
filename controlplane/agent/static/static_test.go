package static

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

const web = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: httpd
    image: busybox:1.36
`

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "web.yaml", web)
	write(t, dir, "db.json", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"db","namespace":"data"},"spec":{"containers":[{"name":"db","image":"busybox"}]}}`)
	write(t, dir, "notes.txt", "ignored")
	write(t, dir, ".hidden.yaml", "ignored: [")
	write(t, dir, "bad.yaml", "kind: Pod\nmetadata: {name: bad}\nspec: {containers: [{name: c}]}\n")
	write(t, dir, "svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")
	write(t, dir, "typo.yaml", strings.Replace(web, "image:", "imagee:", 1))
	pods, errs := Read(dir, "node1")
	if len(pods) != 2 || pods[0].Name != "db-node1" || pods[1].Name != "web-node1" {
		t.Fatalf("pods %v", pods)
	}
	p := pods[1]
	if p.Namespace != "default" || p.Spec.NodeName != "node1" || p.Spec.RestartPolicy != corev1.RestartPolicyAlways ||
		p.Annotations[AnnotationSource] != "file" || p.Annotations[AnnotationHash] != string(p.UID) || len(p.UID) != 32 {
		t.Errorf("static pod %+v", p.ObjectMeta)
	}
	if p.Spec.Containers[0].ImagePullPolicy != corev1.PullIfNotPresent || p.Status.QOSClass != corev1.PodQOSBestEffort {
		t.Errorf("defaults not applied: %+v", p.Spec.Containers[0])
	}
	if len(errs) != 3 {
		t.Errorf("errors %v: bad.yaml (no image), svc.yaml (a Service), typo.yaml (unknown field)", errs)
	}

	again, _ := Read(dir, "node1")
	if again[1].UID != p.UID {
		t.Error("the UID must be stable for the same manifest")
	}
	write(t, dir, "web.yaml", strings.Replace(web, "1.36", "1.37", 1))
	changed, _ := Read(dir, "node1")
	if changed[1].UID == p.UID {
		t.Error("a changed manifest is a new pod")
	}
	if pods, errs := Read(filepath.Join(dir, "none"), "node1"); pods != nil || errs != nil {
		t.Error("a missing directory has no pods and no errors")
	}
}

func TestMirrors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "web.yaml", web)
	static, _ := Read(dir, "node1")
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node1", UID: "node-uid"}}
	orphan := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "old-node1", Namespace: "default", UID: "o",
		Annotations: map[string]string{AnnotationMirror: "x"}}}
	client := fake.NewSimpleClientset(orphan)
	m := NewMirrors(client, func() *corev1.Node { return node })
	ctx := context.Background()
	if err := m.Sync(ctx, static, []*corev1.Pod{orphan}); err != nil {
		t.Fatal(err)
	}
	list, _ := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if len(list.Items) != 1 {
		t.Fatalf("pods after sync: %v", list.Items)
	}
	mp := &list.Items[0]
	if mp.Name != "web-node1" || mp.Annotations[AnnotationMirror] != string(static[0].UID) || mp.Spec.NodeName != "node1" ||
		mp.OwnerReferences[0].UID != "node-uid" || mp.OwnerReferences[0].Controller == nil || !*mp.OwnerReferences[0].Controller || mp.UID == static[0].UID {
		t.Errorf("mirror %+v", mp.ObjectMeta)
	}

	// An up-to-date mirror is left alone; one being deleted is replaced.
	client.ClearActions()
	if err := m.Sync(ctx, static, []*corev1.Pod{mp}); err != nil || len(client.Actions()) != 0 {
		t.Errorf("sync of an up-to-date mirror: %v %v", err, client.Actions())
	}
	deleted := mp.DeepCopy()
	deleted.DeletionTimestamp = &metav1.Time{}
	if err := m.Sync(ctx, static, []*corev1.Pod{deleted}); err != nil {
		t.Fatal(err)
	}
	verbs := []string{}
	for _, a := range client.Actions() {
		verbs = append(verbs, a.GetVerb())
	}
	if strings.Join(verbs, ",") != "delete,create" {
		t.Errorf("a deleted mirror pod is recreated: %v", verbs)
	}
}
