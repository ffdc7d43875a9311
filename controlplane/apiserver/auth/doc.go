// Package auth authenticates and authorizes API requests for
// controlplane/apiserver.
//
// The server's handler chain holds one Authenticator and one Authorizer
// (small interfaces declared here); `skiff server` wires:
//   - Certs: a client certificate signed by the cluster CA (verified by
//     TLS); its CommonName is the user and its Organizations the groups;
//   - BootstrapTokens: kubeadm-style bootstrap tokens, kept as Secrets in
//     kube-system, for system:bootstrap:<id> in system:bootstrappers;
//   - Admin: everything for the system:masters group;
//   - the Node authorizer (package node) for system:nodes;
//   - DefaultPolicy: a static, RBAC-like Policy for the scheduler, the
//     controllers, bootstrap tokens, and discovery for every user.
//
// The authenticated user travels in the request's context (WithUser), so
// that admission (package noderestriction) can see it.
package auth
