package deployment

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestFenceposts(t *testing.T) {
	pct, num := intstr.FromString, func(n int) intstr.IntOrString { return intstr.FromInt32(int32(n)) }
	tests := []struct {
		surge, unavailable intstr.IntOrString
		desired            int32
		wantSurge, wantU   int32
	}{
		{pct("25%"), pct("25%"), 10, 3, 2}, // surge rounds up, unavailable down
		{pct("25%"), pct("25%"), 4, 1, 1},
		{pct("25%"), pct("25%"), 1, 1, 0},
		{pct("25%"), pct("25%"), 0, 0, 1}, // both zero: one may be unavailable
		{num(0), num(0), 5, 0, 1},
		{pct("0%"), pct("0%"), 5, 0, 1},
		{num(2), num(0), 5, 2, 0},
		{pct("100%"), pct("50%"), 3, 3, 1},
		{pct("10%"), pct("10%"), 15, 2, 1},
	}
	for _, tt := range tests {
		s, u := fenceposts(&tt.surge, &tt.unavailable, tt.desired)
		if s != tt.wantSurge || u != tt.wantU {
			t.Errorf("fenceposts(%s, %s, %d) = %d, %d; want %d, %d", tt.surge.String(), tt.unavailable.String(), tt.desired, s, u, tt.wantSurge, tt.wantU)
		}
	}
}

func TestMaxUnavailableAndSurge(t *testing.T) {
	tests := []struct {
		name                  string
		d                     *appsv1.Deployment
		wantSurge, wantUnavai int32
	}{
		{"rolling 25% of 10", deployment(10), 3, 2},
		{"unavailable capped at replicas", deploymentWith(2, "0", "5"), 0, 2},
		{"no replicas", deployment(0), 0, 0},
		{"recreate", recreate(deployment(10)), 0, 0},
	}
	for _, tt := range tests {
		if s, u := maxSurge(tt.d), maxUnavailable(tt.d); s != tt.wantSurge || u != tt.wantUnavai {
			t.Errorf("%s: surge %d unavailable %d", tt.name, s, u)
		}
	}
}

func TestNewRSReplicas(t *testing.T) {
	tests := []struct {
		name      string
		d         *appsv1.Deployment
		old, new_ int32
		want      int32
	}{
		{"first rollout takes surge room", deployment(4), 0, 0, 4},
		{"surge of one", deployment(4), 4, 0, 1},
		{"no room", deployment(4), 4, 1, 1},
		{"room after old shrank", deployment(4), 2, 1, 3},
		{"never beyond desired", deploymentWith(4, "10", "0"), 1, 2, 4},
		{"recreate takes all", recreate(deployment(4)), 4, 0, 4},
	}
	for _, tt := range tests {
		newRS := rs("new", tt.new_, 0)
		if got := newRSReplicas(tt.d, []*appsv1.ReplicaSet{rs("old", tt.old, 0), newRS}, newRS); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestProportion(t *testing.T) {
	withMax := func(name string, size int32, maxReplicas string) *appsv1.ReplicaSet {
		r := rs(name, size, 0)
		r.Annotations = map[string]string{MaxReplicasAnnotation: maxReplicas}
		return r
	}
	tests := []struct {
		name         string
		d            *appsv1.Deployment
		rs           *appsv1.ReplicaSet
		toAdd, added int32
		want         int32
	}{
		// Scaled from 10 (max 13 with 25% surge) to 20 (max 25): a
		// ReplicaSet of 5 grows to round(5*25/13) = 10.
		{"its share of a scale-up", deployment(20), withMax("a", 5, "13"), 12, 0, 5},
		{"bounded by what is left", deployment(20), withMax("a", 5, "13"), 12, 10, 2},
		// From 20 (max 25) to 10 (max 13): 10 shrinks to round(10*13/25) = 5.
		{"its share of a scale-down", deployment(10), withMax("a", 10, "25"), -12, 0, -5},
		{"never more than asked to shrink", deployment(10), withMax("a", 10, "25"), -12, -10, -2},
		{"nothing to add", deployment(20), withMax("a", 5, "13"), 0, 0, 0},
		{"an empty ReplicaSet gets nothing", deployment(20), rs("empty", 0, 0), 12, 0, 0},
		{"to zero, all goes", deployment(0), withMax("a", 5, "13"), -5, 0, -5},
	}
	for _, tt := range tests {
		if got := proportion(tt.rs, tt.d, tt.toAdd, tt.added); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}
