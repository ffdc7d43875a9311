package health

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Problem says why a part is not ready. Reason is a short CamelCase word,
// as kubelet shows it; Message is for a person.
type Problem struct {
	Reason  string
	Message string
}

// A Check returns nil when its part is ready. It must be cheap: kubelet
// calls Status every few seconds.
type Check func(ctx context.Context) *Problem

// Runtime checks that skiffd can run containers: the shim binary is
// executable and the state directories exist and are writable.
func Runtime(shimPath string, dirs ...string) Check {
	return func(context.Context) *Problem {
		if err := unix.Access(shimPath, unix.X_OK); err != nil {
			return &Problem{"ShimNotExecutable", fmt.Sprintf("skiff-shim at %s: %v", shimPath, err)}
		}
		for _, d := range dirs {
			if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
				return &Problem{"StateDirMissing", fmt.Sprintf("state directory %s is missing: %v", d, err)}
			}
			if err := unix.Access(d, unix.W_OK); err != nil {
				return &Problem{"StateDirNotWritable", fmt.Sprintf("state directory %s: %v", d, err)}
			}
		}
		return nil
	}
}

// Network reports the pod network as not ready while status returns an
// error, with the error as the message.
func Network(status func() error) Check {
	return func(context.Context) *Problem {
		if err := status(); err != nil {
			return &Problem{"NetworkPluginNotReady", err.Error()}
		}
		return nil
	}
}
