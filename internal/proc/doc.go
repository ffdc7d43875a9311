// Package proc knows a process by its pid and its start time (field 22
// of /proc/PID/stat, clock ticks after boot), which together name one
// process for the life of the system: a pid alone may be reused by a
// later process once the first has exited and been reaped.
//
// ID is that pair; Stat reads it back from /proc. A Handle holds a pidfd
// on the process, opened only after checking its start time, so that
// signals through it never reach another process and its exit is seen
// without polling: the pidfd becomes readable when the process exits,
// which Go's poller waits for without a thread. A Handle on a child of
// this process also reaps it (waitid on the pidfd, never wait4(-1),
// which would race with os/exec). Table keeps Handles by key, for
// skiffd's pause processes, which have no monitor of their own.
package proc
