package agent

import (
	"context"
	"errors"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/skiffrt/skiff/controlplane/agent/fakecri"
)

func TestClusterDNS(t *testing.T) {
	kubeDNS := func(ns, name string, ips ...string) *corev1.Service {
		s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		if len(ips) > 0 {
			s.Spec.ClusterIP, s.Spec.ClusterIPs = ips[0], ips
		}
		return s
	}
	tests := []struct {
		name    string
		flag    []string
		objs    []runtime.Object
		apiErr  error
		want    []string
		wantErr bool
		noCalls bool
	}{
		{name: "the ClusterIP of kube-system/kube-dns",
			objs: []runtime.Object{kubeDNS("kube-system", "kube-dns", "10.96.0.10")}, want: []string{"10.96.0.10"}},
		{name: "both families of a dual-stack service",
			objs: []runtime.Object{kubeDNS("kube-system", "kube-dns", "10.96.0.10", "fd00::a")}, want: []string{"10.96.0.10", "fd00::a"}},
		{name: "only spec.clusterIP set",
			objs: []runtime.Object{&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "kube-dns"},
				Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.10"}}},
			want: []string{"10.96.0.10"}},
		{name: "the flag wins, the API is not asked", flag: []string{"10.0.0.53"},
			objs: []runtime.Object{kubeDNS("kube-system", "kube-dns", "10.96.0.10")}, want: []string{"10.0.0.53"}, noCalls: true},
		{name: "no such service: none",
			objs: []runtime.Object{kubeDNS("default", "kube-dns", "10.96.0.11")}},
		{name: "a headless kube-dns: none",
			objs: []runtime.Object{kubeDNS("kube-system", "kube-dns", corev1.ClusterIPNone)}},
		{name: "the API fails: an error (the agent starts again)", apiErr: errors.New("connection refused"), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := fake.NewSimpleClientset(tc.objs...)
			if tc.apiErr != nil {
				client.PrependReactor("get", "services", func(k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, tc.apiErr
				})
			}
			got, err := clusterDNS(context.Background(), Config{Client: client, ClusterDNS: tc.flag})
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("servers %q, want %q", got, tc.want)
			}
			if tc.noCalls && len(client.Actions()) > 0 {
				t.Errorf("API calls: %v", client.Actions())
			}
		})
	}
}

// TestNewLearnsClusterDNS: an agent started without ClusterDNS gives
// ClusterFirst pods the kube-dns service's address.
func TestNewLearnsClusterDNS(t *testing.T) {
	client := fake.NewSimpleClientset(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "kube-dns"},
		Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.10", ClusterIPs: []string{"10.96.0.10"}}})
	a := newAgent(t, client, fakecri.New("busybox"), "")
	o, err := a.dnsOptions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.ClusterDNS, []string{"10.96.0.10"}) {
		t.Errorf("cluster DNS %q", o.ClusterDNS)
	}
}
