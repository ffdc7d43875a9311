package metrics

import (
	"io"

	"github.com/prometheus/client_golang/prometheus"
)

// Runtime records what skiffd's runtime does besides answering calls:
// image pulls and the container events it hands out. Its gauges of
// shims and event listeners are read when scraped.
type Runtime struct {
	pullsInFlight prometheus.Gauge
	bytesPulled   prometheus.Counter
	eventsDropped prometheus.Counter
}

// RuntimeGauges are read at each scrape.
type RuntimeGauges struct {
	// ShimsAlive counts the shims that serve their socket.
	ShimsAlive func() float64
	// EventListeners counts the clients of GetContainerEvents.
	EventListeners func() float64
}

// NewRuntime registers the runtime metrics with reg.
func NewRuntime(reg prometheus.Registerer, g RuntimeGauges) *Runtime {
	r := &Runtime{
		pullsInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "skiff", Name: "image_pulls_in_flight", Help: "Image pulls under way.",
		}),
		bytesPulled: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "skiff", Name: "image_pulled_bytes_total", Help: "Bytes of image layers fetched from registries, as sent (compressed).",
		}),
		eventsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "skiff", Name: "container_events_dropped_listeners_total",
			Help: "Container event clients dropped because they fell too far behind.",
		}),
	}
	reg.MustRegister(r.pullsInFlight, r.bytesPulled, r.eventsDropped,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "skiff", Name: "shims_alive", Help: "skiff-shim processes serving their socket."}, g.ShimsAlive),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "skiff", Name: "container_event_listeners", Help: "Clients of GetContainerEvents."}, g.EventListeners),
	)
	return r
}

// PullStarted counts a pull in flight until done is called.
func (r *Runtime) PullStarted() (done func()) {
	r.pullsInFlight.Inc()
	return r.pullsInFlight.Dec
}

// CountPulled counts the bytes read from rc as pulled.
func (r *Runtime) CountPulled(rc io.ReadCloser) io.ReadCloser {
	return &countingReader{ReadCloser: rc, n: r.bytesPulled}
}

// EventsDropped counts a container events client dropped.
func (r *Runtime) EventsDropped(string) { r.eventsDropped.Inc() }

type countingReader struct {
	io.ReadCloser
	n prometheus.Counter
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(float64(n))
	return n, err
}
