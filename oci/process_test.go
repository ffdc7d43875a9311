package oci

import (
	"slices"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func TestProcessArgs(t *testing.T) {
	img := ImageConfig{Entrypoint: []string{"/entry", "-e"}, Cmd: []string{"cmd", "-c"}}
	tests := []struct {
		name          string
		command, args []string
		img           ImageConfig
		want          []string
	}{
		{"image only", nil, nil, img, []string{"/entry", "-e", "cmd", "-c"}},
		{"args replace cmd", nil, []string{"a"}, img, []string{"/entry", "-e", "a"}},
		{"command replaces entrypoint and drops cmd", []string{"sh"}, nil, img, []string{"sh"}},
		{"command and args", []string{"sh"}, []string{"-c", "true"}, img, []string{"sh", "-c", "true"}},
		{"empty entrypoint entry", nil, nil, ImageConfig{Entrypoint: []string{""}, Cmd: []string{"x"}}, []string{"x"}},
		{"cmd only", nil, nil, ImageConfig{Cmd: []string{"x", "y"}}, []string{"x", "y"}},
		{"entrypoint only", nil, nil, ImageConfig{Entrypoint: []string{"e"}}, []string{"e"}},
		{"args without anything else", nil, []string{"a"}, ImageConfig{}, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := processArgs(tt.command, tt.args, tt.img)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("processArgs = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := processArgs(nil, nil, ImageConfig{Entrypoint: []string{""}}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("no command at all: err = %v, want InvalidArgument", err)
	}
}

func TestProcessEnv(t *testing.T) {
	got := processEnv([]string{"HOSTNAME=web-0"}, []string{"A=image", "PATH=/image", "B=image"}, []string{"A=cri", "C=cri"})
	want := []string{"PATH=/image", "HOSTNAME=web-0", "A=cri", "B=image", "C=cri"}
	if !slices.Equal(got, want) {
		t.Errorf("processEnv = %q, want %q", got, want)
	}
	if got := processEnv(); !slices.Equal(got, []string{defaultPath}) {
		t.Errorf("processEnv() = %q, want the default PATH", got)
	}
}

func TestCRIEnvRejects(t *testing.T) {
	for _, kv := range []*runtime.KeyValue{{Key: ""}, {Key: "A=B"}, {Key: "A", Value: []byte("x\x00y")}} {
		if _, err := criEnv([]*runtime.KeyValue{kv}); !errdefs.IsInvalidArgument(err) {
			t.Errorf("criEnv(%q=%q) = %v, want InvalidArgument", kv.Key, kv.Value, err)
		}
	}
}

func TestProcessCwd(t *testing.T) {
	tests := []struct {
		cri, image, want string
		ok               bool
	}{
		{"", "", "/", true},
		{"", "/srv/", "/srv", true},
		{"/work", "/srv", "/work", true},
		{"work", "", "", false},
		{"", "srv", "", false},
	}
	for _, tt := range tests {
		got, err := processCwd(tt.cri, ImageConfig{WorkingDir: tt.image})
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("processCwd(%q, %q) = %q, %v; want %q (ok %v)", tt.cri, tt.image, got, err, tt.want, tt.ok)
		}
	}
}
