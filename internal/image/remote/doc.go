// Package remote fetches images from registries the way kubelet users
// expect: through the configured mirrors first, with the pull's CRI
// credentials, verifying every byte.
//
// A Resolver turns a normalized reference into an Image: the repo digest
// the reference points to, the manifest for the configured platform and
// the image config, all checked against their digests and sizes. The
// image store then streams each layer with OpenLayer, in parallel if it
// likes; the reader verifies size and digest as it goes.
//
// Endpoints. A registry's images are looked for at its mirrors, in
// order, then at the registry itself (docker.io at registry-1.docker.io).
// Any failure at one endpoint moves on to the next; a bad reference or
// bad credentials syntax fails at once. The final error names every
// endpoint and why it failed (see ResolveError for its class).
//
// Schemes. Plain HTTP is allowed only to loopback hosts and hosts in
// Config.Insecure; everything else is verified TLS, and insecure hosts
// may present any certificate. A mirror URL's scheme is honoured, but an
// http:// mirror that the rule does not allow is refused. A registry
// reached by name is tried with https, then http if plain HTTP is
// allowed. The rule is enforced under ggcr, on every request (token
// servers and redirects included), so ggcr's own heuristics (http for
// RFC 1918 addresses) never apply.
//
// Authentication. ggcr's transport package does the token dance: basic
// credentials, a base64 auth field, an identity token (OAuth2 refresh
// token) or a registry token (bearer), exchanged at the realm the
// registry names and renewed on a later 401. Credentials go to the
// registry's mirrors too, unless ServerAddress names another host.
//
// Why not ggcr's remote package: it reads manifests up to 100 MiB, does
// not let skiff choose the scheme, and its errors carry no class. This
// package keeps ggcr's name, authn and transport and does the three GETs
// (manifest, config, layer) itself.
//
// Timeouts. With Config.ProgressTimeout set, a request that waits that
// long for headers, or a body read that blocks that long, fails with a
// *StallError. Time the consumer spends between reads does not count.
//
// A Resolver shares one keep-alive connection pool (two: verified and
// unverified TLS) across all calls and is safe for concurrent use.
package remote
