package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// seccompProfile is a Localhost profile file: the OCI LinuxSeccomp fields
// plus what docker's profile format adds and profiles in the wild use
// (archMap, a singular name, includes/excludes by capability and arch).
type seccompProfile struct {
	DefaultAction    specs.LinuxSeccompAction `json:"defaultAction"`
	DefaultErrnoRet  *uint                    `json:"defaultErrnoRet,omitempty"`
	Architectures    []specs.Arch             `json:"architectures"`
	ArchMap          []seccompArchMap         `json:"archMap"`
	Flags            []specs.LinuxSeccompFlag `json:"flags"`
	ListenerPath     string                   `json:"listenerPath"`
	ListenerMetadata string                   `json:"listenerMetadata"`
	Syscalls         []seccompProfileSyscall  `json:"syscalls"`
}

type seccompArchMap struct {
	Arch      specs.Arch   `json:"architecture"`
	SubArches []specs.Arch `json:"subArchitectures"`
}

type seccompProfileSyscall struct {
	Name     string                   `json:"name"`
	Names    []string                 `json:"names"`
	Action   specs.LinuxSeccompAction `json:"action"`
	ErrnoRet *uint                    `json:"errnoRet,omitempty"`
	Args     []specs.LinuxSeccompArg  `json:"args"`
	Includes seccompFilter            `json:"includes"`
	Excludes seccompFilter            `json:"excludes"`
}

// seccompFilter limits a rule to containers holding all of Caps (includes)
// or none of them (excludes), on one of Arches (GOARCH names). MinKernel
// is not honoured.
type seccompFilter struct {
	Caps   []string `json:"caps"`
	Arches []string `json:"arches"`
}

var (
	seccompActions = []specs.LinuxSeccompAction{
		specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap,
		specs.ActErrno, specs.ActTrace, specs.ActAllow, specs.ActLog, specs.ActNotify,
	}
	seccompOps = []specs.LinuxSeccompOperator{
		specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
		specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual,
	}
)

// parseSeccompProfile turns a profile file into the container's filter,
// keeping the rules that apply to a container holding caps on goarch.
func parseSeccompProfile(data []byte, caps []string, goarch string) (*specs.LinuxSeccomp, error) {
	var p seccompProfile
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("not a seccomp profile: %w", err)
	}
	if !slices.Contains(seccompActions, p.DefaultAction) {
		return nil, fmt.Errorf("defaultAction %q is not a seccomp action", p.DefaultAction)
	}
	s := &specs.LinuxSeccomp{
		DefaultAction:    p.DefaultAction,
		DefaultErrnoRet:  p.DefaultErrnoRet,
		Architectures:    profileArches(p, goarch),
		Flags:            p.Flags,
		ListenerPath:     p.ListenerPath,
		ListenerMetadata: p.ListenerMetadata,
	}
	for i, sc := range p.Syscalls {
		if !sc.Includes.matches(caps, goarch, true) || sc.Excludes.matches(caps, goarch, false) {
			continue
		}
		rule, err := profileRule(sc)
		if err != nil {
			return nil, fmt.Errorf("syscalls[%d]: %w", i, err)
		}
		s.Syscalls = append(s.Syscalls, rule)
	}
	return s, nil
}

// profileArches is the profile's architectures, or else its archMap entry
// for goarch's native architecture with the sub-architectures.
func profileArches(p seccompProfile, goarch string) []specs.Arch {
	if len(p.Architectures) > 0 || len(seccompArches[goarch]) == 0 {
		return p.Architectures
	}
	native := seccompArches[goarch][0]
	for _, m := range p.ArchMap {
		if m.Arch == native {
			return append([]specs.Arch{m.Arch}, m.SubArches...)
		}
	}
	return nil
}

// matches reports whether f selects the container. An includes filter
// (all true) needs every listed capability and one listed arch; an
// excludes filter matches with any listed capability or arch.
func (f seccompFilter) matches(caps []string, goarch string, all bool) bool {
	if all {
		for _, c := range f.Caps {
			if !slices.Contains(caps, c) {
				return false
			}
		}
		return len(f.Arches) == 0 || slices.Contains(f.Arches, goarch)
	}
	for _, c := range f.Caps {
		if slices.Contains(caps, c) {
			return true
		}
	}
	return slices.Contains(f.Arches, goarch)
}

// profileRule checks one syscall rule and converts it.
func profileRule(sc seccompProfileSyscall) (specs.LinuxSyscall, error) {
	names := sc.Names
	if sc.Name != "" {
		names = append([]string{sc.Name}, names...)
	}
	if len(names) == 0 {
		return specs.LinuxSyscall{}, errors.New("no syscall names")
	}
	if !slices.Contains(seccompActions, sc.Action) {
		return specs.LinuxSyscall{}, fmt.Errorf("action %q is not a seccomp action", sc.Action)
	}
	for _, a := range sc.Args {
		if !slices.Contains(seccompOps, a.Op) {
			return specs.LinuxSyscall{}, fmt.Errorf("op %q is not a seccomp operator", a.Op)
		}
	}
	return specs.LinuxSyscall{Names: names, Action: sc.Action, ErrnoRet: sc.ErrnoRet, Args: sc.Args}, nil
}
