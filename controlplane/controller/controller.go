package controller

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/record"
)

// Deps are what every controller is built from: the API clients, the
// informer factories all controllers share (one watch per resource, one
// cache), and the events. Build the controllers with one Deps, then Run
// them; a Deps serves one Run.
type Deps struct {
	Client   kubernetes.Interface
	Metadata metadata.Interface
	// Informers are typed informers; Metadata informers keep only the
	// metadata of objects (for controllers that look at every kind, as
	// the garbage collector). Ask for an informer before Run.
	Informers         informers.SharedInformerFactory
	MetadataInformers metadatainformer.SharedInformerFactory

	events record.EventBroadcaster
}

// NewDeps returns the Deps of controllers talking to the API through
// client and md.
func NewDeps(client kubernetes.Interface, md metadata.Interface) *Deps {
	return &Deps{
		Client:            client,
		Metadata:          md,
		Informers:         informers.NewSharedInformerFactory(client, 0),
		MetadataInformers: metadatainformer.NewSharedInformerFactory(md, 0),
		events:            record.NewBroadcaster(),
	}
}

// Recorder returns the event recorder of a controller: core/v1 Events
// whose source component is component ("replicaset-controller"), as
// kube-controller-manager writes them; repeats are aggregated (count,
// lastTimestamp) by client-go's correlator.
func (d *Deps) Recorder(component string) record.EventRecorder {
	return d.events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: component})
}

// Controller is one control loop: Run works with workers workers until
// ctx ends, and returns when they are done.
type Controller interface {
	Run(ctx context.Context, workers int)
}

// Start is a controller to run and its number of workers.
type Start struct {
	Controller Controller
	Workers    int
}

// Run starts the informers and the event sink, runs the controllers
// until ctx ends, then stops the informers and flushes the events.
func (d *Deps) Run(ctx context.Context, controllers ...Start) {
	d.events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: d.Client.CoreV1().Events("")})
	defer d.events.Shutdown()
	d.Informers.Start(ctx.Done())
	defer d.Informers.Shutdown()
	d.MetadataInformers.Start(ctx.Done())
	defer d.MetadataInformers.Shutdown()
	var wg sync.WaitGroup
	for _, c := range controllers {
		wg.Go(func() { c.Controller.Run(ctx, c.Workers) })
	}
	wg.Wait()
}
