package runner

import (
	"context"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/podspec"
)

// Image pull waiting reasons and back-off, as kubelet's.
const (
	ReasonErrImagePull      = "ErrImagePull"
	ReasonImagePullBackOff  = "ImagePullBackOff"
	ReasonErrImageNeverPull = "ErrImageNeverPull"
	ReasonInvalidImageName  = "InvalidImageName"

	imageBackOffInitial = 10 * time.Second
	imageBackOffMax     = 300 * time.Second
)

// ensureImage makes the container's image present by its pull policy and
// returns the image to run (its ID) and its user.
func (r *Runner) ensureImage(ctx context.Context, pod *corev1.Pod, c *corev1.Container) (string, podspec.ImageUser, string, error) {
	if c.Image == "" {
		return "", podspec.ImageUser{}, ReasonInvalidImageName, fmt.Errorf("container %s has no image", c.Name)
	}
	spec := &runtimeapi.ImageSpec{Image: c.Image, UserSpecifiedImage: c.Image}
	present, err := r.images.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: spec})
	if err != nil {
		return "", podspec.ImageUser{}, ReasonErrImagePull, fmt.Errorf("image status of %q: %w", c.Image, err)
	}
	img := present.GetImage()
	policy := c.ImagePullPolicy
	if policy == "" {
		policy = corev1.PullIfNotPresent
	}
	switch {
	case policy == corev1.PullNever && img == nil:
		msg := fmt.Sprintf("Container image %q is not present with pull policy of Never", c.Image)
		r.event(pod, corev1.EventTypeWarning, ReasonErrImageNeverPull, "%s", msg)
		return "", podspec.ImageUser{}, ReasonErrImageNeverPull, fmt.Errorf("%s", msg)
	case img != nil && policy != corev1.PullAlways:
		r.event(pod, corev1.EventTypeNormal, "Pulled", "Container image %q already present on machine", c.Image)
		return img.Id, imageUser(img), "", nil
	}
	key := string(pod.UID) + "_" + c.Image
	if r.pulls.IsInBackOffSinceUpdate(key, time.Now()) {
		msg := fmt.Sprintf("Back-off pulling image %q", c.Image)
		r.event(pod, corev1.EventTypeNormal, "BackOff", "%s", msg)
		return "", podspec.ImageUser{}, ReasonImagePullBackOff, fmt.Errorf("%s", msg)
	}
	r.event(pod, corev1.EventTypeNormal, "Pulling", "Pulling image %q", c.Image)
	start := time.Now()
	auth, err := r.pullAuth(ctx, pod, c.Image)
	if err != nil {
		return "", podspec.ImageUser{}, ReasonErrImagePull, err
	}
	resp, err := r.images.PullImage(ctx, &runtimeapi.PullImageRequest{Image: spec, Auth: auth})
	if err != nil {
		r.pulls.Next(key, time.Now())
		r.event(pod, corev1.EventTypeWarning, "Failed", "Failed to pull image %q: %v", c.Image, err)
		return "", podspec.ImageUser{}, ReasonErrImagePull, fmt.Errorf("failed to pull image %q: %w", c.Image, err)
	}
	r.pulls.Reset(key)
	r.event(pod, corev1.EventTypeNormal, "Pulled", "Successfully pulled image %q in %s", c.Image, time.Since(start).Round(time.Millisecond))
	st, err := r.images.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: resp.ImageRef}})
	if err != nil || st.GetImage() == nil {
		return resp.ImageRef, podspec.ImageUser{}, "", nil
	}
	return st.GetImage().Id, imageUser(st.GetImage()), "", nil
}

// imageUser is the user the image runs as.
func imageUser(img *runtimeapi.Image) podspec.ImageUser {
	var u podspec.ImageUser
	if img.Uid != nil {
		v := img.Uid.Value
		u.UID = &v
	}
	u.Username = img.Username
	if u.UID == nil && u.Username != "" {
		if n, err := strconv.ParseInt(u.Username, 10, 64); err == nil {
			u.UID = &n
		}
	}
	return u
}
