package oci

import (
	"slices"
	"testing"
)

func TestBoundingCapabilities(t *testing.T) {
	caps := boundingCapabilities()
	if len(caps) == 0 || !slices.Contains(caps, "CAP_CHOWN") {
		t.Fatalf("bounding set %v lacks CAP_CHOWN", caps)
	}
	for _, c := range caps {
		if !slices.Contains(allCapabilities, c) {
			t.Errorf("unknown capability %s", c)
		}
	}
}

func TestPrivilegedGetsOnlyHostCapabilities(t *testing.T) {
	host := []string{"CAP_CHOWN", "CAP_KILL"}
	got, err := capabilitySet(nil, true, host)
	if err != nil || !slices.Equal(got, host) {
		t.Errorf("privileged caps = %v, %v; want %v", got, err, host)
	}
}
