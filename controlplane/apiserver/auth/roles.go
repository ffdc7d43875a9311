package auth

// Identities of the control plane's own clients, as upstream names them.
const (
	SchedulerUser         = "system:kube-scheduler"
	ControllerManagerUser = "system:kube-controller-manager"
	// DNSUser is the cluster DNS of `skiff server` (controlplane/dns).
	DNSUser = "system:skiff:dns"
	// BootstrappersGroup holds bootstrap-token users
	// (system:bootstrap:<token id>), which may only ask for a node
	// certificate.
	BootstrappersGroup = "system:bootstrappers"
)

// NodeCertificatePath is where a bootstrap token buys a node's client
// certificate (see controlplane/apiserver/nodecert).
const NodeCertificatePath = "/skiff/v1/node-certificate"

// readAll are the verbs that read.
var readAll = []string{"get", "list", "watch"}

// discovery is what every authenticated user may read, as upstream's
// system:discovery and system:public-info-viewer roles.
var discovery = Rule{Verbs: []string{"get"}, Paths: []string{
	"/api", "/api/*", "/apis", "/apis/*", "/openapi/*", "/version", "/version/", "/healthz", "/livez", "/readyz",
}}

// schedulerRules are upstream's system:kube-scheduler role, for the
// resources skiff serves.
var schedulerRules = []Rule{
	{Verbs: []string{"create", "patch", "update"}, APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}},
	{Verbs: []string{"create"}, APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}},
	{Verbs: []string{"get", "update"}, APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Names: []string{"kube-scheduler"}},
	{Verbs: readAll, APIGroups: []string{""}, Resources: []string{"nodes", "namespaces", "services", "persistentvolumeclaims", "persistentvolumes", "replicationcontrollers"}},
	{Verbs: append([]string{"delete"}, readAll...), APIGroups: []string{""}, Resources: []string{"pods"}},
	{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"bindings", "pods/binding"}},
	{Verbs: []string{"patch", "update"}, APIGroups: []string{""}, Resources: []string{"pods/status"}},
	{Verbs: readAll, APIGroups: []string{"apps"}, Resources: []string{"replicasets", "statefulsets"}},
}

// dnsRules are upstream's system:coredns role: reading what the names
// are made of.
var dnsRules = []Rule{
	{Verbs: []string{"list", "watch"}, APIGroups: []string{""}, Resources: []string{"endpoints", "services", "pods", "namespaces"}},
	{Verbs: []string{"list", "watch"}, APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}},
}

// controllerManagerRules: every verb on every resource. The controllers
// run under one identity, and upstream's garbage collector alone (which
// deletes any owned object) already holds "*" on "*"; what it lacks
// beside system:masters is every non-resource path but discovery.
var controllerManagerRules = []Rule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}

// DefaultPolicy is skiff's static policy: discovery for every
// authenticated user, the scheduler's and the controllers' roles, and a
// node certificate for bootstrap tokens. system:masters and nodes are
// authorized by Admin and the node authorizer.
func DefaultPolicy() *Policy {
	return &Policy{
		Authenticated: []Rule{discovery},
		Users: map[string][]Rule{
			SchedulerUser:         schedulerRules,
			ControllerManagerUser: controllerManagerRules,
			DNSUser:               dnsRules,
		},
		Groups: map[string][]Rule{
			BootstrappersGroup: {{Verbs: []string{"post"}, Paths: []string{NodeCertificatePath}}},
		},
	}
}
