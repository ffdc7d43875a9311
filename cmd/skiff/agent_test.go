package main

import (
	"flag"
	"io"
	"testing"
	"time"
)

func TestNodeLeaseDuration(t *testing.T) {
	tests := []struct {
		name             string
		args             []string
		wantErr          bool
		lease, renewEach time.Duration
	}{
		{"kubelet's default", nil, false, 40 * time.Second, 10 * time.Second},
		{"renewed every quarter", []string{"--node-lease-duration=8s"}, false, 8 * time.Second, 2 * time.Second},
		{"too short", []string{"--node-lease-duration=3s"}, true, 0, 0},
		{"not a duration", []string{"--node-lease-duration=8"}, true, 0, 0},
	}
	for _, tc := range tests {
		var a agentFlags
		fs := flag.NewFlagSet("agent", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		a.register(fs)
		err := fs.Parse(tc.args)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: error %v, want error %v", tc.name, err, tc.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		cfg := a.config(nil, nil, nil)
		if cfg.LeaseDuration != tc.lease || cfg.RenewEvery != tc.renewEach {
			t.Errorf("%s: lease %s renewed every %s, want %s and %s", tc.name, cfg.LeaseDuration, cfg.RenewEvery, tc.lease, tc.renewEach)
		}
	}
}
