package streaming

import (
	"context"
	"net/http"
	"path"
	"sync"
	"time"
)

// optionsTTL outlives the library's tokens (a minute): an entry is
// never gone while its token is still good.
const optionsTTL = 2 * time.Minute

// maxOptions bounds the table, as the library bounds its cache (1000).
const maxOptions = 1000

// streams are the streams an exec or attach request asked for.
type streams struct {
	stdin, stdout, stderr, tty bool
}

// options remembers, by token, the streams each request asked for, until
// its URL is used or it expires. It is safe for concurrent use.
type options struct {
	mu      sync.Mutex // guards entries
	entries map[string]optionsEntry
}

type optionsEntry struct {
	streams streams
	expires time.Time
}

func newOptions() *options { return &options{entries: map[string]optionsEntry{}} }

func (o *options) add(token string, s streams) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	if len(o.entries) >= maxOptions {
		for t, e := range o.entries {
			if now.After(e.expires) {
				delete(o.entries, t)
			}
		}
	}
	if len(o.entries) < maxOptions {
		o.entries[token] = optionsEntry{streams: s, expires: now.Add(optionsTTL)}
	}
}

// take returns and forgets the streams of token.
func (o *options) take(token string) (streams, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.entries[token]
	delete(o.entries, token)
	return e.streams, ok && time.Now().Before(e.expires)
}

type optionsKey struct{}

// handler puts the streams that a request's token asked for into its
// context, where runtime finds them, and passes it on to next.
func (o *options) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := o.take(path.Base(r.URL.Path)); ok {
			r = r.WithContext(context.WithValue(r.Context(), optionsKey{}, s))
		}
		next.ServeHTTP(w, r)
	})
}

// streamsOf returns the streams that ctx's request asked for.
func streamsOf(ctx context.Context) (streams, bool) {
	s, ok := ctx.Value(optionsKey{}).(streams)
	return s, ok
}
