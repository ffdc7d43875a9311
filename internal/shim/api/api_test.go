package api

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	in := Request{Version: Version, Method: MethodKill, Body: []byte(`{"signal":9}`)}
	if err := WriteFrame(&buf, &in); err != nil {
		t.Fatal(err)
	}
	var out Request
	if err := ReadFrame(&buf, &out, 1<<10); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("got %+v, want %+v", out, in)
	}
}

func TestFrameErrors(t *testing.T) {
	var buf bytes.Buffer
	WriteFrame(&buf, &Request{Method: strings.Repeat("x", 100)})
	if err := ReadFrame(bytes.NewReader(buf.Bytes()), &Request{}, 50); err == nil {
		t.Error("oversized frame accepted")
	}
	if err := ReadFrame(bytes.NewReader(buf.Bytes()[:20]), &Request{}, 1<<10); err == nil {
		t.Error("short frame accepted")
	}
	if err := ReadFrame(bytes.NewReader([]byte{0, 0, 0, 2, '{', '['}), &Request{}, 1<<10); err == nil {
		t.Error("bad JSON accepted")
	}
}

func TestOptionsRoundTrip(t *testing.T) {
	o := Options{
		ID: "abc", Bundle: "/b", StateRoot: "/s", LogPath: "/l/x.log", Socket: "/r/s.sock",
		ExitFile: "/r/exit", ShimLog: "/b/other.log", ShimCgroup: "/skiff-shims", Stdin: true, StdinOnce: true,
		RestoreFrom: "/b/checkpoint", CRIU: "/opt/criu/criu", SeccompCache: "/r/seccomp-bpf",
	}
	got, err := ParseOptions(o.Args())
	if err != nil {
		t.Fatal(err)
	}
	if got != o {
		t.Errorf("got %+v, want %+v", got, o)
	}
	o.ShimLog = ""
	got, _ = ParseOptions(o.Args())
	if got.ShimLog != "/b/shim.log" {
		t.Errorf("default shim log = %q", got.ShimLog)
	}
}

func TestOptionsInvalid(t *testing.T) {
	ok := Options{ID: "a", Bundle: "/b", StateRoot: "/s", Socket: "/s.sock", ExitFile: "/e"}
	for _, tc := range []struct {
		name string
		mod  func(*Options)
		code string
	}{
		{"no id", func(o *Options) { o.ID = "" }, CodeInvalidArgument},
		{"relative bundle", func(o *Options) { o.Bundle = "b" }, CodeInvalidArgument},
		{"relative log", func(o *Options) { o.LogPath = "x.log" }, CodeInvalidArgument},
		{"relative restore directory", func(o *Options) { o.RestoreFrom = "checkpoint" }, CodeInvalidArgument},
		{"relative criu", func(o *Options) { o.CRIU = "criu" }, CodeInvalidArgument},
		{"relative seccomp cache", func(o *Options) { o.SeccompCache = "seccomp-bpf" }, CodeInvalidArgument},
		{"long socket", func(o *Options) { o.Socket = "/" + strings.Repeat("s", 120) }, CodeInvalidArgument},
		{"stdin once without stdin", func(o *Options) { o.StdinOnce = true }, CodeInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.mod(&o)
			var e *Error
			if err := o.Validate(); !errors.As(err, &e) || e.Code != tc.code {
				t.Errorf("Validate = %v, want code %s", err, tc.code)
			}
		})
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
	if _, err := ParseOptions([]string{"--nope"}); err == nil {
		t.Error("unknown flag accepted")
	}
}

func TestExitFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "exit.json")
	if _, err := ReadExit(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadExit of nothing: %v", err)
	}
	now := time.Now()
	in := &Exit{Pid: 7, ExitCode: 137, Signal: 9, StartedAt: now.Add(-time.Second), FinishedAt: now, OOMKilled: true, Reason: ReasonOOMKilled}
	if err := WriteExit(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadExit(path)
	if err != nil {
		t.Fatal(err)
	}
	if !out.StartedAt.Equal(in.StartedAt) || !out.FinishedAt.Equal(in.FinishedAt) {
		t.Errorf("times: got %+v, want %+v", out, in)
	}
	out.StartedAt, out.FinishedAt = in.StartedAt, in.FinishedAt
	if *out != *in {
		t.Errorf("got %+v, want %+v", out, in)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	raw, _ := os.ReadFile(path)
	for _, key := range []string{`"exit_code":137`, `"signal":9`, `"oom_killed":true`, `"reason":"OOMKilled"`, `"started_at":`, `"finished_at":`} {
		if !bytes.Contains(raw, []byte(key)) {
			t.Errorf("exit file %s lacks %s", raw, key)
		}
	}
}
