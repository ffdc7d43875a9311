package state

import (
	"bytes"
	"context"
	"io"
	"os"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-client/pkg/logs"
)

// Limits of a termination message, as kubelet's.
const (
	maxMessageBytes = 4096
	maxLogBytes     = 2048
	maxLogLines     = 80
)

// terminationMessage is the runtime's message followed by what the
// container wrote to its termination message file or, failing that under
// FallbackToLogsOnError after a failure, the end of its log.
func terminationMessage(c *Container, mounts []*runtimeapi.Mount) string {
	msg := readMessageFile(c.TerminationMessagePath, mounts)
	if msg == "" && c.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError && c.ExitCode != 0 {
		msg = lastLog(c.LogPath)
	}
	switch {
	case msg == "":
		return c.Message
	case c.Message == "":
		return msg
	}
	return c.Message + ": " + msg
}

// readMessageFile reads the host side of the mount at path.
func readMessageFile(path string, mounts []*runtimeapi.Mount) string {
	if path == "" {
		return ""
	}
	for _, m := range mounts {
		if m.GetContainerPath() != path {
			continue
		}
		f, err := os.Open(m.GetHostPath())
		if err != nil {
			return ""
		}
		defer f.Close()
		b, _ := io.ReadAll(io.LimitReader(f, maxMessageBytes))
		return string(b)
	}
	return ""
}

// lastLog is the end of a CRI log file: 80 lines, at most 2 KiB.
func lastLog(path string) string {
	if path == "" {
		return ""
	}
	lines, limit := int64(maxLogLines), int64(maxLogBytes)
	var buf bytes.Buffer
	opts := &logs.LogOptions{TailLines: &lines, LimitBytes: &limit}
	if err := logs.ReadLogs(context.Background(), path, "", opts, nil, &buf, &buf); err != nil && buf.Len() == 0 {
		return ""
	}
	return buf.String()
}

func isNotFound(err error) bool { return status.Code(err) == codes.NotFound }
