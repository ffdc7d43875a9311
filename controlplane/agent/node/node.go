package node

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// LeaseNamespace holds the nodes' Leases.
const LeaseNamespace = "kube-node-lease"

// Config configures a Registrar.
type Config struct {
	Name   string
	Labels map[string]string
	// Annotations are set on the Node.
	Annotations map[string]string
	// Facts reads the host and the runtime afresh.
	Facts func(ctx context.Context) Facts
	// StatusEvery is how often the status is computed; ReportEvery how
	// often it is posted when nothing changed; RenewEvery how often the
	// Lease is renewed, which lasts LeaseDuration.
	StatusEvery, ReportEvery, RenewEvery time.Duration
	LeaseDuration                        time.Duration
}

// Registrar registers the node and keeps its status and Lease.
type Registrar struct {
	client kubernetes.Interface
	cfg    Config

	node     *corev1.Node // as last written
	reported time.Time
}

// NewRegistrar returns a Registrar.
func NewRegistrar(client kubernetes.Interface, cfg Config) *Registrar {
	return &Registrar{client: client, cfg: cfg}
}

// Node returns the Node as last written (nil before Register).
func (r *Registrar) Node() *corev1.Node { return r.node }

// labels are the well-known labels plus the configured ones.
func (r *Registrar) labels() map[string]string {
	l := map[string]string{
		corev1.LabelHostname: r.cfg.Name, corev1.LabelOSStable: runtime.GOOS, corev1.LabelArchStable: runtime.GOARCH,
	}
	maps.Copy(l, r.cfg.Labels)
	return l
}

// Register creates the Node, or takes over the existing one, and posts
// its first status.
func (r *Registrar) Register(ctx context.Context) error {
	nodes := r.client.CoreV1().Nodes()
	n, err := nodes.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: r.cfg.Name, Labels: r.labels(), Annotations: maps.Clone(r.cfg.Annotations)}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		if n, err = nodes.Get(ctx, r.cfg.Name, metav1.GetOptions{}); err == nil {
			if n.Labels == nil {
				n.Labels = map[string]string{}
			}
			maps.Copy(n.Labels, r.labels())
			if len(r.cfg.Annotations) > 0 && n.Annotations == nil {
				n.Annotations = map[string]string{}
			}
			maps.Copy(n.Annotations, r.cfg.Annotations)
			n, err = nodes.Update(ctx, n, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("register node %s: %w", r.cfg.Name, err)
	}
	r.node = n
	return r.postStatus(ctx, true)
}

// postStatus computes the status and writes it when it changed, or when
// force, or when the last report is older than ReportEvery.
func (r *Registrar) postStatus(ctx context.Context, force bool) error {
	now := time.Now()
	st := Status(r.cfg.Facts(ctx), r.node.Status, now)
	if !force && !Changed(st, r.node.Status) && now.Sub(r.reported) < r.cfg.ReportEvery {
		// Another writer (the node lifecycle controller, after a lost
		// heartbeat) may have changed the conditions since: report then.
		cur, err := r.client.CoreV1().Nodes().Get(ctx, r.cfg.Name, metav1.GetOptions{ResourceVersion: "0"})
		if err != nil || readyOf(cur.Status) == readyOf(st) {
			return nil
		}
		r.node = cur
		st = Status(r.cfg.Facts(ctx), cur.Status, now)
	}
	n := r.node.DeepCopy()
	n.Status = st
	out, err := r.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		out, err = r.client.CoreV1().Nodes().Get(ctx, r.cfg.Name, metav1.GetOptions{})
		if err == nil {
			r.node = out
			return r.postStatus(ctx, true)
		}
	}
	if err != nil {
		return fmt.Errorf("update status of node %s: %w", r.cfg.Name, err)
	}
	r.node, r.reported = out, now
	return nil
}

// Run keeps the status and the Lease until ctx ends.
func (r *Registrar) Run(ctx context.Context) {
	status := time.NewTicker(r.cfg.StatusEvery)
	defer status.Stop()
	lease := time.NewTicker(r.cfg.RenewEvery)
	defer lease.Stop()
	r.renew(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-status.C:
			if err := r.postStatus(ctx, false); err != nil && ctx.Err() == nil {
				slog.WarnContext(ctx, "node status", "error", err)
			}
		case <-lease.C:
			r.renew(ctx)
		}
	}
}

// renew creates or renews the node's Lease.
func (r *Registrar) renew(ctx context.Context) {
	if err := r.renewLease(ctx); err != nil && ctx.Err() == nil {
		slog.WarnContext(ctx, "node lease", "error", err)
	}
}

func (r *Registrar) renewLease(ctx context.Context) error {
	leases := r.client.CoordinationV1().Leases(LeaseNamespace)
	now := metav1.NewMicroTime(time.Now())
	secs := int32(r.cfg.LeaseDuration.Seconds())
	l, err := leases.Get(ctx, r.cfg.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		l = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: r.cfg.Name, Namespace: LeaseNamespace, OwnerReferences: r.ownerRefs()},
			Spec:       coordinationv1.LeaseSpec{HolderIdentity: &r.cfg.Name, LeaseDurationSeconds: &secs, RenewTime: &now},
		}
		_, err = leases.Create(ctx, l, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds, l.Spec.RenewTime = &r.cfg.Name, &secs, &now
	if len(l.OwnerReferences) == 0 {
		l.OwnerReferences = r.ownerRefs()
	}
	_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
	return err
}

// ownerRefs make the Lease go with its Node.
func (r *Registrar) ownerRefs() []metav1.OwnerReference {
	if r.node == nil {
		return nil
	}
	return []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: r.node.Name, UID: r.node.UID}}
}

// readyOf is the status of the Ready condition.
func readyOf(s corev1.NodeStatus) corev1.ConditionStatus {
	for _, c := range s.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}
