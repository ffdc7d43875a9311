// Package shim is skiffd's side of skiff-shim, the per-container monitor
// of DESIGN.md §1: Start launches a shim, Client talks to a running one,
// ReadExit reads the exit it recorded, and Cleanup removes what a shim
// that died left behind.
//
// # Processes
//
// skiffd runs "skiff-shim start <flags>" (Start; the flags are Options)
// and waits for it. start runs "skiff-shim run <flags>" in a new session,
// stdin and stdout on /dev/null, stderr appended to the shim log
// (Options.ShimLog, default <bundle>/shim.log), with a pipe on fd 3; it
// waits for run's report, prints it as one JSON line (api.Ready:
// {"shim_pid":…,"pid":…} or {"error":{"code":…,"message":…}}) and
// exits. run is then reparented to init or the nearest subreaper: it is
// never skiffd's child and outlives skiffd (kill -9 included).
//
// run (package monitor) moves itself into Options.ShimCgroup on every
// hierarchy (out of skiffd's cgroup), becomes child subreaper, loads the
// bundle's config.json, converts it with specconv (oom_score_adj clamped
// to the shim's own), creates the container with libcontainer, listens on
// its socket and starts the container's process paused before exec
// (libcontainer Start, as "runc create"), with stdout and stderr on pipes
// copied into the CRI log file. Then it reports. Client.Start runs the
// user's program (libcontainer Exec, as "runc start").
//
// When the container's process exits, run reads the memory cgroup's
// OOM-kill counter, destroys the container (leftover processes, cgroups,
// state directory), lets the log copiers drain, records the exit in the
// exit file, answers pending Wait and Shutdown requests, removes its
// socket and exits. A start abandoned by skiffd (Start's ctx ends) is
// undone: a shim that cannot deliver its report kills and removes its
// container, and Start shuts down one that could.
//
// # Protocol
//
// One request per connection on the shim's unix socket; each frame is a
// 4-byte big-endian length and a JSON object (package api), requests and
// answers carry the protocol version. Methods: State, Start, Kill,
// ExecSync, ReopenLog, Wait, Shutdown. Errors travel as a code and a
// message; Client maps the codes onto internal/errdefs classes. A shim
// that is gone (no socket, nobody listening) is errdefs.ErrNotFound; one
// that dies mid-request is errdefs.ErrUnavailable. Closing the
// connection cancels the request: an ExecSync whose caller gave up is
// killed.
//
// # The CRI log
//
// Each line is "<RFC3339Nano> <stdout|stderr> <P|F> <text>\n"; stdout and
// stderr interleave in order of arrival. A line longer than 16 KiB is
// written as 16 KiB partial (P) lines and a final (F) one; text left
// unterminated at EOF is written as an F line. ReopenLog reopens the file
// at its path after kubelet has rotated it.
//
// # The exit file
//
// JSON, written to a temporary file, fsynced, renamed into place and the
// directory fsynced, so it is there whole or not at all:
//
//	{"pid":1234,"exit_code":137,"signal":9,"started_at":"…","finished_at":"…",
//	 "oom_killed":false,"reason":"Error"}
//
// exit_code is 128+signal for a killed process; signal is omitted when
// the process exited; started_at is omitted for a container never
// started; reason is Completed (code 0), OOMKilled (the kernel OOM-killed
// a process of the container) or Error.
//
// # Recovery
//
// A restarted skiffd Dials each shim's socket: a live shim answers State.
// If the shim is gone, the exit file has the exit; if there is no exit
// file either, the shim died before recording it: its container may still
// run and its cgroups and libcontainer state are left (libcontainer.Load
// then fails), which Cleanup kills and removes.
//
// # Requirements on the caller
//
//   - The shim binary must not live under the state root: libcontainer's
//     read-only overlay sealing of /proc/self/exe then fails and it copies
//     the binary on every start and exec (FIELD-NOTES).
//   - linux.cgroupsPath should be an absolute cgroupfs path: a relative
//     one is relative to the shim's own cgroup (Options.ShimCgroup), as in
//     runc, and Cleanup cannot find it once the state is gone; systemd's
//     "slice:prefix:name" form is refused (no systemd here).
//   - A shim is reparented to init when its starter exits. Where init does
//     not reap orphans (this VM's pid 1 does not), exited shims stay
//     zombies unless skiffd is a child subreaper that reaps them.
package shim
