package monitor

import (
	"errors"
	"testing"

	"github.com/skiffrt/skiff/internal/shim/api"
)

func TestTransition(t *testing.T) {
	const ok = ""
	tests := []struct {
		from api.Status
		ev   event
		to   api.Status
		code string // ok, or the refusal's wire code
	}{
		{api.StatusCreated, evStart, api.StatusRunning, ok},
		{api.StatusCreated, evExit, api.StatusStopped, ok},
		{api.StatusCreated, evKill, api.StatusCreated, ok},
		{api.StatusCreated, evShutdown, api.StatusCreated, ok},
		{api.StatusCreated, evExec, api.StatusCreated, api.CodeFailedPrecondition},
		{api.StatusCreated, evAttach, api.StatusCreated, api.CodeFailedPrecondition},
		{api.StatusRunning, evExec, api.StatusRunning, ok},
		{api.StatusRunning, evAttach, api.StatusRunning, ok},
		{api.StatusRunning, evKill, api.StatusRunning, ok},
		{api.StatusRunning, evExit, api.StatusStopped, ok},
		{api.StatusRunning, evStart, api.StatusRunning, api.CodeFailedPrecondition},
		{api.StatusRunning, evShutdown, api.StatusRunning, api.CodeFailedPrecondition},
		{api.StatusRunning, evCheckpoint, api.StatusRunning, ok},
		{api.StatusCreated, evCheckpoint, api.StatusCreated, api.CodeFailedPrecondition},
		{api.StatusStopped, evCheckpoint, api.StatusStopped, api.CodeFailedPrecondition},
		{api.StatusStopped, evShutdown, api.StatusStopped, ok},
		{api.StatusStopped, evKill, api.StatusStopped, api.CodeNotFound},
		{api.StatusStopped, evStart, api.StatusStopped, api.CodeFailedPrecondition},
		{api.StatusStopped, evExec, api.StatusStopped, api.CodeFailedPrecondition},
		{api.StatusStopped, evAttach, api.StatusStopped, api.CodeFailedPrecondition},
		{api.StatusStopped, evExit, api.StatusStopped, api.CodeFailedPrecondition},
	}
	for _, tt := range tests {
		t.Run(string(tt.from)+"/"+string(tt.ev), func(t *testing.T) {
			to, err := transition(tt.from, tt.ev)
			if to != tt.to {
				t.Errorf("status %s, want %s", to, tt.to)
			}
			var e *api.Error
			switch {
			case tt.code == ok && err != nil:
				t.Errorf("refused: %v", err)
			case tt.code != ok && (!errors.As(err, &e) || e.Code != tt.code):
				t.Errorf("err = %#v, want code %q", err, tt.code)
			}
		})
	}
}
