// Package nodecert turns a bootstrap token into a node's client
// certificate: skiff's small stand-in for kubelet TLS bootstrapping
// (upstream's CertificateSigningRequest, approved and signed at once).
//
// A node agent that joins with `skiff agent --server URL --token T`
// makes a key, and POSTs a PKCS#10 request for CommonName
// system:node:<name> and Organization system:nodes to
// auth.NodeCertificatePath, authenticated by the bootstrap token
// (system:bootstrappers may do nothing else). The server checks the
// request and answers with a certificate signed by the cluster CA, valid
// for a year, and the CA. The agent keeps key and certificate in a
// kubeconfig and uses them from then on; the token is needed again only
// when the certificate has expired.
//
// As with upstream's auto-approval of bootstrap requests, a token may
// get a certificate for any node name: tokens are for joining nodes, and
// are revoked by deleting their Secret.
package nodecert
