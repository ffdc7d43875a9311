// Package api is what skiffd and skiff-shim agree on: the shim's command
// line (Options), the wire protocol on its unix socket (Request, Response,
// framing, error codes), the messages (State, ExecRequest, ExecResult …),
// the exit file (Exit, WriteExit, ReadExit) and the helper verbs, the
// short-lived "skiff-shim create|kill|delete" (HelperOptions, Reply).
//
// It is imported by the shim binary, so it stays small: the standard
// library (encoding/json, flag), the OCI runtime spec's types (which the
// shim links anyway) and internal/atomicfile only, no gRPC and no
// internal/errdefs. The client in internal/task maps the wire codes onto
// errdefs.
//
// Wire format: one request per connection. The client writes one frame,
// the shim answers with one frame and closes. A frame is a 4-byte
// big-endian length followed by that many bytes of JSON. Request and
// Response carry the protocol Version; a shim rejects a request of another
// version with CodeInvalidArgument. A client that gives up on a request
// closes the connection; the shim then cancels the request (an ExecSync
// kills its process).
package api
