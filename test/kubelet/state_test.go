//go:build kubelet

package kubelet

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// podObjects returns the sandboxes and containers skiffd holds for the pod
// with uid, as "sandbox ID state" and "container name ID state".
func (n *node) podObjects(uid string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pods, err := n.cri.ListPodSandbox(ctx, &runtime.ListPodSandboxRequest{})
	if err != nil {
		return nil, err
	}
	var held []string
	for _, p := range pods.Items {
		if p.Metadata.Uid == uid {
			held = append(held, fmt.Sprintf("sandbox %.12s %v", p.Id, p.State))
		}
	}
	ctrs, err := n.cri.ListContainers(ctx, &runtime.ListContainersRequest{
		Filter: &runtime.ContainerFilter{LabelSelector: map[string]string{"io.kubernetes.pod.uid": uid}},
	})
	if err != nil {
		return nil, err
	}
	for _, c := range ctrs.Containers {
		held = append(held, fmt.Sprintf("container %s %.12s %v", c.Metadata.Name, c.Id, c.State))
	}
	return held, nil
}

// containerAttempt returns the attempt (kubelet's restart count) of the
// newest container named name in the pod with uid, as skiffd recorded it.
func (n *node) containerAttempt(uid, name string) (uint32, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctrs, err := n.cri.ListContainers(ctx, &runtime.ListContainersRequest{
		Filter: &runtime.ContainerFilter{LabelSelector: map[string]string{"io.kubernetes.pod.uid": uid}},
	})
	if err != nil {
		return 0, err
	}
	var newest *runtime.Container
	for _, c := range ctrs.Containers {
		if c.Metadata.Name == name && (newest == nil || c.CreatedAt > newest.CreatedAt) {
			newest = c
		}
	}
	if newest == nil {
		return 0, fmt.Errorf("skiffd holds no container %s for pod %s", name, uid)
	}
	return newest.Metadata.Attempt, nil
}

// leftovers lists what skiffd still holds on the host once it runs no pod:
// state entries, mounts, shim processes and pod cgroups.
func (n *node) leftovers() ([]string, error) {
	var left []string
	run, root := filepath.Join(n.dir, "run"), filepath.Join(n.dir, "skiff")
	for _, d := range []string{"netns", "pods", "tasks", "runc", "s"} {
		entries, _ := os.ReadDir(filepath.Join(run, d))
		for _, e := range entries {
			left = append(left, "run/"+d+"/"+e.Name())
		}
	}
	entries, _ := os.ReadDir(filepath.Join(root, "containers"))
	for _, e := range entries {
		left = append(left, "containers/"+e.Name())
	}
	for _, d := range []string{run, root} {
		mounts, err := mountsUnder(d)
		if err != nil {
			return nil, err
		}
		for _, m := range mounts {
			left = append(left, "mount "+m)
		}
	}
	procs, err := processesMentioning(run, n.skiffd.cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	left = append(left, procs...)
	pods, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/memory", cgroupRoot, "kubepods", "*", "pod*"))
	for _, p := range pods {
		left = append(left, "cgroup "+p)
	}
	return left, nil
}

// mountsUnder lists the mount points at or below dir, in mount order.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountPath(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	return out, s.Err()
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountPath(p string) string {
	if !strings.Contains(p, `\`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+3 < len(p) {
			if v, err := strconv.ParseUint(p[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// processesMentioning lists the processes, but for this one and except,
// whose command line contains s: skiffd's shims carry paths under its run
// root.
func processesMentioning(s string, except int) ([]string, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(b), s) {
			continue
		}
		pid := filepath.Base(filepath.Dir(f))
		if pid == strconv.Itoa(os.Getpid()) || pid == strconv.Itoa(except) {
			continue
		}
		out = append(out, "process "+pid+": "+strings.ReplaceAll(string(b), "\x00", " "))
	}
	return out, nil
}
