package static

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/skiffrt/skiff/controlplane/registry/pod"
)

// Annotations of static and mirror pods, as kubelet's.
const (
	AnnotationSource = "kubernetes.io/config.source"
	AnnotationHash   = "kubernetes.io/config.hash"
	AnnotationMirror = "kubernetes.io/config.mirror"
	sourceFile       = "file"
)

// IsMirror tells whether a pod from the API is a mirror pod.
func IsMirror(p *corev1.Pod) bool {
	_, ok := p.Annotations[AnnotationMirror]
	return ok
}

// IsStatic tells whether a pod came from a manifest.
func IsStatic(p *corev1.Pod) bool { return p.Annotations[AnnotationSource] == sourceFile }

// Read returns the static pods of dir for node, sorted by name, and what
// was wrong with the files it skipped. A missing dir has no pods.
func Read(dir, node string) ([]*corev1.Pod, []error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, []error{err}
	}
	var pods []*corev1.Pod
	var errs []error
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		p, err := readFile(path, node)
		if err != nil {
			errs = append(errs, fmt.Errorf("static pod %s: %w", path, err))
			continue
		}
		pods = append(pods, p)
	}
	slices.SortFunc(pods, func(a, b *corev1.Pod) int { return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name) })
	return pods, errs
}

// readFile decodes one manifest and makes it the node's static pod.
func readFile(path, node string) (*corev1.Pod, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := &corev1.Pod{}
	if err := yaml.UnmarshalStrict(data, p); err != nil {
		return nil, err
	}
	if p.Kind != "" && p.Kind != "Pod" || p.APIVersion != "" && p.APIVersion != "v1" {
		return nil, fmt.Errorf("holds a %s %s, not a v1 Pod", p.APIVersion, p.Kind)
	}
	if p.Name == "" {
		return nil, fmt.Errorf("the pod has no name")
	}
	pod.DefaultSpec(&p.Spec)
	if errs := pod.ValidateSpec(&p.Spec, field.NewPath("spec")); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	return Prepare(p, path, node), nil
}

// Prepare turns a manifest's pod into the node's static pod: name
// <name>-<node>, namespace default unless set, bound to node, defaults
// applied, and a UID hashed from the pod and where it came from.
func Prepare(p *corev1.Pod, source, node string) *corev1.Pod {
	p = p.DeepCopy()
	p.Name = p.Name + "-" + node
	if p.Namespace == "" {
		p.Namespace = metav1.NamespaceDefault
	}
	p.Spec.NodeName = node
	pod.DefaultSpec(&p.Spec)
	p.UID, p.ResourceVersion, p.Status = "", "", corev1.PodStatus{}
	b, _ := json.Marshal(struct {
		Source string
		Pod    *corev1.Pod
	}{source, p})
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:16])
	p.UID = types.UID(hash)
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Annotations[AnnotationSource] = sourceFile
	p.Annotations[AnnotationHash] = hash
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: pod.QOSClass(&p.Spec)}
	return p
}
