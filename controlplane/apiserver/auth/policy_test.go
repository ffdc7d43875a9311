package auth

import (
	"context"
	"testing"
)

func TestPolicy(t *testing.T) {
	p := DefaultPolicy()
	sched := &User{Name: SchedulerUser}
	cm := &User{Name: ControllerManagerUser}
	dns := &User{Name: DNSUser}
	boot := &User{Name: "system:bootstrap:abcdef", Groups: []string{BootstrappersGroup}}
	alice := &User{Name: "alice"}
	res := func(u *User, verb, group, resource, sub, name string) Attributes {
		return Attributes{User: u, ResourceRequest: true, Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Name: name}
	}
	path := func(u *User, verb, p string) Attributes { return Attributes{User: u, Verb: verb, Path: p} }
	tests := []struct {
		name string
		a    Attributes
		want Decision
	}{
		{"discovery for anyone", path(alice, "get", "/apis/apps/v1"), Allow},
		{"openapi for anyone", path(alice, "get", "/openapi/v3"), Allow},
		{"no metrics for anyone", path(alice, "get", "/metrics"), NoOpinion},
		{"no resources for anyone", res(alice, "list", "", "pods", "", ""), NoOpinion},
		{"scheduler binds", res(sched, "create", "", "pods", "binding", "p"), Allow},
		{"scheduler lists nodes", res(sched, "list", "", "nodes", "", ""), Allow},
		{"scheduler does not write nodes", res(sched, "update", "", "nodes", "", "n"), NoOpinion},
		{"scheduler renews its lease", res(sched, "update", "coordination.k8s.io", "leases", "", "kube-scheduler"), Allow},
		{"scheduler not another lease", res(sched, "update", "coordination.k8s.io", "leases", "", "kube-controller-manager"), NoOpinion},
		{"scheduler reads no secrets", res(sched, "get", "", "secrets", "", "s"), NoOpinion},
		{"controllers write deployments", res(cm, "update", "apps", "deployments", "status", "d"), Allow},
		{"controllers no metrics", path(cm, "get", "/metrics"), NoOpinion},
		{"dns watches endpointslices", res(dns, "watch", "discovery.k8s.io", "endpointslices", "", ""), Allow},
		{"dns lists pods", res(dns, "list", "", "pods", "", ""), Allow},
		{"dns writes nothing", res(dns, "update", "", "services", "", "s"), NoOpinion},
		{"dns reads no secrets", res(dns, "list", "", "secrets", "", ""), NoOpinion},
		{"bootstrap asks a certificate", path(boot, "post", NodeCertificatePath), Allow},
		{"bootstrap reads nothing", res(boot, "get", "", "secrets", "", "s"), NoOpinion},
		{"others ask no certificate", path(alice, "post", NodeCertificatePath), NoOpinion},
		{"no user", Attributes{Verb: "get", Path: "/api"}, NoOpinion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d, _, _ := p.Authorize(context.Background(), tc.a); d != tc.want {
				t.Errorf("got %v, want %v", d, tc.want)
			}
		})
	}
}
