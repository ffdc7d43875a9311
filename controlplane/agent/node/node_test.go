package node

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func facts(err error) Facts {
	return Facts{
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.0.2.5"}, {Type: corev1.NodeHostName, Address: "n1"}},
		CPUs:      2, Memory: 4 << 30, Storage: 100 << 30, Port: 10250, RuntimeErr: err,
		Info: corev1.NodeSystemInfo{KernelVersion: "6.18", ContainerRuntimeVersion: "skiff://1.0", KubeletVersion: "v1.37.2"},
	}
}

func condition(s corev1.NodeStatus, t corev1.NodeConditionType) corev1.NodeCondition {
	for _, c := range s.Conditions {
		if c.Type == t {
			return c
		}
	}
	return corev1.NodeCondition{}
}

func TestStatus(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := Status(facts(nil), corev1.NodeStatus{}, t0)
	if c := s.Capacity[corev1.ResourceCPU]; c.Value() != 2 {
		t.Errorf("cpu %v", c)
	}
	if m := s.Allocatable[corev1.ResourceMemory]; m.Value() != 4<<30-100<<20 {
		t.Errorf("allocatable memory %v: capacity less 100Mi", m.String())
	}
	if p := s.Allocatable[corev1.ResourcePods]; p.Value() != 110 {
		t.Errorf("pods %v", p)
	}
	if s.DaemonEndpoints.KubeletEndpoint.Port != 10250 || s.NodeInfo.KernelVersion != "6.18" || len(s.Addresses) != 2 {
		t.Errorf("status %+v", s)
	}
	ready := condition(s, corev1.NodeReady)
	if ready.Status != corev1.ConditionTrue || ready.Reason != "KubeletReady" {
		t.Errorf("ready %+v", ready)
	}

	t1 := t0.Add(time.Minute)
	s2 := Status(facts(nil), s, t1)
	if c := condition(s2, corev1.NodeReady); !c.LastTransitionTime.Time.Equal(t0) || !c.LastHeartbeatTime.Time.Equal(t1) {
		t.Errorf("unchanged Ready: transition %v heartbeat %v", c.LastTransitionTime, c.LastHeartbeatTime)
	}
	if Changed(s, s2) {
		t.Error("only heartbeats moved: not a change")
	}
	err := RuntimeError([]RuntimeCondition{{Type: "RuntimeReady", Status: true}, {Type: "NetworkReady", Reason: "NoCNI", Message: "no config"}})
	s3 := Status(facts(err), s2, t1)
	c := condition(s3, corev1.NodeReady)
	if c.Status != corev1.ConditionFalse || c.Reason != "KubeletNotReady" || !c.LastTransitionTime.Time.Equal(t1) ||
		c.Message != "container runtime not ready: NetworkReady=false reason:NoCNI message:no config" {
		t.Errorf("not ready: %+v", c)
	}
	if !Changed(s2, s3) {
		t.Error("Ready flipped: a change")
	}
}

func TestRegisterAndLease(t *testing.T) {
	client := fake.NewSimpleClientset(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "other"}})
	var runtimeErr error
	r := NewRegistrar(client, Config{Name: "n1", Labels: map[string]string{"role": "worker"},
		Facts:       func(context.Context) Facts { return facts(runtimeErr) },
		StatusEvery: 20 * time.Millisecond, ReportEvery: time.Hour, RenewEvery: 20 * time.Millisecond, LeaseDuration: 40 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Register(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := client.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n.Labels["kubernetes.io/hostname"] != "n1" || n.Labels["role"] != "worker" || n.Labels["kubernetes.io/os"] != "linux" {
		t.Errorf("labels %v", n.Labels)
	}
	if condition(n.Status, corev1.NodeReady).Status != corev1.ConditionTrue {
		t.Errorf("status %+v", n.Status)
	}

	// A second registration (the agent restarted) takes the node over.
	r2 := NewRegistrar(client, r.cfg)
	if err := r2.Register(ctx); err != nil {
		t.Fatal(err)
	}

	runtimeErr = errors.New("runtime down")
	go r.Run(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, _ = client.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
		l, err := client.CoordinationV1().Leases(LeaseNamespace).Get(ctx, "n1", metav1.GetOptions{})
		if err == nil && condition(n.Status, corev1.NodeReady).Status == corev1.ConditionFalse {
			if *l.Spec.HolderIdentity != "n1" || *l.Spec.LeaseDurationSeconds != 40 || l.OwnerReferences[0].Kind != "Node" {
				t.Errorf("lease %+v", l)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no lease (%v) or status not posted: %+v", err, n.Status.Conditions)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A node the lifecycle controller marked Unknown is reported Ready again
// at the next status tick, not ReportEvery later.
func TestReportsAgainAfterAnotherWriter(t *testing.T) {
	client := fake.NewSimpleClientset()
	r := NewRegistrar(client, Config{Name: "n1", Facts: func(context.Context) Facts { return facts(nil) },
		StatusEvery: time.Hour, ReportEvery: time.Hour, RenewEvery: time.Hour, LeaseDuration: 40 * time.Second})
	ctx := context.Background()
	if err := r.Register(ctx); err != nil {
		t.Fatal(err)
	}
	n, _ := client.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
	for i := range n.Status.Conditions {
		n.Status.Conditions[i].Status = corev1.ConditionUnknown
	}
	if _, err := client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := r.postStatus(ctx, false); err != nil {
		t.Fatal(err)
	}
	n, _ = client.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
	if c := condition(n.Status, corev1.NodeReady); c.Status != corev1.ConditionTrue {
		t.Errorf("ready %+v after the agent's next report", c)
	}
}
