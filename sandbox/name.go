package sandbox

import (
	"fmt"
	"strings"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// Name returns the unique name of a pod sandbox, built from its metadata
// as kubelet's runtimes do: k8s_<name>_<namespace>_<uid>_<attempt>.
func Name(md *runtime.PodSandboxMetadata) (string, error) {
	if err := checkMetadata(md); err != nil {
		return "", err
	}
	return strings.Join([]string{"k8s", md.Name, md.Namespace, md.Uid, fmt.Sprint(md.Attempt)}, "_"), nil
}

func checkMetadata(md *runtime.PodSandboxMetadata) error {
	switch {
	case md == nil:
		return fmt.Errorf("%w: pod sandbox config: metadata is missing", errdefs.ErrInvalidArgument)
	case md.Name == "":
		return fmt.Errorf("%w: pod sandbox config: metadata.name is empty", errdefs.ErrInvalidArgument)
	case md.Namespace == "":
		return fmt.Errorf("%w: pod sandbox config: metadata.namespace is empty", errdefs.ErrInvalidArgument)
	case md.Uid == "":
		return fmt.Errorf("%w: pod sandbox config: metadata.uid is empty", errdefs.ErrInvalidArgument)
	}
	return nil
}
