//go:build e2e

package e2e

import (
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// TestContainerNamesItsImage creates a container the way kubelet does,
// from the image ID with the pod's image beside it, and checks that its
// status names the image as kubelet shows it in a pod's status: image is
// the repo tag asked for, image_ref the repo digest, image_id the ID.
func TestContainerNamesItsImage(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	id := d.pull(t, "busybox")
	podCfg := podConfig(t, "image-names")
	pod := d.runPod(t, podCfg)
	defer d.removePod(t, pod)
	resp, err := d.runtime.CreateContainer(ctxT(t), &runtime.CreateContainerRequest{
		PodSandboxId: pod, SandboxConfig: podCfg,
		Config: &runtime.ContainerConfig{
			Metadata: &runtime.ContainerMetadata{Name: "app"},
			Image:    &runtime.ImageSpec{Image: id, UserSpecifiedImage: "busybox"},
			Command:  []string{"true"},
			Linux:    &runtime.LinuxContainerConfig{},
		},
	})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	wantName, wantRef := "docker.io/library/busybox:latest", "docker.io/library/busybox@"+served(t, reg, "docker.io/library/busybox:latest")

	st := d.containerStatus(t, resp.ContainerId)
	if st.Image.GetImage() != wantName || st.Image.GetUserSpecifiedImage() != "busybox" || st.ImageRef != wantRef || st.ImageId != id {
		t.Errorf("ContainerStatus: image %+v, image_ref %q, image_id %q; want %q, %q, %q", st.Image, st.ImageRef, st.ImageId, wantName, wantRef, id)
	}
	list, err := d.runtime.ListContainers(ctxT(t), &runtime.ListContainersRequest{Filter: &runtime.ContainerFilter{Id: resp.ContainerId}})
	if err != nil || len(list.Containers) != 1 {
		t.Fatalf("ListContainers: %v, %v", list, err)
	}
	if c := list.Containers[0]; c.Image.GetImage() != wantName || c.ImageRef != wantRef || c.ImageId != id {
		t.Errorf("ListContainers: image %+v, image_ref %q, image_id %q; want %q, %q, %q", c.Image, c.ImageRef, c.ImageId, wantName, wantRef, id)
	}
}
