package nodeipam

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
)

// cluster is the API's nodes, seen by the controllers' lister, with
// updates that check the resourceVersion as the API server does.
type cluster struct {
	nodes   cache.Indexer
	rv      int
	updates int
	fail    error // the next update fails with it
}

func newCluster(nodes ...*corev1.Node) *cluster {
	c := &cluster{nodes: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})}
	for _, n := range nodes {
		c.add(n)
	}
	return c
}

func (c *cluster) add(n *corev1.Node) {
	c.rv++
	n = n.DeepCopy()
	n.ResourceVersion = strconv.Itoa(c.rv)
	_ = c.nodes.Add(n)
}

func (c *cluster) get(t *testing.T, name string) *corev1.Node {
	t.Helper()
	obj, ok, _ := c.nodes.GetByKey(name)
	if !ok {
		t.Fatalf("no node %s", name)
	}
	return obj.(*corev1.Node)
}

func (c *cluster) update(_ context.Context, n *corev1.Node) (*corev1.Node, error) {
	if err := c.fail; err != nil {
		c.fail = nil
		return nil, err
	}
	obj, ok, _ := c.nodes.GetByKey(n.Name)
	if !ok {
		return nil, apierrors.NewNotFound(corev1.Resource("nodes"), n.Name)
	}
	if cur := obj.(*corev1.Node); cur.ResourceVersion != n.ResourceVersion {
		return nil, apierrors.NewConflict(corev1.Resource("nodes"), n.Name, errors.New("stale"))
	}
	c.updates++
	c.add(n)
	return n, nil
}

func node(name string, cidrs ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if len(cidrs) > 0 {
		n.Spec.PodCIDR, n.Spec.PodCIDRs = cidrs[0], cidrs
	}
	return n
}

func newTestController(t *testing.T, cl *cluster, cidrs ...string) (*Controller, *record.FakeRecorder) {
	t.Helper()
	cfg := Config{}
	for _, s := range cidrs {
		cfg.ClusterCIDRs = append(cfg.ClusterCIDRs, netip.MustParsePrefix(s))
	}
	rec := record.NewFakeRecorder(100)
	c, err := newController(cfg, corelisters.NewNodeLister(cl.nodes), cl, rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.rebuild(); err != nil {
		t.Fatal(err)
	}
	return c, rec
}

func syncAll(t *testing.T, c *Controller, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := c.sync(context.Background(), n); err != nil {
			t.Fatalf("sync %s: %v", n, err)
		}
	}
}

func TestAssignsDistinctCIDRs(t *testing.T) {
	cl := newCluster(node("n1"), node("n2"), node("n3"))
	c, _ := newTestController(t, cl, "10.244.0.0/16")
	syncAll(t, c, "n1", "n2", "n3")
	want := map[string]string{"n1": "10.244.0.0/24", "n2": "10.244.1.0/24", "n3": "10.244.2.0/24"}
	for name, cidr := range want {
		n := cl.get(t, name)
		if n.Spec.PodCIDR != cidr || len(n.Spec.PodCIDRs) != 1 || n.Spec.PodCIDRs[0] != cidr {
			t.Errorf("%s: podCIDR %q podCIDRs %v, want %s", name, n.Spec.PodCIDR, n.Spec.PodCIDRs, cidr)
		}
	}
	// Synced again, nothing changes.
	before := cl.updates
	syncAll(t, c, "n1", "n2", "n3")
	if cl.updates != before {
		t.Errorf("a second sync wrote %d updates", cl.updates-before)
	}
}

// A controller that starts (a restart, or another server taking the
// Lease) learns the CIDRs in use from the nodes before it assigns any.
func TestRebuildFromNodes(t *testing.T) {
	cl := newCluster(node("a", "10.244.0.0/24"), node("b", "10.244.2.0/24"), node("c"), node("d"))
	first, _ := newTestController(t, cl, "10.244.0.0/16")
	syncAll(t, first, "c")
	if got := cl.get(t, "c").Spec.PodCIDR; got != "10.244.1.0/24" {
		t.Fatalf("c got %s, want the first free, 10.244.1.0/24", got)
	}
	second, _ := newTestController(t, cl, "10.244.0.0/16")
	syncAll(t, second, "a", "b", "c", "d")
	seen := map[string]string{}
	for _, name := range []string{"a", "b", "c", "d"} {
		cidr := cl.get(t, name).Spec.PodCIDR
		if other, dup := seen[cidr]; dup {
			t.Errorf("%s and %s both hold %s", other, name, cidr)
		}
		seen[cidr] = name
	}
	if got := cl.get(t, "d").Spec.PodCIDR; got != "10.244.3.0/24" {
		t.Errorf("d got %s, want 10.244.3.0/24", got)
	}
}

func TestDeletedNodeFreesItsCIDR(t *testing.T) {
	cl := newCluster(node("n1"), node("n2"), node("n3"))
	c, rec := newTestController(t, cl, "10.244.0.0/23") // two node CIDRs
	syncAll(t, c, "n1", "n2", "n3")
	if got := cl.get(t, "n3").Spec.PodCIDR; got != "" {
		t.Fatalf("n3 got %s from a full cluster CIDR", got)
	}
	if ev := drain(rec); !strings.Contains(ev, "CIDRNotAvailable") {
		t.Errorf("events %q, want CIDRNotAvailable", ev)
	}
	freed := cl.get(t, "n1").Spec.PodCIDR
	_ = cl.nodes.Delete(cl.get(t, "n1"))
	syncAll(t, c, "n1")
	if c.queue.Len() != 1 {
		t.Fatalf("the node waiting for a CIDR was not queued again (%d queued)", c.queue.Len())
	}
	syncAll(t, c, "n3")
	if got := cl.get(t, "n3").Spec.PodCIDR; got != freed {
		t.Errorf("n3 got %q, want the freed %s", got, freed)
	}
}

func TestFailedUpdateGivesTheCIDRBack(t *testing.T) {
	cl := newCluster(node("n1"), node("n2"))
	c, _ := newTestController(t, cl, "10.244.0.0/23")
	cl.fail = apierrors.NewConflict(corev1.Resource("nodes"), "n1", errors.New("stale"))
	if err := c.sync(context.Background(), "n1"); !apierrors.IsConflict(err) {
		t.Fatalf("sync: %v, want the conflict", err)
	}
	syncAll(t, c, "n2", "n1")
	if a, b := cl.get(t, "n1").Spec.PodCIDR, cl.get(t, "n2").Spec.PodCIDR; a == "" || b == "" || a == b {
		t.Errorf("n1 %q n2 %q: the failed assignment leaked its CIDR", a, b)
	}
}

// A node deleted and created again under its name before the controller
// saw the deletion gets its old CIDR back, not a second one.
func TestRecreatedNodeKeepsItsCIDR(t *testing.T) {
	cl := newCluster(node("n1"))
	c, _ := newTestController(t, cl, "10.244.0.0/16")
	syncAll(t, c, "n1")
	_ = cl.nodes.Delete(cl.get(t, "n1"))
	cl.add(node("n1"))
	syncAll(t, c, "n1")
	if got := cl.get(t, "n1").Spec.PodCIDR; got != "10.244.0.0/24" {
		t.Errorf("recreated n1 got %s", got)
	}
	if free := c.sets[0].Free(); free != 255 {
		t.Errorf("%d node CIDRs free, want 255", free)
	}
}

func TestDualStack(t *testing.T) {
	cl := newCluster(node("n1"), node("n2"))
	c, _ := newTestController(t, cl, "10.244.0.0/16", "fd00:10:244::/56")
	syncAll(t, c, "n1", "n2")
	n2 := cl.get(t, "n2")
	if n2.Spec.PodCIDR != "10.244.1.0/24" || len(n2.Spec.PodCIDRs) != 2 || n2.Spec.PodCIDRs[1] != "fd00:10:244:1::/64" {
		t.Errorf("n2: %q %v", n2.Spec.PodCIDR, n2.Spec.PodCIDRs)
	}
}

func TestConfigRejects(t *testing.T) {
	bad := [][]string{{}, {"10.0.0.0/16", "10.1.0.0/16"}, {"10.0.0.0/16", "fd00::/48", "fd01::/48"}}
	for _, cidrs := range bad {
		cfg := Config{}
		for _, s := range cidrs {
			cfg.ClusterCIDRs = append(cfg.ClusterCIDRs, netip.MustParsePrefix(s))
		}
		if _, err := cfg.sets(); err == nil {
			t.Errorf("accepted %v", cidrs)
		}
	}
}

// A node whose CIDR lies outside the cluster CIDR (set by hand) is left
// alone and takes nothing from the pool.
func TestForeignCIDRLeftAlone(t *testing.T) {
	cl := newCluster(node("x", "192.168.5.0/24"))
	c, _ := newTestController(t, cl, "10.244.0.0/16")
	syncAll(t, c, "x")
	if cl.updates != 0 || c.sets[0].Free() != 256 {
		t.Errorf("updates %d, free %d", cl.updates, c.sets[0].Free())
	}
}

func drain(rec *record.FakeRecorder) string {
	var out []string
	for {
		select {
		case e := <-rec.Events:
			out = append(out, e)
		default:
			return strings.Join(out, "\n")
		}
	}
}
