package podspec

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// EnvVar is one resolved environment variable.
type EnvVar struct{ Name, Value string }

// ContainerOptions are what a container's config needs beyond the pod.
type ContainerOptions struct {
	// RestartCount is the attempt: 0 for the first run.
	RestartCount int
	// Image is the image to run (the pulled image's ID); the spec's
	// image is sent as the user-specified one.
	Image string
	// Env is the resolved environment, in order.
	Env []EnvVar
	// Mounts are the volume and termination-message mounts, host side
	// resolved.
	Mounts []*runtimeapi.Mount
	// ImageUser is the image's user, for runAsNonRoot.
	ImageUser ImageUser
	// QOS is the pod's QoS class; MemoryCapacity the node's memory, in
	// bytes (both for the OOM score).
	QOS            corev1.PodQOSClass
	MemoryCapacity int64
}

// Container returns the CRI config of container c of pod.
func Container(pod *corev1.Pod, c *corev1.Container, o ContainerOptions) (*runtimeapi.ContainerConfig, error) {
	sc, err := security(pod, c, o.ImageUser)
	if err != nil {
		return nil, err
	}
	lookup := envLookup(o.Env)
	cfg := &runtimeapi.ContainerConfig{
		Metadata:    &runtimeapi.ContainerMetadata{Name: c.Name, Attempt: uint32(o.RestartCount)},
		Image:       &runtimeapi.ImageSpec{Image: o.Image, UserSpecifiedImage: c.Image},
		Command:     expandAll(c.Command, lookup),
		Args:        expandAll(c.Args, lookup),
		WorkingDir:  c.WorkingDir,
		Labels:      containerLabels(pod, c),
		Annotations: containerAnnotations(pod, c, o.RestartCount),
		Mounts:      o.Mounts,
		LogPath:     ContainerLogPath(c.Name, o.RestartCount),
		Stdin:       c.Stdin,
		StdinOnce:   c.StdinOnce,
		Tty:         c.TTY,
		Linux: &runtimeapi.LinuxContainerConfig{
			Resources:       Resources(pod, c, o.QOS, o.MemoryCapacity),
			SecurityContext: sc,
		},
	}
	for _, e := range o.Env {
		cfg.Envs = append(cfg.Envs, &runtimeapi.KeyValue{Key: e.Name, Value: []byte(e.Value)})
	}
	return cfg, nil
}

// envLookup finds a variable in env; the last definition wins.
func envLookup(env []EnvVar) func(string) (string, bool) {
	m := make(map[string]string, len(env))
	for _, e := range env {
		m[e.Name] = e.Value
	}
	return func(name string) (string, bool) { v, ok := m[name]; return v, ok }
}

func expandAll(in []string, lookup func(string) (string, bool)) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = Expand(s, lookup)
	}
	return out
}

// Expand replaces $(NAME) in s with the variable's value, as Kubernetes
// expands command, args and env values: an undefined $(NAME) stays as it
// is, $$ is a literal $, so $$(NAME) gives $(NAME).
func Expand(s string, lookup func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			ref := s[i : i+3+end]
			if v, ok := lookup(ref[2 : len(ref)-1]); ok {
				b.WriteString(v)
			} else {
				b.WriteString(ref)
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}
