// Package auth authenticates and authorizes API requests for
// controlplane/apiserver.
//
// The server's handler chain holds one Authenticator and one Authorizer
// (small interfaces declared here); `skiff server` wires:
//   - Certs: a client certificate signed by the cluster CA (verified by
//     TLS); its CommonName is the user and its Organizations the groups;
//   - Tokens: static bearer tokens;
//   - Admin: everything for the system:masters group, nothing for others.
//
// Nodes lets node agents (system:node:<name> in system:nodes) do what an
// agent does on any node's objects; a node authorizer limiting each to
// its own objects replaces it.
package auth
