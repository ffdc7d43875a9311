package main

import "testing"

func TestParseSpan(t *testing.T) {
	tests := []struct {
		line string
		name string
		ms   float64
		ok   bool
	}{
		{`time=T level=DEBUG msg=span sandbox_id=abc span=cni.add ms=61.25`, "cni.add", 61.25, true},
		{`time=T level=DEBUG msg="CRI call" method=/runtime.v1.RuntimeService/RunPodSandbox code=OK duration=123.5ms`, "rpc RunPodSandbox", 123.5, true},
		{`time=T level=DEBUG msg="CRI call" method=/runtime.v1.ImageService/PullImage code=OK duration=850µs`, "rpc PullImage", 0.85, true},
		{`time=T level=INFO msg="pod sandbox ready" span=x ms=1`, "", 0, false},
		{`time=T level=DEBUG msg=span span=x ms=bad`, "", 0, false},
	}
	for _, tt := range tests {
		name, ms, ok := parseSpan(tt.line)
		if ok != tt.ok || (ok && (name != tt.name || ms != tt.ms)) {
			t.Errorf("parseSpan(%q) = %q, %v, %v; want %q, %v, %v", tt.line, name, ms, ok, tt.name, tt.ms, tt.ok)
		}
	}
}
