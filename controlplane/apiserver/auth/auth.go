package auth

import (
	"context"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"
)

// User is an authenticated identity.
type User struct {
	Name   string
	Groups []string
}

// Authenticator tells who sent a request. It returns (nil, nil) when the
// request carries no credential it knows, and an error when it carries a
// bad one.
type Authenticator interface {
	Authenticate(r *http.Request) (*User, error)
}

// Attributes describe what a request does, for an Authorizer.
type Attributes struct {
	User *User
	// Verb is the API verb (get, list, watch, create, update, patch,
	// delete, deletecollection) or the HTTP method, lower case, for
	// non-resource paths.
	Verb string
	// ResourceRequest is false for non-resource paths (/api, /openapi …).
	ResourceRequest                                              bool
	APIGroup, APIVersion, Namespace, Resource, Subresource, Name string
	Path                                                         string
}

// Decision of an Authorizer.
type Decision int

const (
	// NoOpinion lets the next Authorizer of a Union decide.
	NoOpinion Decision = iota
	Allow
	Deny
)

// Authorizer decides whether a request may proceed; reason explains a
// denial.
type Authorizer interface {
	Authorize(ctx context.Context, a Attributes) (d Decision, reason string, err error)
}

// Union authenticates with the first Authenticator that recognises the
// request.
type Union []Authenticator

func (u Union) Authenticate(r *http.Request) (*User, error) {
	for _, a := range u {
		user, err := a.Authenticate(r)
		if user != nil || err != nil {
			return user, err
		}
	}
	return nil, nil
}

// Certs authenticates TLS client certificates; the TLS layer has already
// verified them against the cluster CA.
type Certs struct{}

func (Certs) Authenticate(r *http.Request) (*User, error) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
		return nil, nil
	}
	c := r.TLS.VerifiedChains[0][0]
	return &User{Name: c.Subject.CommonName, Groups: slices.Clone(c.Subject.Organization)}, nil
}

// Tokens authenticates static bearer tokens.
type Tokens map[string]User

func (t Tokens) Authenticate(r *http.Request) (*User, error) {
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return nil, nil
	}
	for known, u := range t {
		if subtle.ConstantTimeCompare([]byte(known), []byte(strings.TrimSpace(token))) == 1 {
			return &u, nil
		}
	}
	return nil, ErrBadToken
}

// ErrBadToken is an unknown bearer token.
var ErrBadToken = errorString("invalid bearer token")

type errorString string

func (e errorString) Error() string { return string(e) }

// MastersGroup is the group whose members may do everything.
const MastersGroup = "system:masters"

// Admin allows everything to system:masters and has no opinion otherwise.
type Admin struct{}

func (Admin) Authorize(_ context.Context, a Attributes) (Decision, string, error) {
	if a.User != nil && slices.Contains(a.User.Groups, MastersGroup) {
		return Allow, "", nil
	}
	return NoOpinion, "", nil
}

// Authorizers asks each Authorizer in turn; the first that allows or
// denies decides. When none does, the first reason given with a
// NoOpinion explains the refusal (the node authorizer's "no relationship
// found", as kube-apiserver reports it).
type Authorizers []Authorizer

func (as Authorizers) Authorize(ctx context.Context, a Attributes) (Decision, string, error) {
	var why string
	for _, z := range as {
		d, reason, err := z.Authorize(ctx, a)
		if err != nil || d != NoOpinion {
			return d, reason, err
		}
		if why == "" {
			why = reason
		}
	}
	return NoOpinion, why, nil
}
