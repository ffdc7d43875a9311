package volume

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiffrt/skiff/controlplane/localstorage"
)

// TestClaimVolume: a bound claim resolves to its volume's directory,
// made (open to all) on first use and kept with its data; an unbound
// claim, or a volume bound to another claim, is an error.
func TestClaimVolume(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "volumes", "pvc-u1")
	create := corev1.HostPathDirectoryOrCreate
	claim := func(name, volume string, phase corev1.PersistentVolumeClaimPhase) *corev1.PersistentVolumeClaim {
		return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
			Spec: corev1.PersistentVolumeClaimSpec{VolumeName: volume}, Status: corev1.PersistentVolumeClaimStatus{Phase: phase}}
	}
	bound := claim("data", "pvc-u1", corev1.ClaimBound)
	bound.UID = "u1"
	stranger := claim("other", "pvc-u1", corev1.ClaimBound)
	stranger.UID = "u2"
	src := &fakeSources{
		claims: map[string]*corev1.PersistentVolumeClaim{
			"ns/data": bound, "ns/other": stranger, "ns/pending": claim("pending", "", corev1.ClaimPending),
		},
		volumes: map[string]*corev1.PersistentVolume{"pvc-u1": {
			ObjectMeta: metav1.ObjectMeta{Name: "pvc-u1", Annotations: map[string]string{localstorage.ProvisionedByAnnotation: localstorage.Provisioner}},
			Spec: corev1.PersistentVolumeSpec{
				PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: dir, Type: &create}},
				ClaimRef:               &corev1.ObjectReference{Namespace: "ns", Name: "data", UID: "u1"},
			},
		}},
	}
	m := NewManager(t.TempDir(), src, &fakeMounter{})
	use := func(name string, ro bool) (map[string]Volume, error) {
		return m.Setup(context.Background(), testPod(corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name, ReadOnly: ro}}}))
	}
	vols, err := use("data", true)
	if err != nil || vols["v"].Path != dir || !vols["v"].ReadOnly {
		t.Fatalf("setup: %v %+v", err, vols)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o777 {
		t.Fatalf("volume dir: %v %v", info, err)
	}
	os.WriteFile(filepath.Join(dir, "kept"), []byte("x"), 0o644)
	if _, err := use("data", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "kept")); err != nil {
		t.Fatalf("data lost: %v", err)
	}
	for name, want := range map[string]string{"pending": "is not bound", "other": "is not bound to claim"} {
		if _, err := use(name, false); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
