package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Forwarder sends the questions that are not the zone's to upstream
// resolvers, in order, the next when one fails or times out.
type Forwarder struct {
	// Upstreams are host:port addresses.
	Upstreams []string
	// Timeout bounds one exchange with one upstream.
	Timeout time.Duration
}

// ErrNoUpstream is returned when no upstream is configured.
var ErrNoUpstream = errors.New("no upstream resolver")

// Exchange asks the upstreams r (a nil Forwarder has none) over network ("udp" or "tcp", as the
// client asked). A truncated UDP answer is returned as it is: the client
// retries over TCP, and so does the Forwarder then.
func (f *Forwarder) Exchange(ctx context.Context, r *dns.Msg, network string) (*dns.Msg, error) {
	if f == nil || len(f.Upstreams) == 0 {
		return nil, ErrNoUpstream
	}
	c := &dns.Client{Net: network, Timeout: f.Timeout}
	var errs []error
	for _, up := range f.Upstreams {
		resp, _, err := c.ExchangeContext(ctx, r, up)
		if err == nil {
			return resp, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", up, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("forward %s: %w", questionString(r), errors.Join(errs...))
}

func questionString(r *dns.Msg) string {
	if len(r.Question) == 0 {
		return "(no question)"
	}
	q := r.Question[0]
	return q.Name + " " + dns.TypeToString[q.Qtype]
}

// ResolvConfUpstreams returns the nameservers of a resolv.conf as
// host:port (port 53).
func ResolvConfUpstreams(path string) ([]string, error) {
	cc, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("upstream resolvers: %w", err)
	}
	out := make([]string, 0, len(cc.Servers))
	for _, s := range cc.Servers {
		out = append(out, net.JoinHostPort(s, cc.Port))
	}
	return out, nil
}

// ParseUpstreams reads a comma-separated list of addresses, each an IP
// or IP:port (port 53 when left out).
func ParseUpstreams(s string) ([]string, error) {
	var out []string
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if ip := net.ParseIP(strings.Trim(a, "[]")); ip != nil {
			out = append(out, net.JoinHostPort(ip.String(), "53"))
			continue
		}
		host, _, err := net.SplitHostPort(a)
		if err != nil || net.ParseIP(host) == nil {
			return nil, fmt.Errorf("upstream %q: want an IP or IP:port", a)
		}
		out = append(out, a)
	}
	return out, nil
}
