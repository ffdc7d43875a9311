package registry

import (
	"context"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Strategy is what one kind adds to the generic Store. See the package
// documentation for when each method runs. Kinds implement TypedStrategy
// and wrap it with Typed; the Store only sees this interface.
type Strategy interface {
	PrepareForCreate(obj runtime.Object)
	PrepareForUpdate(obj, old runtime.Object)
	Default(obj runtime.Object)
	Validate(obj runtime.Object) field.ErrorList
	ValidateUpdate(obj, old runtime.Object) field.ErrorList
	SelectableFields(obj runtime.Object) fields.Set
	Columns() []metav1.TableColumnDefinition
	Row(obj runtime.Object) []any
}

// TypedStrategy is Strategy over the kind's own Go type T (e.g.
// *appsv1.Deployment), so a kind's code needs no type assertions.
type TypedStrategy[T runtime.Object] interface {
	// PrepareForCreate sets or clears what the server owns on a new
	// object, e.g. a Pod's status.phase = Pending. Generic fields
	// (uid, creationTimestamp, generation, a status subresource's status)
	// are already done.
	PrepareForCreate(obj T)
	// PrepareForUpdate does the same on an update through the main
	// resource; old is the stored object (status is already carried over
	// when the kind has a status subresource).
	PrepareForUpdate(obj, old T)
	// Default fills unset fields as upstream's SetObjectDefaults_<Kind>
	// does, for what kubectl users rely on. It runs on every write and
	// must be idempotent.
	Default(obj T)
	// Validate returns what is wrong with a new object, with field paths
	// as kube-apiserver reports them; any error gives 422 Invalid.
	// ObjectMeta is already validated.
	Validate(obj T) field.ErrorList
	// ValidateUpdate is Validate for an update: immutable fields too.
	ValidateUpdate(obj, old T) field.ErrorList
	// SelectableFields returns the fields a fieldSelector may name,
	// beyond metadata.name and metadata.namespace (added by the Store).
	// Return nil when the kind has none.
	SelectableFields(obj T) fields.Set
	// Columns are the Table columns as kube-apiserver prints them (most
	// kinds start with NameColumn and have AgeColumn); Priority 1 columns
	// are -o wide only.
	Columns() []metav1.TableColumnDefinition
	// Row returns one cell per column of Columns for obj.
	Row(obj T) []any
}

// Typed adapts a TypedStrategy to Strategy.
func Typed[T runtime.Object](s TypedStrategy[T]) Strategy { return typed[T]{s} }

type typed[T runtime.Object] struct{ s TypedStrategy[T] }

func (t typed[T]) PrepareForCreate(obj runtime.Object)      { t.s.PrepareForCreate(obj.(T)) }
func (t typed[T]) PrepareForUpdate(obj, old runtime.Object) { t.s.PrepareForUpdate(obj.(T), old.(T)) }
func (t typed[T]) Default(obj runtime.Object)               { t.s.Default(obj.(T)) }
func (t typed[T]) Validate(obj runtime.Object) field.ErrorList {
	return t.s.Validate(obj.(T))
}
func (t typed[T]) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	return t.s.ValidateUpdate(obj.(T), old.(T))
}
func (t typed[T]) SelectableFields(obj runtime.Object) fields.Set {
	return t.s.SelectableFields(obj.(T))
}
func (t typed[T]) Columns() []metav1.TableColumnDefinition { return t.s.Columns() }
func (t typed[T]) Row(obj runtime.Object) []any            { return t.s.Row(obj.(T)) }

// Kind describes one resource served by the generic Store.
type Kind struct {
	// GroupVersionKind of the objects, e.g. apps/v1 Deployment. The
	// list kind is Kind+"List"; both must be in the Store's scheme.
	schema.GroupVersionKind
	// Resource is the plural, lower-case name in URLs ("deployments");
	// Singular is the singular ("deployment").
	Resource, Singular string
	// ShortNames ("deploy") and Categories ("all") for discovery.
	ShortNames, Categories []string
	// Namespaced is false for cluster-scoped kinds (Namespace, Node).
	Namespaced bool
	// Status adds the status subresource: the main resource then never
	// changes status, and <resource>/status changes only status.
	Status bool
	// StatusOnCreate keeps the status an object is created with, status
	// subresource or not (a Node registers with its capacity and
	// conditions, as upstream).
	StatusOnCreate bool
	// Scale adds the scale subresource (autoscaling/v1 Scale).
	Scale *Scale
	// ValidName checks metadata.name (and generateName when prefix);
	// nil means a DNS subdomain, as most kinds.
	ValidName func(name string, prefix bool) []string
	// GracePeriod returns the default grace period of a deletion, in
	// seconds; nil means none: objects go at once (pods wait for their
	// node).
	GracePeriod func(obj runtime.Object) int64
	// TTL, when set, makes the objects expire that long after their last
	// write (events, kube-apiserver's --event-ttl).
	TTL time.Duration
	// Finalizing, when set, tells whether a deleted object must stay
	// although its metadata.finalizers are gone: a Namespace waits for
	// its spec.finalizers (its contents being removed).
	Finalizing func(obj runtime.Object) bool
	// Finalize, when set, adds the finalize subresource (a Namespace's):
	// a PUT there changes only what Finalize copies from the object
	// written into the current one (spec.finalizers), which writes to the
	// main resource keep.
	Finalize func(cur, in runtime.Object)
	// Actions are subresources taking a POST (a Pod's binding and
	// eviction), by name.
	Actions map[string]Action
	// Streams are subresources that are streams from the object's node,
	// not objects (a Pod's log, exec, attach and portforward), by name.
	// The API server serves them through its Config's StreamServer.
	Streams map[string]Stream
	// StoredAs, when set, keeps the objects as another kind's.
	StoredAs *StoredAs
	// Admit, when set, runs on every create and every update through the
	// main resource (old is nil on a create), after validation and before
	// the write. It hands out what the server allocates (a Service's
	// clusterIP and nodePorts), seeing which claims are held through
	// claimed, or refuses with an API error. When the write then finds a
	// claim taken meanwhile (another API server), Admit runs again on a
	// fresh copy of the object.
	Admit func(ctx context.Context, obj, old runtime.Object, claimed ClaimedFunc) error
	// Claims, when set, returns the keys (storage keys, as
	// "ranges/serviceips/10.96.0.10") that an object holds exclusively
	// beside its own. The Store takes and frees them in the same etcd
	// transaction as the object's writes (storage.Claims): two objects
	// never hold one, across API servers too, and none outlives its
	// holder, whatever crashes. The value of a claim is Owner(obj).
	Claims func(obj runtime.Object) []string
	// Strategy is the kind's behaviour.
	Strategy Strategy
}

// Stream describes a stream subresource for discovery.
type Stream struct {
	// Kind is the kind discovery names: the parent's for a log, the
	// options' for the others (PodExecOptions …).
	Kind string
	// Verbs are "get" (log), or "create" and "get" (exec, attach,
	// portforward: POST for SPDY, GET for WebSocket).
	Verbs []string
}

// ClaimedFunc returns the claims held under prefix ("ranges/serviceips/").
type ClaimedFunc func(ctx context.Context, prefix string) (map[string]bool, error)

// GroupResource of the kind, for errors.
func (k *Kind) GroupResource() schema.GroupResource {
	return schema.GroupResource{Group: k.Group, Resource: k.Resource}
}

// Scale describes the scale subresource of a kind: where its replicas
// and selector live. Use ScaleOf to write it over the kind's type.
type Scale struct {
	// Get returns spec.replicas, status.replicas and the label selector
	// (as a string) of obj.
	Get func(obj runtime.Object) (spec, status int32, selector string)
	// Set sets spec.replicas of obj.
	Set func(obj runtime.Object, replicas int32)
}

// ScaleOf builds a Scale from functions over the kind's type.
func ScaleOf[T runtime.Object](get func(T) (int32, int32, string), set func(T, int32)) *Scale {
	return &Scale{
		Get: func(obj runtime.Object) (int32, int32, string) { return get(obj.(T)) },
		Set: func(obj runtime.Object, n int32) { set(obj.(T), n) },
	}
}

// Verbs are the verbs of every kind's main resource, as discovery lists
// them.
var Verbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// Subresources returns the names of the kind's subresources.
func (k *Kind) Subresources() []string {
	var subs []string
	if k.Status {
		subs = append(subs, "status")
	}
	if k.Scale != nil {
		subs = append(subs, "scale")
	}
	if k.Finalize != nil {
		subs = append(subs, "finalize")
	}
	for name := range k.Actions {
		subs = append(subs, name)
	}
	for name := range k.Streams {
		subs = append(subs, name)
	}
	sort.Strings(subs)
	return subs
}
