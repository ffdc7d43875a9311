package monitor

import "github.com/skiffrt/skiff/internal/shim/api"

// event is something that happens to the shim's container: a request
// (start, exec, kill, shutdown) or the exit of its process.
type event string

const (
	evStart    event = "start"    // Start: exec the user's program
	evExec     event = "exec"     // ExecSync, Exec: run a command beside it
	evAttach   event = "attach"   // Attach: stream its stdio
	evKill     event = "kill"     // Kill: signal the process
	evShutdown event = "shutdown" // Shutdown: kill a created container and wait
	evExit     event = "exit"     // the container's process exited
)

// lifecycle is the whole state machine of the shim's container: for each
// status, the events it allows and the status each leads to. An event
// that is missing is refused.
var lifecycle = map[api.Status]map[event]api.Status{
	api.StatusCreated: {
		evStart: api.StatusRunning, evKill: api.StatusCreated,
		evShutdown: api.StatusCreated, evExit: api.StatusStopped,
	},
	api.StatusRunning: {
		evExec: api.StatusRunning, evAttach: api.StatusRunning, evKill: api.StatusRunning,
		evExit:       api.StatusStopped,
		evCheckpoint: api.StatusRunning,
	},
	api.StatusStopped: {
		evShutdown: api.StatusStopped, // answered with the recorded exit
	},
}

// transition returns the status that ev leads to from status from, or
// an *api.Error classing the refusal: signalling a stopped container is
// not_found (its process is gone, as kill(2) would say), anything else
// failed_precondition.
func transition(from api.Status, ev event) (api.Status, error) {
	if to, ok := lifecycle[from][ev]; ok {
		return to, nil
	}
	code := api.CodeFailedPrecondition
	if from == api.StatusStopped && ev == evKill {
		code = api.CodeNotFound
	}
	return from, api.Errorf(code, "container is %s: cannot %s", from, ev)
}
