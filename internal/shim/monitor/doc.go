// Package monitor is skiff-shim, the per-container monitor of DESIGN §1:
// the long-lived "skiff-shim run" and its launcher "skiff-shim start".
// skiffd's side of it is internal/task; package api is what both agree on.
//
// # Processes
//
// skiffd runs "skiff-shim start <flags>" (api.Options) and waits for it.
// start (Launch) runs "skiff-shim run <flags>" in a new session, stdin
// and stdout on /dev/null, stderr appended to the shim log
// (Options.ShimLog, default <bundle>/shim.log), with a pipe on fd 3; it
// waits for run's report, prints it as one JSON line (api.Ready:
// {"shim_pid":…,"pid":…} or {"error":{"code":…,"message":…}}) and
// exits. run is then reparented to init or the nearest subreaper.
//
// run (Run) is born in Options.ShimCgroup (a cgroupfs path, or a
// systemd scope of its own), out of skiffd's cgroup: start moves itself
// there before it starts run. run becomes child subreaper, reads from
// the bundle's config.json whether the process has a terminal, listens on its socket and has the helper verb create (a child
// "skiff-shim create", below) make the container and its process, paused
// before exec, with its stdio held by the shim: stdout and stderr
// on pipes copied into the CRI log file, and stdin on a pipe when asked
// (Options.Stdin); or, for a terminal (the spec's process.terminal), a
// pty whose master the container's init sends back over libcontainer's
// console socket, copied into the log as stdout and written to as stdin.
// The helper gets these as inherited descriptors and exits once the init
// is made; the init is re-parented to run. Then run reports. When the container's process exits, run reads the memory
// cgroup's OOM-kill counter, destroys the container (leftover processes,
// cgroups, state directory), lets the log copiers drain, records the exit
// in the exit file, answers pending Wait and Shutdown requests, removes
// its socket and exits. A shim that cannot deliver its report (skiffd
// gave up) kills and removes its container.
//
// The long-lived shim does no libcontainer work at rest (create.go,
// start.go, signal.go, lazy.go): start reads the exec fifo as "runc
// start" does, signals go to the init's pidfd, kill-all to the pids of
// its cgroup, the OOM count is read from the cgroup's files. What
// libcontainer leaves in the Go heap (JSON type caches, the decoded spec
// and config, garbage no GC collects in an idle process) would stay for
// the container's life. Exec, update, pause, checkpoint and the
// destruction at exit load the container (libcontainer.Load of the
// state directory) and, for exec, the spec on first use.
//
// Most execs need neither: the create helper stores an exec profile in
// the container's state directory (execprofile.go) when the container
// uses nothing that skiff-nsexec, a static C program beside the shim,
// does not do, and an exec without a terminal then runs through it
// (nsexec.go): namespaces, cgroups, user, capabilities, no_new_privs,
// rlimits as libcontainer's setns init sets them, without re-executing
// the Go shim binary. The shim's log says, once per container, which
// path its execs take.
//
// One container per process. The container type owns the life cycle
// behind one mutex, its status changed only by transition, the one table
// of what each status allows (state.go). The server serves the socket,
// one goroutine per connection; the reaper is the only caller of wait4
// and hands exits to their waiters; logFile writes the CRI log; execSync
// runs commands in the container.
//
// # Streaming: exec and attach
//
// Exec and Attach keep their connection after the answer frame for a
// session of stream frames (package api): the client's stdin, end of
// stdin and terminal sizes in, the process's stdout and stderr out, and
// a last frame with the exit code. An exec'd command gets pipes or a
// pty of its own (procIO); it is killed when the client hangs up, and
// its session ends when it exits, background children holding its
// output or not (execDrainGrace). A command that cannot start ends with
// 126, or 127 when its file is not in the container (commandExists),
// its error written to its output. Attach subscribes to the container's
// output (fanout): every client attached gets it from then on, and one
// that falls behind is dropped, never slowing the container; a client's
// input goes to the container's stdin; with stdin_once, the end of the
// first attachment that streamed stdin ends it (a pipe is closed, a
// terminal gets VEOF).
//
// The I/O — procIO, stdio, fanout, session, attachment, execSession,
// execSync's capture, pty — makes no libcontainer call: it gets started
// processes as proc values (exec.go, container.go start them), so that
// the I/O can live in a process apart from libcontainer's work.
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
// JSON, written atomically and durably (api.WriteExit), so it is there
// whole or not at all:
//
//	{"pid":1234,"exit_code":137,"signal":9,"started_at":"…","finished_at":"…",
//	 "oom_killed":false,"reason":"Error"}
//
// exit_code is 128+signal for a killed process; signal is omitted when
// the process exited; started_at is omitted for a container never
// started; reason is Completed (code 0), OOMKilled (the kernel OOM-killed
// a process of the container) or Error.
//
// # Checkpoint and restore
//
// Checkpoint (checkpoint.go) dumps the running container with CRIU,
// leaving it running, under the container's mutex. With --restore-from
// the shim restores the container's processes from CRIU images
// (restore.go) where it would create its process: the container is
// running when the shim reports. libcontainer runs criu by name from
// PATH; useCRIU (criu.go) points PATH at the binary skiffd names. CRIU
// runs as the shim's child, so both calls hold the reaper off.
//
// # Helper verbs
//
// Helper (helper.go) runs the short-lived verbs of api.HelperOptions, one
// libcontainer operation each: create (with --detached, create and
// start), kill and delete. skiffd runs pause containers with them, and
// no monitor; the long-lived shim runs create for its container, with the
// container's stdio as inherited descriptors. A restore (--restore-from)
// still creates the container in process.
//
// The package is linked into the shim binary only: it keeps to the
// standard library, libcontainer, package api and internal/log, no gRPC
// (memory).
package monitor
