package api

// MethodCheckpoint checkpoints the running container with CRIU
// (CheckpointRequest) and leaves it running.
const MethodCheckpoint = "Checkpoint"

// CheckpointRequest is the body of Checkpoint.
type CheckpointRequest struct {
	// ImagesDir receives CRIU's images; WorkDir its log (dump.log) and
	// statistics (stats-dump). Both absolute; created if missing.
	ImagesDir string `json:"images_dir"`
	WorkDir   string `json:"work_dir"`
	// CRIU is the criu binary; "" runs criu from the shim's PATH.
	CRIU string `json:"criu,omitempty"`
}

// MethodPause freezes the running container's processes (the cgroup
// freezer) until MethodResume; a checkpoint of a paused container leaves
// it paused. CheckpointPod uses them for one consistent cut of a pod.
const MethodPause = "Pause"

// MethodResume thaws a paused container; one not paused is fine.
const MethodResume = "Resume"
