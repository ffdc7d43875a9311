package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc/codes"
)

// RPC records the latency and the errors of CRI calls.
type RPC struct {
	latency *prometheus.HistogramVec
	errors  *prometheus.CounterVec
}

// NewRPC registers the RPC metrics with reg.
func NewRPC(reg prometheus.Registerer) *RPC {
	m := &RPC{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "skiff",
			Name:      "cri_request_duration_seconds",
			Help:      "Latency of CRI requests, by method.",
			Buckets:   []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"method"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "skiff",
			Name:      "cri_request_errors_total",
			Help:      "CRI requests that failed, by method and gRPC code.",
		}, []string{"method", "code"}),
	}
	reg.MustRegister(m.latency, m.errors)
	return m
}

// Observe records one finished call of method.
func (m *RPC) Observe(method string, code codes.Code, d time.Duration) {
	m.latency.WithLabelValues(method).Observe(d.Seconds())
	if code != codes.OK {
		m.errors.WithLabelValues(method, code.String()).Inc()
	}
}

// NewRegistry returns a registry holding the Go runtime and process
// collectors, for NewRPC and Serve.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves /metrics from reg and the pprof profiles under /debug/pprof/.
func Handler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// Serve listens on addr and serves Handler(reg) until ctx is done.
func Serve(ctx context.Context, addr string, reg *prometheus.Registry) (net.Addr, <-chan error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: Handler(reg), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	return ln.Addr(), done, nil
}
