package service_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/applyconfigurations"

	"github.com/skiffrt/skiff/controlplane/apiserver"
	"github.com/skiffrt/skiff/controlplane/etcd/etcdtest"
	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/namespace"
	"github.com/skiffrt/skiff/controlplane/registry/service"
	"github.com/skiffrt/skiff/controlplane/storage"
)

var (
	opts = registry.WriteOptions{FieldManager: "test"}
	cfg  = service.Config{CIDR: netip.MustParsePrefix("10.0.0.0/26"), NodePortMin: 30000, NodePortMax: 30063}
)

// server is what one API server has of services: its Store, over the
// etcd all servers of a test share.
type server struct {
	services *registry.Store
	storage  *storage.Store
}

// newServers starts one etcd and n API servers' service stores on it,
// with namespace "default".
func newServers(t *testing.T, n int) []server {
	t.Helper()
	client := etcdtest.Start(t)
	var out []server
	for range n {
		scheme := apiserver.NewScheme()
		st := storage.New(client, storage.NewCodec(scheme), "/registry")
		deps := registry.Deps{Storage: st, Scheme: scheme, TypeConverter: applyconfigurations.NewTypeConverter(scheme)}
		svcs, err := registry.NewStore(service.Kind(cfg), deps)
		if err != nil {
			t.Fatal(err)
		}
		ns, err := registry.NewStore(namespace.Kind(), deps)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ns.Create(context.Background(), "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, opts); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		out = append(out, server{services: svcs, storage: st})
	}
	return out
}

func nodePortService(name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Name: "tcp", Port: 80}, {Name: "udp", Port: 53, Protocol: corev1.ProtocolUDP}}},
	}
}

// claimsOf returns the claims in etcd, as "key=namespace/name".
func claimsOf(t *testing.T, st *storage.Store) []string {
	t.Helper()
	claims, _, err := st.ListClaims(context.Background(), "ranges/")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range claims {
		ns, name, _, ok := registry.OwnerOf(c.Owner)
		if !ok {
			t.Fatalf("claim %s holds %q", c.Key, c.Owner)
		}
		out = append(out, c.Key+"="+ns+"/"+name)
	}
	sort.Strings(out)
	return out
}

// wantClaims lists the claims the stored services should have.
func wantClaims(t *testing.T, s server) []string {
	t.Helper()
	list, err := s.services.List(context.Background(), "", &metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, obj := range registry.ListItems(list) {
		svc := obj.(*corev1.Service)
		ref := "=" + svc.Namespace + "/" + svc.Name
		out = append(out, "ranges/serviceips/"+svc.Spec.ClusterIP+ref)
		for _, p := range svc.Spec.Ports {
			out = append(out, fmt.Sprintf("ranges/servicenodeports/%d%s", p.NodePort, ref))
		}
	}
	sort.Strings(out)
	return out
}

// Two API servers allocating at once on one etcd never hand out one
// address twice, and every address has exactly its service's claim.
func TestConcurrentServersNeverShareAnAddress(t *testing.T) {
	ctx := context.Background()
	servers := newServers(t, 2)
	const n = 30 // 30 of 61 IPs, 60 of 64 node ports: collisions are likely
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := servers[i%2].services.Create(ctx, "default", nodePortService(fmt.Sprintf("s%d", i)), opts)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, want := claimsOf(t, servers[0].storage), wantClaims(t, servers[0])
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("claims\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	seen := map[string]string{}
	for _, c := range got {
		key, owner, _ := strings.Cut(c, "=")
		if prev, dup := seen[key]; dup && prev != owner {
			t.Fatalf("%s held by %s and %s", key, prev, owner)
		}
		seen[key] = owner
	}
	if len(got) != n*3 {
		t.Fatalf("%d claims, want %d", len(got), n*3)
	}
}

// Deleting a service frees its addresses, changing its type frees or
// takes node ports, and a freed address can be asked for again.
func TestClaimsFollowWrites(t *testing.T) {
	ctx := context.Background()
	s := newServers(t, 1)[0]
	created, err := s.services.Create(ctx, "default", nodePortService("a"), opts)
	if err != nil {
		t.Fatal(err)
	}
	a := created.(*corev1.Service)
	if got := claimsOf(t, s.storage); len(got) != 3 {
		t.Fatalf("claims after create %v", got)
	}
	// Created again with its addresses: the service exists, whatever they say.
	if _, err := s.services.Create(ctx, "default", a.DeepCopy(), opts); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("second create: %v", err)
	}
	// Another service asking for a's node port is refused with upstream's message.
	b := nodePortService("b")
	b.Spec.Ports[0].NodePort = a.Spec.Ports[0].NodePort
	if _, err := s.services.Create(ctx, "default", b, opts); err == nil || !strings.Contains(err.Error(), "provided port is already allocated") {
		t.Fatalf("taken node port: %v", err)
	}
	// NodePort → ClusterIP frees the node ports.
	a.Spec.Type = corev1.ServiceTypeClusterIP
	for i := range a.Spec.Ports {
		a.Spec.Ports[i].NodePort = 0
	}
	if _, err := s.services.Update(ctx, "default", "a", "", a, opts); err != nil {
		t.Fatal(err)
	}
	if got, want := claimsOf(t, s.storage), []string{"ranges/serviceips/" + a.Spec.ClusterIP + "=default/a"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("claims after type change %v, want %v", got, want)
	}
	createdB, err := s.services.Create(ctx, "default", b, opts)
	if err != nil {
		t.Fatalf("the freed node port: %v", err)
	}
	// A dry run allocates nothing; it asks for an address a and b, which
	// got theirs at random, do not hold.
	c := nodePortService("c")
	c.Spec.ClusterIP = unheldAddress(a.Spec.ClusterIP, createdB.(*corev1.Service).Spec.ClusterIP)
	if _, err := s.services.Create(ctx, "default", c, registry.WriteOptions{DryRun: true, FieldManager: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.services.Delete(ctx, "default", "a", &metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.services.Delete(ctx, "default", "b", &metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := claimsOf(t, s.storage); len(got) != 0 {
		t.Fatalf("claims after deletes %v", got)
	}
	// a's cluster IP is free again.
	c = nodePortService("c")
	c.Spec.ClusterIP = a.Spec.ClusterIP
	if _, err := s.services.Create(ctx, "default", c, opts); err != nil {
		t.Fatalf("the freed cluster IP: %v", err)
	}
}

// unheldAddress is an address of cfg's range, past the kubernetes
// service's, that is none of held.
func unheldAddress(held ...string) string {
	for ip := cfg.CIDR.Addr().Next().Next(); cfg.CIDR.Contains(ip); ip = ip.Next() {
		if !slices.Contains(held, ip.String()) {
			return ip.String()
		}
	}
	panic("no unheld address in " + cfg.CIDR.String())
}

// events is a Recorder that keeps "namespace/name reason" lines.
type events struct {
	mu    sync.Mutex
	lines []string
}

func (e *events) record(_ context.Context, s *corev1.Service, reason, _ string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lines = append(e.lines, s.Namespace+"/"+s.Name+" "+reason)
}

func (e *events) take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.lines
	e.lines = nil
	sort.Strings(out)
	return out
}

// Repair frees leaks, claims what services hold unclaimed, and reports
// double and out-of-range allocations it cannot undo.
func TestRepair(t *testing.T) {
	ctx := context.Background()
	s := newServers(t, 1)[0]
	a := nodePortService("a")
	a.Spec.ClusterIP = "10.0.0.10"
	created, err := s.services.Create(ctx, "default", a, opts)
	if err != nil {
		t.Fatal(err)
	}
	a = created.(*corev1.Service)
	// What no API write can do: a's IP claim gone, a claim of nobody, and
	// a service stored without claims sharing a's node port.
	claims, _, err := s.storage.ListClaims(ctx, "ranges/serviceips/")
	if err != nil || len(claims) != 1 {
		t.Fatalf("claims %v: %v", claims, err)
	}
	if err := s.storage.DropClaim(ctx, claims[0].Key, claims[0].ModRevision); err != nil {
		t.Fatal(err)
	}
	gone := storage.Key("", "services", "default", "gone")
	if err := s.storage.SetClaim(ctx, "ranges/serviceips/10.0.0.33", 0, []byte(`{"kind":"Service","name":"gone","uid":"u"}`), gone, 0); err != nil {
		t.Fatal(err)
	}
	b := nodePortService("b")
	b.Namespace, b.UID, b.CreationTimestamp = "default", "uid-b", metav1.Now()
	b.Spec.ClusterIP, b.Spec.ClusterIPs = "10.0.0.40", []string{"10.0.0.40"}
	b.Spec.Ports[0].NodePort, b.Spec.Ports[1].NodePort = a.Spec.Ports[0].NodePort, 40000
	if err := s.storage.Create(ctx, storage.Key("", "services", "default", "b"), b); err != nil {
		t.Fatal(err)
	}

	ev := &events{}
	repair := service.NewRepair(cfg, s.storage, ev.record)
	if err := repair.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ranges/serviceips/" + a.Spec.ClusterIP + "=default/a",
		"ranges/serviceips/10.0.0.40=default/b",
		fmt.Sprintf("ranges/servicenodeports/%d=default/a", a.Spec.Ports[0].NodePort),
		fmt.Sprintf("ranges/servicenodeports/%d=default/a", a.Spec.Ports[1].NodePort),
		"ranges/servicenodeports/40000=default/b",
	}
	sort.Strings(want)
	if got := claimsOf(t, s.storage); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("claims after repair\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantEvents := []string{"default/a ClusterIPNotAllocated", "default/b ClusterIPNotAllocated",
		"default/b PortAlreadyAllocated", "default/b PortNotAllocated", "default/b PortOutOfRange"}
	if got := ev.take(); strings.Join(got, ",") != strings.Join(wantEvents, ",") {
		t.Fatalf("events %v, want %v", got, wantEvents)
	}
	// Repaired: a second run changes nothing and only repeats what
	// remains wrong.
	if err := repair.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := claimsOf(t, s.storage); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("claims after a second repair %v", got)
	}
	if got, want := ev.take(), []string{"default/b PortAlreadyAllocated", "default/b PortOutOfRange"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("events of a second repair %v, want %v", got, want)
	}
}
