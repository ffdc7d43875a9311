package volume

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/env"
)

// fakeSources serves objects from maps and a fixed token.
type fakeSources struct {
	cms     map[string]*corev1.ConfigMap
	secrets map[string]*corev1.Secret
	claims  map[string]*corev1.PersistentVolumeClaim
	volumes map[string]*corev1.PersistentVolume
}

func (f *fakeSources) Claim(_ context.Context, ns, name string) (*corev1.PersistentVolumeClaim, error) {
	if c, ok := f.claims[ns+"/"+name]; ok {
		return c, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "persistentvolumeclaims"}, name)
}

func (f *fakeSources) Volume(_ context.Context, name string) (*corev1.PersistentVolume, error) {
	if v, ok := f.volumes[name]; ok {
		return v, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "persistentvolumes"}, name)
}

func (f *fakeSources) ConfigMap(_ context.Context, ns, name string) (*corev1.ConfigMap, error) {
	if cm, ok := f.cms[ns+"/"+name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

func (f *fakeSources) Secret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	if s, ok := f.secrets[ns+"/"+name]; ok {
		return s, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

func (f *fakeSources) Token(_ context.Context, pod *corev1.Pod, sa, aud string, exp int64) (string, error) {
	return "token-for-" + sa + "-" + aud, nil
}

// fakeMounter records tmpfs mounts instead of mounting.
type fakeMounter struct{ tmpfs, unmounted []string }

func (f *fakeMounter) MountTmpfs(dir string, size int64) error {
	if !slices.Contains(f.tmpfs, dir) {
		f.tmpfs = append(f.tmpfs, dir)
	}
	return nil
}
func (f *fakeMounter) Unmount(dir string) error { f.unmounted = append(f.unmounted, dir); return nil }

func ptr[T any](v T) *T { return &v }

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	payload := map[string]File{"a": {Data: []byte("1"), Mode: 0o644}, "sub/b": {Data: []byte("2"), Mode: 0o600}}
	if err := writeAtomic(dir, payload, -1); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(dir, "a")) != "1" || read(t, filepath.Join(dir, "sub/b")) != "2" {
		t.Fatal("contents")
	}
	if target, _ := os.Readlink(filepath.Join(dir, "a")); target != "..data/a" {
		t.Errorf("a links to %q, want through ..data", target)
	}
	if info, _ := os.Stat(filepath.Join(dir, "sub/b")); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", info.Mode())
	}
	first, _ := os.Readlink(filepath.Join(dir, dataLink))

	if err := writeAtomic(dir, payload, -1); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.Readlink(filepath.Join(dir, dataLink)); again != first {
		t.Errorf("unchanged contents were rewritten: %s then %s", first, again)
	}

	if err := writeAtomic(dir, map[string]File{"a": {Data: []byte("new"), Mode: 0o644}}, -1); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(dir, "a")) != "new" {
		t.Error("update not visible")
	}
	if _, err := os.Lstat(filepath.Join(dir, "sub")); !os.IsNotExist(err) {
		t.Errorf("removed key still visible: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, first)); !os.IsNotExist(err) {
		t.Errorf("old timestamped dir kept: %v", err)
	}
	for _, bad := range []string{"../x", "/abs", "..data", "a/../../x"} {
		if err := writeAtomic(dir, map[string]File{bad: {}}, -1); err == nil {
			t.Errorf("path %q accepted", bad)
		}
	}
}

func testPod(vols ...corev1.Volume) env.Pod {
	return env.Pod{Pod: &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "uid-1", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Volumes: vols, ServiceAccountName: "builder", Containers: []corev1.Container{{Name: "c",
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")}}}}},
	}, PodIPs: []string{"10.88.0.9"}}
}

func TestSetup(t *testing.T) {
	root := t.TempDir()
	src := &fakeSources{
		cms:     map[string]*corev1.ConfigMap{"ns/cfg": {Data: map[string]string{"color": "blue", "size": "3"}, BinaryData: map[string][]byte{"bin": {0, 1}}}},
		secrets: map[string]*corev1.Secret{"ns/creds": {Data: map[string][]byte{"password": []byte("s3cret")}}},
	}
	mnt := &fakeMounter{}
	m := NewManager(root, src, mnt)
	hostDir := filepath.Join(t.TempDir(), "made")
	pod := testPod(
		corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		corev1.Volume{Name: "shm", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
		corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostDir, Type: ptr(corev1.HostPathDirectoryOrCreate)}}},
		corev1.Volume{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"},
			Items: []corev1.KeyToPath{{Key: "color", Path: "dir/colour", Mode: ptr(int32(0o400))}}}}},
		corev1.Volume{Name: "allcfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}},
		corev1.Volume{Name: "opt", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "none"}, Optional: ptr(true)}}},
		corev1.Volume{Name: "creds", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", DefaultMode: ptr(int32(0o440))}}},
		corev1.Volume{Name: "info", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
			{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
			{Path: "mem", ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "c", Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}},
		}}}},
		corev1.Volume{Name: "all", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Items: []corev1.KeyToPath{{Key: "size", Path: "size"}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "ip", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}}}},
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", Audience: "api"}},
		}}}},
	)
	vols, err := m.Setup(context.Background(), pod)
	if err != nil {
		t.Fatal(err)
	}
	podDir := filepath.Join(root, "pods", "uid-1", "volumes")
	checks := map[string]string{
		"config/dir/colour": "blue", "allcfg/color": "blue", "allcfg/bin": "\x00\x01", "creds/password": "s3cret",
		"info/labels": `app="web"`, "info/mem": "32", "all/password": "s3cret", "all/size": "3", "all/ip": "10.88.0.9",
		"all/token": "token-for-builder-api",
	}
	for rel, want := range checks {
		name, file, _ := strings.Cut(rel, "/")
		if got := read(t, filepath.Join(vols[name].Path, file)); got != want {
			t.Errorf("%s = %q, want %q", rel, got, want)
		}
	}
	if vols["scratch"].Path != filepath.Join(podDir, "kubernetes.io~empty-dir", "scratch") || vols["scratch"].ReadOnly {
		t.Errorf("emptyDir %+v", vols["scratch"])
	}
	if info, _ := os.Stat(vols["scratch"].Path); info.Mode().Perm() != 0o777 {
		t.Errorf("emptyDir mode %v", info.Mode())
	}
	if info, err := os.Stat(hostDir); err != nil || !info.IsDir() || vols["host"].Path != hostDir {
		t.Errorf("hostPath DirectoryOrCreate: %v", err)
	}
	if !vols["config"].ReadOnly || !vols["creds"].ReadOnly {
		t.Error("configMap and secret volumes are read-only")
	}
	if info, _ := os.Stat(filepath.Join(vols["config"].Path, "dir/colour")); info.Mode().Perm() != 0o400 {
		t.Errorf("item mode %v", info.Mode())
	}
	if info, _ := os.Stat(filepath.Join(vols["creds"].Path, "password")); info.Mode().Perm() != 0o440 {
		t.Errorf("defaultMode %v", info.Mode())
	}
	wantTmpfs := []string{vols["shm"].Path, vols["creds"].Path, vols["info"].Path, vols["all"].Path}
	if !reflect.DeepEqual(mnt.tmpfs, wantTmpfs) {
		t.Errorf("tmpfs on %v, want %v", mnt.tmpfs, wantTmpfs)
	}

	// A ConfigMap change reaches the volume on the next Setup.
	src.cms["ns/cfg"].Data["color"] = "green"
	if _, err := m.Setup(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(vols["allcfg"].Path, "color")); got != "green" {
		t.Errorf("after the update: %q", got)
	}

	if err := m.Teardown("uid-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m.PodDir("uid-1")); !os.IsNotExist(err) || len(mnt.unmounted) != 1 {
		t.Errorf("teardown left %v, unmounted %v", err, mnt.unmounted)
	}
}

func TestSetupErrors(t *testing.T) {
	m := NewManager(t.TempDir(), &fakeSources{}, &fakeMounter{})
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	for name, v := range map[string]corev1.VolumeSource{
		`configmap "gone"`:                             {ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "gone"}}},
		`secret "gone"`:                                {Secret: &corev1.SecretVolumeSource{SecretName: "gone"}},
		"is not a directory":                           {HostPath: &corev1.HostPathVolumeSource{Path: file, Type: ptr(corev1.HostPathDirectory)}},
		"is not a socket":                              {HostPath: &corev1.HostPathVolumeSource{Path: file, Type: ptr(corev1.HostPathSocket)}},
		"unsupported volume type":                      {NFS: &corev1.NFSVolumeSource{Server: "nfs", Path: "/"}},
		`persistentvolumeclaims "x" not found`:         {PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "x"}},
		`emptyDir medium "HugePages" is not supported`: {EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumHugePages}},
	} {
		_, err := m.Setup(context.Background(), testPod(corev1.Volume{Name: "v", VolumeSource: v}))
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), `volume "v"`) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestMounts(t *testing.T) {
	root := t.TempDir()
	m := NewManager(root, &fakeSources{}, &fakeMounter{})
	vol := filepath.Join(t.TempDir(), "vol")
	os.MkdirAll(vol, 0o755)
	os.Symlink("/etc", filepath.Join(vol, "escape"))
	vols := map[string]Volume{"data": {Path: vol}, "cfg": {Path: "/cfg", ReadOnly: true}}
	bidi := corev1.MountPropagationBidirectional
	c := &corev1.Container{Name: "c", TerminationMessagePath: "/dev/termination-log", VolumeMounts: []corev1.VolumeMount{
		{Name: "data", MountPath: "/data", SubPathExpr: "logs/$(POD)", MountPropagation: &bidi},
		{Name: "cfg", MountPath: "/etc/cfg"},
	}}
	expand := func(s string) string { return strings.ReplaceAll(s, "$(POD)", "web") }
	got, err := m.Mounts("uid", c, vols, expand)
	if err != nil {
		t.Fatal(err)
	}
	want := []*runtimeapi.Mount{
		{ContainerPath: "/data", HostPath: filepath.Join(vol, "logs/web"), Propagation: runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL},
		{ContainerPath: "/etc/cfg", HostPath: "/cfg", Readonly: true},
	}
	if len(got) != 3 || got[0].String() != want[0].String() || got[1].String() != want[1].String() {
		t.Fatalf("mounts %v", got)
	}
	if info, err := os.Stat(got[0].HostPath); err != nil || !info.IsDir() {
		t.Errorf("subPath not created: %v", err)
	}
	term := got[2]
	if term.ContainerPath != "/dev/termination-log" || !strings.HasPrefix(term.HostPath, filepath.Join(root, "pods/uid/containers/c/")) {
		t.Errorf("termination mount %v", term)
	}
	if info, _ := os.Stat(term.HostPath); info.Mode().Perm() != 0o666 {
		t.Errorf("termination file mode %v", info.Mode())
	}

	c.VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/x", SubPath: "escape"}}
	if _, err := m.Mounts("uid", c, vols, expand); err == nil || !strings.Contains(err.Error(), "leaves the volume") {
		t.Errorf("a subPath through a symlink out of the volume: %v", err)
	}
	c.VolumeMounts = []corev1.VolumeMount{{Name: "nope", MountPath: "/x"}}
	if _, err := m.Mounts("uid", c, vols, expand); err == nil || !strings.Contains(err.Error(), `cannot find volume "nope"`) {
		t.Errorf("unknown volume: %v", err)
	}
}
