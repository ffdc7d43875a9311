package remote

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"google.golang.org/grpc/codes"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// Sentinels for conditions a caller may want to tell apart. Each belongs
// to an errdefs class, so errors.Is matches both the sentinel and its
// class.
var (
	// ErrDigestMismatch: fetched content does not match the size or
	// digest its descriptor or reference promised (class InvalidArgument).
	ErrDigestMismatch error = &classError{"content does not match its descriptor", errdefs.ErrInvalidArgument}
	// ErrNoProgress: a registry sent no bytes for ProgressTimeout
	// (class Unavailable).
	ErrNoProgress error = &classError{"no progress", errdefs.ErrUnavailable}
	// ErrPlainHTTP: a request would have used plain HTTP to a host that
	// is neither loopback nor listed as insecure (class FailedPrecondition).
	ErrPlainHTTP error = &classError{"plain HTTP is allowed only to loopback hosts and insecure registries", errdefs.ErrFailedPrecondition}
)

// classError is a sentinel that belongs to an errdefs class.
type classError struct {
	msg   string
	class error
}

func (e *classError) Error() string { return e.msg }
func (e *classError) Unwrap() error { return e.class }

// classed gives err a class without changing its message.
type classed struct {
	err, class error
}

func (e *classed) Error() string   { return e.err.Error() }
func (e *classed) Unwrap() []error { return []error{e.err, e.class} }

// withClass returns err with class unless it already has one (context
// errors count as classed).
func withClass(err, class error) error {
	if err == nil || errdefs.Code(err) != codes.Unknown {
		return err
	}
	return &classed{err: err, class: class}
}

// netErr turns an error of http.Client.Do into an endpoint failure: the
// *url.Error wrapper, which repeats the URL, is dropped, and a registry
// error from inside ggcr's transports (a failed token renewal) keeps its
// class.
func netErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return responseErr(err)
	}
	return withClass(err, errdefs.ErrUnavailable)
}

// StallError reports a response that delivered no bytes for Timeout. It
// matches ErrNoProgress and errdefs.ErrUnavailable.
type StallError struct {
	Timeout time.Duration
	What    string // a digest, "manifest TAG", or a URL path
	From    string // scheme://host
}

func (e *StallError) Error() string {
	return fmt.Sprintf("no progress for %s fetching %s from %s", e.Timeout, e.What, e.From)
}

func (e *StallError) Unwrap() error { return ErrNoProgress }

// statusError is an error response of a registry, with a short reason and
// the class its status and error codes call for. errors.As finds the
// underlying *transport.Error.
type statusError struct {
	reason string
	class  error
	resp   *transport.Error
}

func (e *statusError) Error() string   { return e.reason }
func (e *statusError) Unwrap() []error { return []error{e.resp, e.class} }

// responseErr classifies an error of transport.CheckError.
func responseErr(err error) error {
	var te *transport.Error
	if !errors.As(err, &te) {
		return withClass(err, errdefs.ErrUnavailable) // reading the error body failed
	}
	return &statusError{reason: reason(te), class: statusClass(te), resp: te}
}

// statusClass maps a registry error to a class: status code first, then
// the distribution error codes.
func statusClass(te *transport.Error) error {
	switch te.StatusCode {
	case http.StatusUnauthorized:
		return errdefs.ErrUnauthenticated
	case http.StatusForbidden:
		return errdefs.ErrPermissionDenied
	case http.StatusNotFound:
		return errdefs.ErrNotFound
	}
	for _, d := range te.Errors {
		switch d.Code {
		case transport.UnauthorizedErrorCode:
			return errdefs.ErrUnauthenticated
		case transport.DeniedErrorCode:
			return errdefs.ErrPermissionDenied
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
			return errdefs.ErrNotFound
		}
	}
	return errdefs.ErrUnavailable
}

// reason words a registry error for people: "manifest unknown" from
// MANIFEST_UNKNOWN, followed by the registry's message when it says more.
// Without structured errors it is ggcr's text (method, URL, status, body).
func reason(te *transport.Error) string {
	if len(te.Errors) == 0 {
		return strings.Join(strings.Fields(te.Error()), " ")
	}
	parts := make([]string, 0, len(te.Errors))
	for _, d := range te.Errors {
		words := strings.ToLower(strings.ReplaceAll(string(d.Code), "_", " "))
		if d.Message != "" && !sameWords(words, d.Message) {
			words += ": " + d.Message
		}
		parts = append(parts, words)
	}
	return strings.Join(parts, "; ")
}

// sameWords reports whether msg uses no word that code does not.
func sameWords(code, msg string) bool {
	have := strings.Fields(code)
	for _, w := range strings.Fields(strings.ToLower(msg)) {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

// Attempt is one endpoint tried by Resolve and why it failed.
type Attempt struct {
	Endpoint string
	Err      error
}

// ResolveError reports a reference that no endpoint served. Its class
// (errors.Is) is errdefs.ErrNotFound if every endpoint said not found,
// else errdefs.ErrUnauthenticated or ErrPermissionDenied if one refused
// the credentials, else errdefs.ErrUnavailable; or the context's error if
// the context ended.
type ResolveError struct {
	Ref      string
	Attempts []Attempt
	class    error
}

func newResolveError(ref string, attempts []Attempt, ctxErr error) *ResolveError {
	e := &ResolveError{Ref: ref, Attempts: attempts, class: ctxErr}
	if e.class == nil {
		e.class = aggregateClass(attempts)
	}
	return e
}

func (e *ResolveError) Error() string {
	var b strings.Builder
	b.WriteString("pull ")
	b.WriteString(e.Ref)
	b.WriteString(": ")
	for i, a := range e.Attempts {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(a.Err.Error())
		b.WriteString(" at ")
		b.WriteString(a.Endpoint)
	}
	if len(e.Attempts) == 0 {
		b.WriteString(e.class.Error())
	}
	return b.String()
}

// Unwrap returns the class only: the attempts' own classes must not leak
// into errdefs.Code.
func (e *ResolveError) Unwrap() error { return e.class }

func aggregateClass(attempts []Attempt) error {
	allNotFound := len(attempts) > 0
	var auth error
	for _, a := range attempts {
		if !errors.Is(a.Err, errdefs.ErrNotFound) {
			allNotFound = false
		}
		if auth != nil {
			continue
		}
		switch {
		case errors.Is(a.Err, errdefs.ErrUnauthenticated):
			auth = errdefs.ErrUnauthenticated
		case errors.Is(a.Err, errdefs.ErrPermissionDenied):
			auth = errdefs.ErrPermissionDenied
		}
	}
	switch {
	case allNotFound:
		return errdefs.ErrNotFound
	case auth != nil:
		return auth
	}
	return errdefs.ErrUnavailable
}
