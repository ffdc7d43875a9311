package servicepods

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

func TestTargetPort(t *testing.T) {
	p := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Ports: []corev1.ContainerPort{{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}}},
		{Ports: []corev1.ContainerPort{{Name: "dns", ContainerPort: 5353}, {Name: "http", ContainerPort: 8080}}},
	}}}
	tests := []struct {
		name string
		sp   corev1.ServicePort
		want int32 // 0: not found
	}{
		{"named, protocol TCP by default", corev1.ServicePort{Port: 80, TargetPort: intstr.FromString("dns")}, 5353},
		{"named UDP", corev1.ServicePort{Port: 80, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")}, 53},
		{"named in the second container", corev1.ServicePort{Port: 80, TargetPort: intstr.FromString("http")}, 8080},
		{"missing name", corev1.ServicePort{Port: 80, TargetPort: intstr.FromString("metrics")}, 0},
		{"number, declared or not", corev1.ServicePort{Port: 80, TargetPort: intstr.FromInt32(9999)}, 9999},
		{"unset: the port itself", corev1.ServicePort{Port: 80}, 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := TargetPort(p, &tt.sp)
			if !ok {
				got = 0
			}
			if got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestIPs(t *testing.T) {
	p := &corev1.Pod{Status: corev1.PodStatus{PodIP: "10.0.0.1", PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}, {IP: "fd00::1"}}}}
	if got := IPs(p, false); !slices.Equal(got, []string{"10.0.0.1"}) {
		t.Errorf("v4: %v", got)
	}
	if got := IPs(p, true); !slices.Equal(got, []string{"fd00::1"}) {
		t.Errorf("v6: %v", got)
	}
	p.Status.PodIPs = nil
	if got := IPs(p, false); !slices.Equal(got, []string{"10.0.0.1"}) {
		t.Errorf("podIP only: %v", got)
	}
}

func TestHandlers(t *testing.T) {
	svcs := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, s := range []*corev1.Service{
		{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "canary", Namespace: "ns"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "canary"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "manual", Namespace: "ns"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "other"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}},
	} {
		if err := svcs.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	h := &Handlers{Services: corelisters.NewServiceLister(svcs), Enqueue: func(k string) { got = append(got, k) }}
	pod := func(app, rv, ip string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Labels: map[string]string{"app": app}, ResourceVersion: rv},
			Status:     corev1.PodStatus{PodIP: ip},
		}
	}
	check := func(what string, want ...string) {
		t.Helper()
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: queued %q, want %q", what, got, want)
		}
		got = nil
	}
	h.pod(pod("web", "1", ""))
	check("add", "ns/web")
	h.podUpdated(pod("web", "1", ""), pod("web", "2", "10.0.0.1"))
	check("IP set", "ns/web")
	h.podUpdated(pod("web", "2", "10.0.0.1"), pod("web", "3", "10.0.0.1"))
	check("nothing shown changed")
	h.podUpdated(pod("web", "3", "10.0.0.1"), pod("canary", "4", "10.0.0.1"))
	check("relabelled", "ns/canary", "ns/web")
	h.pod(cache.DeletedFinalStateUnknown{Key: "ns/p", Obj: pod("canary", "4", "10.0.0.1")})
	check("deleted, missed by the watch", "ns/canary")
}
