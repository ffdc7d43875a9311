// Package task is skiffd's side of its tasks. A task is one container
// process tree, a pod's pause container or a workload container, under
// its own skiff-shim (DESIGN §1; the shim itself is internal/shim/monitor),
// with the files that go with it: the OCI bundle, the shim's socket and
// its exit record.
//
// Runner is the one handle on tasks, each addressed by its ID: Create
// writes the bundle and launches the shim; Start, State, Stop, Wait,
// ExecSync, ReopenLog and Checkpoint speak to the shim; Exec and Attach
// stream a command's or the task's own stdio through it (Streams); Spec
// reads the bundle's spec; Exit reads the exit it recorded; Delete
// removes a task in any state, with what a shim that
// died left behind. Runner holds nothing but paths: all it knows about a
// task it learns from the shim or, once the shim is gone, from the exit
// file, so it needs no recovery after a skiffd restart. To add a shim
// method: a Method constant and its messages in package api, a case in
// the shim's server, a method of client here and one of Runner.
//
// # Launching
//
// Create runs "skiff-shim start <flags>" (the flags are api.Options) and
// waits for its report, one JSON line (api.Ready: the shim's and the
// container's pids, or a coded error). The long-lived "skiff-shim run"
// has then created the container, its process paused before exec
// (libcontainer Start, as "runc create"); Start runs the user's program
// (libcontainer Exec, as "runc start"). The shim runs in its own session,
// is never skiffd's child and outlives skiffd (kill -9 included). A
// launch abandoned by skiffd (Create's ctx ends) is undone: a shim that
// cannot deliver its report removes its container, and Create shuts down
// one that could.
//
// # Checkpoint and restore
//
// Checkpoint has the shim dump its running container with CRIU
// (libcontainer's Checkpoint, leaving it running). Create with
// CreateOptions.RestoreFrom launches a shim that restores the processes
// from such images (libcontainer's Restore) instead of creating one: the
// task is running when Create returns, and Start is not called. Runner.CRIU
// is the criu binary both run; libcontainer runs "criu" from PATH, so the
// shim puts a directory with a symlink to it first in its PATH.
//
// # Tasks without a monitor
//
// CreateDetached runs "skiff-shim create --detached" (api.HelperOptions),
// which creates and starts the container and exits: the container's init
// is re-parented to skiffd and nothing records its exit. The caller
// knows it by pid and start time (internal/proc). DeleteDetached runs
// "skiff-shim delete --force", then Delete. Pause containers run so.
//
// # Protocol and errors
//
// One request per connection on the shim's unix socket (package api);
// Exec and Attach then keep the connection for their session.
// client maps the wire codes onto internal/errdefs classes. A shim that
// is gone (no socket, nobody listening) is errdefs.ErrNotFound; one that
// dies mid-request is errdefs.ErrUnavailable; a ctx that ends is
// ErrCanceled or ErrDeadlineExceeded. Closing the connection cancels the
// request: an ExecSync or Exec whose caller gave up is killed, an Attach
// detaches.
//
// # Recovery
//
// A restarted skiffd asks each shim for its State: a live shim answers.
// If the shim is gone, the exit file has the exit; if there is no exit
// file either, the shim died before recording it: its container may
// still run and its cgroups and libcontainer state are left
// (libcontainer's Load then fails), which Delete kills and removes with
// the cgroup path recorded at creation.
//
// # Requirements on the caller
//
//   - The shim binary must not live under the state root: libcontainer's
//     read-only overlay sealing of /proc/self/exe then fails and it copies
//     the binary on every start and exec.
//   - linux.cgroupsPath should be absolute (cgroupfs) or libcontainer's
//     systemd form "slice:prefix:name": a relative cgroupfs path is
//     relative to the shim's own cgroup, as in runc.
//   - A shim is reparented to init when its starter exits. Where init does
//     not reap orphans, exited shims stay zombies unless skiffd is a child
//     subreaper (BecomeSubreaper) and reaps them, as Create arranges.
package task
