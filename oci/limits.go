package oci

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Sizes a request may carry. Beyond them the kernel refuses the
// container's start (execve's limits), or the object would break the
// calls that list it for everyone (a gRPC answer has a size limit).
const (
	// maxNameBytes bounds metadata names, namespaces and uids: a
	// Kubernetes object name (a DNS subdomain) is at most 253 bytes.
	maxNameBytes = 253
	// maxKeyBytes bounds a label or annotation key: a DNS subdomain
	// prefix, '/', and a 63-byte name.
	maxKeyBytes = 253 + 1 + 63
	// maxMetadataBytes bounds the keys and values of an object's labels
	// and annotations together, as the API server bounds annotations.
	maxMetadataBytes = 256 << 10
	// maxArgString is MAX_ARG_STRLEN, the kernel's limit on one argument
	// or environment string, its NUL included.
	maxArgString = 32 * 4096
	// maxArgBytes bounds argv and envp together: execve allows a quarter
	// of RLIMIT_STACK, 2 MiB with the usual 8 MiB stack, counting each
	// string with its NUL and its pointer.
	maxArgBytes = 2 << 20
)

// CheckSandboxConfig refuses, before anything is made for the pod, a
// config whose sizes or paths cannot work: names, labels and
// annotations over their limits, a relative log directory.
func CheckSandboxConfig(cfg *runtime.PodSandboxConfig) error {
	md := cfg.GetMetadata()
	for _, f := range []struct{ field, v string }{
		{"metadata.name", md.GetName()}, {"metadata.namespace", md.GetNamespace()}, {"metadata.uid", md.GetUid()},
	} {
		if len(f.v) > maxNameBytes {
			return invalid(sandboxScope, f.field, "%d bytes, more than %d", len(f.v), maxNameBytes)
		}
	}
	if err := checkMetadata(sandboxScope, cfg.GetLabels(), cfg.GetAnnotations()); err != nil {
		return err
	}
	if d := cfg.GetLogDirectory(); d != "" {
		if err := checkHostPath(sandboxScope, "log_directory", d); err != nil {
			return err
		}
	}
	return nil
}

// CheckContainerConfig refuses, before anything is made for the
// container, a config that cannot work: sizes over their limits, bad
// paths (log, mounts, seccomp profile) and resource values the kernel
// refuses. ContainerSpec checks the rest, once the image and the rootfs
// are known.
func CheckContainerConfig(cfg *runtime.ContainerConfig, f HostFeatures) error {
	if n := len(cfg.GetMetadata().GetName()); n > maxNameBytes {
		return invalid(containerScope, "metadata.name", "%d bytes, more than %d", n, maxNameBytes)
	}
	if err := checkMetadata(containerScope, cfg.GetLabels(), cfg.GetAnnotations()); err != nil {
		return err
	}
	env, err := criEnv(cfg.GetEnvs())
	if err != nil {
		return err
	}
	if err := checkArgv(containerScope, cfg.GetCommand(), cfg.GetArgs(), env); err != nil {
		return err
	}
	if p := cfg.GetLogPath(); p != "" && (!filepath.IsLocal(p) || strings.ContainsRune(p, 0)) {
		return invalid(containerScope, "log_path", "%q is not a path inside the pod's log directory", p)
	}
	for i, m := range cfg.GetMounts() {
		if m.GetImage() == nil {
			if _, err := criMountPaths(m, fmt.Sprintf("mounts[%d]", i)); err != nil {
				return err
			}
		}
	}
	if err := checkResources(cfg.GetLinux().GetResources(), f); err != nil {
		return err
	}
	_, err = chooseSeccomp(cfg.GetLinux().GetSecurityContext())
	return err
}

// checkMetadata bounds labels and annotations.
func checkMetadata(scope string, labels, annotations map[string]string) error {
	total := 0
	for _, m := range []struct {
		field string
		kv    map[string]string
	}{{"labels", labels}, {"annotations", annotations}} {
		for k, v := range m.kv {
			if k == "" || len(k) > maxKeyBytes {
				return invalid(scope, m.field, "key %.40q… is empty or longer than %d bytes", k, maxKeyBytes)
			}
			total += len(k) + len(v)
		}
	}
	if total > maxMetadataBytes {
		return invalid(scope, "labels and annotations", "%d bytes together, more than %d", total, maxMetadataBytes)
	}
	return nil
}

// CheckExec refuses the command of an exec that execve would refuse.
func CheckExec(cmd []string) error {
	if len(cmd) == 0 {
		return invalid(execScope, "cmd", "empty")
	}
	return checkArgv(execScope, cmd, nil, nil)
}

// checkArgv refuses a command line and environment that execve would:
// one string over maxArgString, or all over maxArgBytes.
func checkArgv(scope string, command, args, env []string) error {
	total := 0
	for _, l := range []struct {
		field string
		strs  []string
	}{{"command", command}, {"args", args}, {"envs", env}} {
		for i, s := range l.strs {
			if len(s)+1 > maxArgString {
				return invalid(scope, l.field, "entry %d is %d bytes; the kernel takes at most %d", i, len(s), maxArgString-1)
			}
			total += len(s) + 1 + 8
		}
	}
	if total > maxArgBytes {
		return invalid(scope, "command, args and envs", "%d bytes together; the kernel takes at most %d", total, maxArgBytes)
	}
	return nil
}

// checkHostPath accepts an absolute host path without NUL bytes.
func checkHostPath(scope, field, p string) error {
	if !path.IsAbs(p) || strings.ContainsRune(p, 0) {
		return invalid(scope, field, "%q is not an absolute path", p)
	}
	return nil
}
