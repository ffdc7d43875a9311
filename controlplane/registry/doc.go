// Package registry is the generic store behind every REST resource of
// `skiff server`: one Store per kind, over controlplane/storage, with the
// kind's Strategy applied. The HTTP layer (controlplane/apiserver) decodes
// a request and calls one Store method; the Store calls the Strategy and
// then storage, which talks to etcd:
//
//	HTTP handler → Store (+ Strategy) → storage → etcd
//
// # Adding a kind
//
// A kind lives in its own package, controlplane/registry/<kind>, which
// exports one function returning its Kind descriptor:
//
//	func Kind() registry.Kind {
//		return registry.Kind{
//			GroupVersionKind: appsv1.SchemeGroupVersion.WithKind("Deployment"),
//			Resource: "deployments", Singular: "deployment",
//			ShortNames: []string{"deploy"}, Categories: []string{"all"},
//			Namespaced: true, Status: true,
//			Scale:    registry.ScaleOf(getReplicas, setReplicas),
//			Strategy: registry.Typed[*appsv1.Deployment](strategy{}),
//		}
//	}
//
// and cmd/skiff lists it in the server's wiring. The Go type must be in the
// server's scheme (controlplane/apiserver.NewScheme). The strategy holds
// only what differs per kind, typed over the kind's Go type
// (TypedStrategy):
//
//   - PrepareForCreate / PrepareForUpdate: server-owned fields beyond the
//     generic ones (a Pod's phase Pending; keeping a field clients may not
//     change);
//   - Default: upstream's defaults for the fields users rely on;
//   - Validate / ValidateUpdate: field.ErrorList with upstream's paths
//     (422 Invalid); ValidateUpdate holds only the update rules
//     (immutable fields), Validate runs on updates too;
//   - SelectableFields: extra fieldSelector fields (spec.nodeName …);
//   - Columns / Row: the Table columns, as kube-apiserver's
//     printers define them (Priority 1 for -o wide).
//
// Beyond the strategy, a Kind may declare (all optional):
//
//   - Status / Scale: the status and scale subresources (ScaleOf says
//     where the replicas and the selector are);
//   - Actions: POST subresources that act on the object (a Pod's binding
//     and eviction), carried out through Store.Mutate and Store.Delete;
//   - GracePeriod: how long a deletion waits (pods on a node);
//   - Finalizing: keep a deleted object beyond its metadata.finalizers (a
//     Namespace until its contents are gone, which the namespace
//     controller tells through Finalize);
//   - Finalize: the finalize subresource, the only door to what a
//     Finalizing kind waits for (a Namespace's spec.finalizers);
//   - Admit and Claims: allocate what an object holds exclusively (a
//     Service's cluster IPs and node ports) as claim keys the Store writes
//     in the object's own etcd transactions (see claims.go), so no two
//     objects hold one and none outlives its holder;
//   - StoredAs: keep the objects as another kind's (events.k8s.io/v1
//     Events are v1 Events);
//   - ValidName: another name rule than a DNS subdomain.
//
// # What the Store does for every kind
//
// Create: generateName, uid, creationTimestamp, generation 1 (kinds with a
// spec), cleared status when the kind has a status subresource, then
// PrepareForCreate, Default, managedFields, ObjectMeta + kind validation,
// the namespace must exist and not be terminating; dry-run stops before
// the write. Update (PUT, PATCH of every type, server-side apply) goes
// through one loop: read, mutate, carry uid/creationTimestamp/
// deletionTimestamp over, keep status (main resource) or everything but
// status, labels and annotations (status subresource), PrepareForUpdate,
// Default, generation+1 when the spec changed, managedFields, validate,
// then a write
// conditioned on the revision read; a stale resourceVersion from the
// client is a 409, a lost race without one is retried. An update that
// removes the last finalizer of a deleted object deletes it. Delete
// honours preconditions, grace periods and finalizers (deletionTimestamp
// first, removal when they are gone). List and Watch apply label and field
// selectors, paging, resourceVersion semantics, bookmarks and watch-list.
//
// Errors leave the Store as apimachinery Status errors (apierrors), made
// in errors.go; storage's sentinels become codes only there.
package registry
