package main

import (
	"context"
	"sync"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"

	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
	"github.com/skiffrt/skiff/controlplane/leader"
	"github.com/skiffrt/skiff/controlplane/pki"
	"github.com/skiffrt/skiff/controlplane/scheduler"
	"github.com/skiffrt/skiff/internal/log"
)

// startScheduler runs the scheduler until ctx ends, while this server
// holds the kube-system/kube-scheduler Lease, as a client of the API at
// url with a certificate of its own; stop waits for it to finish.
func startScheduler(ctx context.Context, ca *pki.CA, pkiDir, url, identity string) (stop func(), err error) {
	cfg, err := clientConfig(ca, pkiDir, url, "scheduler", auth.SchedulerUser)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(log.WithAttrs(ctx, "component", "scheduler"))
	var wg sync.WaitGroup
	wg.Go(func() {
		lease := leader.Config{Client: client, Namespace: "kube-system", Name: "kube-scheduler", Identity: identity}
		err := leader.Run(ctx, lease, func(ctx context.Context) {
			if err := runScheduler(ctx, client); err != nil {
				log.G(ctx).Error("scheduler", log.KeyError, err)
			}
		})
		if err != nil {
			log.G(ctx).Error("scheduler leader election", log.KeyError, err)
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}, nil
}

// runScheduler runs a scheduler, its informers and its events until ctx
// ends.
func runScheduler(ctx context.Context, client kubernetes.Interface) error {
	factory := informers.NewSharedInformerFactory(client, 0)
	defer factory.Shutdown()
	broadcaster := events.NewBroadcaster(&events.EventSinkImpl{Interface: client.EventsV1()})
	defer broadcaster.Shutdown()
	sched, err := scheduler.New(client, factory, broadcaster.NewRecorder(scheme.Scheme, scheduler.Name))
	if err != nil {
		return err
	}
	if err := broadcaster.StartRecordingToSinkWithContext(ctx); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	sched.Run(ctx)
	return nil
}

// clientConfig is the configuration of an in-process client of the API
// at url, authenticated by the client certificate <pkiDir>/<name>.crt of
// user in groups.
func clientConfig(ca *pki.CA, pkiDir, url, name, user string, groups ...string) (*rest.Config, error) {
	cert, err := ca.Client(pkiDir, name, user, groups)
	if err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := pki.PEM(cert)
	if err != nil {
		return nil, err
	}
	return &rest.Config{
		Host:            url,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca.PEM, CertData: certPEM, KeyData: keyPEM},
		UserAgent:       user,
	}, nil
}
