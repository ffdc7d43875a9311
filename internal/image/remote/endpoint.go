package remote

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// dockerHub is the registry host of docker.io names and dockerHubAPI the
// host that serves its registry API, as containerd and Docker use.
const (
	dockerHub    = "docker.io"
	dockerHubAPI = "registry-1.docker.io"
)

// endpoint is one place to look for a registry's images.
type endpoint struct {
	host   string // host[:port], lower case
	scheme string // "https", "http", or "" for https then http
	mirror bool
	raw    string // the mirror URL as configured
	err    error  // why this mirror cannot be used
}

// display names the endpoint in messages: scheme://host, or the bare
// host when the scheme is decided by probing.
func (e endpoint) display() string {
	switch {
	case e.err != nil:
		return e.raw
	case e.scheme == "":
		return e.host
	}
	return e.scheme + "://" + e.host
}

// endpoints lists where to look for an image of registry: its mirrors in
// order, then the registry itself.
func (r *Resolver) endpoints(registry string) []endpoint {
	reg := canonicalRegistry(registry)
	mirrors := r.mirrors[reg]
	eps := make([]endpoint, 0, len(mirrors)+1)
	for _, m := range mirrors {
		eps = append(eps, r.parseMirror(m))
	}
	host := reg
	if reg == dockerHub {
		host = dockerHubAPI
	}
	return append(eps, r.hostEndpoint(host))
}

// hostEndpoint is a registry reached by its name: https, unless plain HTTP
// is allowed, in which case https is tried first, then http (as Docker
// does for insecure registries).
func (r *Resolver) hostEndpoint(host string) endpoint {
	ep := endpoint{host: strings.ToLower(host), scheme: "https", raw: host}
	if r.plainHTTPAllowed(ep.host) {
		ep.scheme = ""
	}
	return ep
}

// parseMirror turns a mirror URL into an endpoint. The URL's scheme is
// honoured; a bare HOST[:PORT] is treated like a registry name.
func (r *Resolver) parseMirror(raw string) endpoint {
	if !strings.Contains(raw, "://") {
		if err := checkHostPort(raw); err != nil {
			return endpoint{raw: raw, mirror: true, err: withClass(fmt.Errorf("bad mirror: %w", err), errdefs.ErrInvalidArgument)}
		}
		ep := r.hostEndpoint(raw)
		ep.mirror = true
		return ep
	}
	ep := endpoint{raw: raw, mirror: true}
	host, scheme, err := splitMirrorURL(raw)
	switch {
	case err != nil:
		ep.err = withClass(fmt.Errorf("bad mirror URL: %w", err), errdefs.ErrInvalidArgument)
	case scheme == "http" && !r.plainHTTPAllowed(host):
		ep.err = fmt.Errorf("%w (use https:// or list %s as insecure)", ErrPlainHTTP, host)
	default:
		ep.host, ep.scheme = host, scheme
	}
	return ep
}

// splitMirrorURL checks a mirror URL: http or https, a host, nothing else.
func splitMirrorURL(raw string) (host, scheme string, err error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", "", err
	case u.Scheme != "http" && u.Scheme != "https":
		return "", "", fmt.Errorf("scheme %q is not http or https", u.Scheme)
	case u.Host == "":
		return "", "", errors.New("no host")
	case u.User != nil:
		return "", "", errors.New("credentials in mirror URLs are not supported")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "":
		return "", "", errors.New("a path, query or fragment is not supported; give scheme://host[:port]")
	}
	return strings.ToLower(u.Host), u.Scheme, nil
}

func checkHostPort(s string) error {
	if s == "" || strings.ContainsAny(s, "/ @?#") {
		return errors.New("want HOST[:PORT] or an http(s):// URL")
	}
	return nil
}

// canonicalRegistry maps Docker Hub's aliases to docker.io.
func canonicalRegistry(host string) string {
	host = strings.ToLower(host)
	switch host {
	case "index.docker.io", dockerHubAPI:
		return dockerHub
	}
	return host
}

// Validate reports every mirror URL and insecure entry that New would not
// use, or a plain-HTTP mirror that the insecure list does not allow.
func (c Config) Validate() error {
	var errs []error
	hosts := newHostSet(c.Insecure)
	errs = append(errs, hosts.errs...)
	r := &Resolver{insecure: hosts}
	for reg, mirrors := range c.Mirrors {
		if err := checkHostPort(reg); err != nil {
			errs = append(errs, fmt.Errorf("mirrors of %q: %w", reg, err))
		}
		for _, m := range mirrors {
			if ep := r.parseMirror(m); ep.err != nil {
				errs = append(errs, fmt.Errorf("mirror %q of %s: %w", m, reg, ep.err))
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("registry config: %w: %w", errors.Join(errs...), errdefs.ErrInvalidArgument)
}

// hostSet matches hosts against the insecure list: HOST:PORT matches that
// port only, HOST every port, a CIDR every IP in it.
type hostSet struct {
	hosts map[string]bool
	nets  []*net.IPNet
	errs  []error // entries that are none of the above
}

func newHostSet(entries []string) hostSet {
	s := hostSet{hosts: map[string]bool{}}
	for _, e := range entries {
		e = strings.ToLower(strings.TrimSpace(e))
		if _, n, err := net.ParseCIDR(e); err == nil {
			s.nets = append(s.nets, n)
			continue
		}
		if err := checkHostPort(e); err != nil || strings.Contains(e, "://") {
			s.errs = append(s.errs, fmt.Errorf("insecure registry %q: want HOST[:PORT] or a CIDR", e))
			continue
		}
		s.hosts[e] = true
	}
	return s
}

func (s hostSet) contains(hostport string) bool {
	hostport = strings.ToLower(hostport)
	if s.hosts[hostport] {
		return true
	}
	host := hostname(hostport)
	if s.hosts[host] {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		for _, n := range s.nets {
			if n.Contains(ip) {
				return true
			}
		}
	}
	return false
}

// plainHTTPAllowed: loopback hosts and hosts in the insecure list.
func (r *Resolver) plainHTTPAllowed(hostport string) bool {
	return isLoopback(hostname(hostport)) || r.insecure.contains(hostport)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostname strips the port and IPv6 brackets from host[:port].
func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}
