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
//
// Streaming sessions: after the answer to Exec or Attach (no error), the
// connection carries stream frames both ways (stream.go): a kind byte, a
// 4-byte big-endian length and the raw bytes, at most MaxStreamPayload.
// The client sends stdin, the end of its stdin and terminal sizes; the
// shim sends stdout and stderr, then one StreamEnd frame (a SessionEnd:
// the exec'd command's exit code, or an error) and shuts its side. The
// client closes the connection on reading it; closing it earlier hangs
// up: an exec'd command is killed, an attached client detached.
package api
