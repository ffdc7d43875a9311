package monitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// loadSpec reads bundle/config.json.
func loadSpec(bundle string) (*specs.Spec, error) {
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil, api.Errorf(api.CodeInvalidArgument, "read OCI spec: %v", err)
	}
	var s specs.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, api.Errorf(api.CodeInvalidArgument, "parse OCI spec: %v", err)
	}
	if s.Process == nil || len(s.Process.Args) == 0 {
		return nil, api.Errorf(api.CodeInvalidArgument, "OCI spec: no process args")
	}
	return &s, nil
}

// libcontainerConfig converts s, whose relative paths are relative to
// the working directory (the bundle). A cgroupsPath of libcontainer's
// systemd form "slice:prefix:name" puts the container in a systemd scope
// (through systemd over D-Bus, as runc --systemd-cgroup does); any other is
// a cgroupfs path, relative to the shim's own cgroup when relative.
func libcontainerConfig(id string, s *specs.Spec) (*configs.Config, error) {
	clampOOMScoreAdj(s.Process)
	cfg, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{
		CgroupName:       id,
		UseSystemdCgroup: s.Linux != nil && isSystemdUnit(s.Linux.CgroupsPath),
		Spec:             s,
	})
	if err != nil {
		return nil, api.Errorf(api.CodeInvalidArgument, "OCI spec: %v", err)
	}
	if cfg.Rlimits, err = rlimits(s.Process.Rlimits); err != nil {
		return nil, err
	}
	cfg.AppArmorProfile = s.Process.ApparmorProfile
	return cfg, nil
}

func isSystemdUnit(cgroupPath string) bool {
	_, _, _, ok := api.SystemdUnit(cgroupPath)
	return ok
}

// clampOOMScoreAdj raises the process's oom_score_adj to the shim's own:
// without CAP_SYS_RESOURCE a child cannot go below its parent, and
// libcontainer would fail the start ("failed to update
// /proc/self/oom_score_adj: Permission denied").
func clampOOMScoreAdj(p *specs.Process) {
	if p.OOMScoreAdj == nil {
		return
	}
	b, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return
	}
	own, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || *p.OOMScoreAdj >= own {
		return
	}
	slog.Warn("oom_score_adj below the shim's own; clamped", "requested", *p.OOMScoreAdj, "used", own)
	p.OOMScoreAdj = &own
}

var rlimitTypes = map[string]int{
	"RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_STACK": unix.RLIMIT_STACK,
	"RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_AS": unix.RLIMIT_AS,
	"RLIMIT_LOCKS": unix.RLIMIT_LOCKS, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
}

func rlimits(in []specs.POSIXRlimit) ([]configs.Rlimit, error) {
	var out []configs.Rlimit
	for _, r := range in {
		t, ok := rlimitTypes[r.Type]
		if !ok {
			return nil, api.Errorf(api.CodeInvalidArgument, "OCI spec: unknown rlimit %q", r.Type)
		}
		out = append(out, configs.Rlimit{Type: t, Hard: r.Hard, Soft: r.Soft})
	}
	return out, nil
}

// newProcess returns the libcontainer process for the spec's process;
// the container's config supplies capabilities, rlimits, no_new_privs and
// the AppArmor profile.
func newProcess(p *specs.Process) *libcontainer.Process {
	lp := &libcontainer.Process{
		Args:     p.Args,
		Env:      p.Env,
		UID:      int(p.User.UID),
		GID:      int(p.User.GID),
		Cwd:      p.Cwd,
		LogLevel: strconv.Itoa(int(logrus.GetLevel())),
	}
	for _, g := range p.User.AdditionalGids {
		lp.AdditionalGroups = append(lp.AdditionalGroups, int(g))
	}
	return lp
}

// execProcess returns the process for req: the spec's process with req's
// command and, where given, its env, cwd and user.
func execProcess(p *specs.Process, req *api.ExecRequest) *libcontainer.Process {
	lp := newProcess(p)
	lp.Args = req.Cmd
	if len(req.Env) > 0 {
		lp.Env = req.Env
	}
	if req.Cwd != "" {
		lp.Cwd = req.Cwd
	}
	if u := req.User; u != nil {
		lp.UID, lp.GID, lp.AdditionalGroups = int(u.UID), int(u.GID), nil
		for _, g := range u.AdditionalGids {
			lp.AdditionalGroups = append(lp.AdditionalGroups, int(g))
		}
	}
	return lp
}

// classify gives libcontainer's errors a wire code where one fits.
func classify(op string, err error) error {
	code := ""
	switch {
	case errors.Is(err, libcontainer.ErrExist):
		code = api.CodeAlreadyExists
	case errors.Is(err, libcontainer.ErrInvalidID):
		code = api.CodeInvalidArgument
	case errors.Is(err, libcontainer.ErrNotRunning):
		code = api.CodeFailedPrecondition
	}
	return &api.Error{Code: code, Message: fmt.Sprintf("%s: %v", op, err)}
}
