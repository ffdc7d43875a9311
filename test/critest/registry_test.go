package main

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestScanRegistry(t *testing.T) {
	fixture, err := os.ReadFile("testdata/registry-stdout.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		input   string
		addr    string
		served  int
		wantErr string
	}{
		{name: "references then ready", input: string(fixture), addr: "127.0.0.1:41234", served: 4},
		{name: "exits before ready", input: "docker.io/library/busybox:1 -> 127.0.0.1:1/library/busybox:1\n", wantErr: "exited before printing its ready line"},
		{name: "ready line without address", input: "ready \n", wantErr: "bad ready line"},
		{name: "nothing", input: "", wantErr: "exited before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			calls := 0
			var addr string
			var sv []served
			var gotErr error
			scanRegistry(strings.NewReader(tt.input), &log, func(a string, s []served, err error) {
				calls++
				addr, sv, gotErr = a, s, err
			})
			if calls != 1 {
				t.Fatalf("ready called %d times, want once", calls)
			}
			if log.String() != tt.input {
				t.Errorf("log = %q, want every line: %q", log.String(), tt.input)
			}
			if tt.wantErr != "" {
				if gotErr == nil || !strings.Contains(gotErr.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", gotErr, tt.wantErr)
				}
				return
			}
			if gotErr != nil {
				t.Fatal(gotErr)
			}
			if addr != tt.addr || len(sv) != tt.served {
				t.Errorf("got %q with %d references, want %q with %d", addr, len(sv), tt.addr, tt.served)
			}
		})
	}
}

func TestMirroring(t *testing.T) {
	const addr = "127.0.0.1:41234"
	sv := []served{
		{"gcr.io/k8s-staging-cri-tools/test-image-latest:latest", addr + "/k8s-staging-cri-tools/test-image-latest:latest"},
		{"k8s.gcr.io/pause:3.9", addr + "/pause:3.9"},
		{"busybox:latest", addr + "/library/busybox:latest"},
		{"quay.io/x/y@sha256:abc", addr + "/renamed/y@sha256:abc"},
		{"localhost:5000/z:1", addr + "/z:1"},
	}
	wantHosts := []string{"docker.io", "gcr.io", "k8s.gcr.io", "localhost:5000", "quay.io", "registry.k8s.io"}
	if got := mirroredHosts(sv); !reflect.DeepEqual(got, wantHosts) {
		t.Errorf("mirroredHosts = %q, want %q", got, wantHosts)
	}
	if got, want := unmirrorable(addr, sv), []served{sv[3]}; !reflect.DeepEqual(got, want) {
		t.Errorf("unmirrorable = %q, want %q", got, want)
	}
	if got := mirroredHosts(nil); !reflect.DeepEqual(got, defaultMirrored) {
		t.Errorf("mirroredHosts(nil) = %q, want the defaults %q", got, defaultMirrored)
	}
}

func TestSplitRef(t *testing.T) {
	tests := []struct{ ref, host, path string }{
		{"busybox", "docker.io", "library/busybox"},
		{"busybox:1.36", "docker.io", "library/busybox:1.36"},
		{"docker.io/busybox:1", "docker.io", "library/busybox:1"},
		{"index.docker.io/library/busybox", "docker.io", "library/busybox"},
		{"user/image:tag", "docker.io", "user/image:tag"},
		{"registry.k8s.io/pause:3.9", "registry.k8s.io", "pause:3.9"},
		{"gcr.io/k8s-staging-cri-tools/test-image-digest@sha256:97", "gcr.io", "k8s-staging-cri-tools/test-image-digest@sha256:97"},
		{"localhost/x", "localhost", "x"},
		{"127.0.0.1:5000/a/b:c", "127.0.0.1:5000", "a/b:c"},
	}
	for _, tt := range tests {
		host, path := splitRef(tt.ref)
		if host != tt.host || path != tt.path {
			t.Errorf("splitRef(%q) = %q, %q; want %q, %q", tt.ref, host, path, tt.host, tt.path)
		}
	}
}
