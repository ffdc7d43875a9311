package figure

import "testing"

// TestBoundKeys: the keys the benchmark's breakdown notes look up are
// those the pod start and stop + remove figures record.
func TestBoundKeys(t *testing.T) {
	if p50, _, _ := percentileFigures(podStartKey(1), "", 0); p50.Key != KeyPodStartSerialP50 {
		t.Errorf("serial pod start p50 key %q, want %q", p50.Key, KeyPodStartSerialP50)
	}
	if p50, _, _ := percentileFigures(stopRemoveKey, "", 0); p50.Key != KeyStopRemoveP50 {
		t.Errorf("stop + remove p50 key %q, want %q", p50.Key, KeyStopRemoveP50)
	}
}
