// Command skiff-testregistry serves skiff's test images (package
// testimage: the critest set, busybox, layered, multi-platform) from an
// in-memory registry on a loopback address, for critest and end-to-end
// runs without network.
//
//	skiff-testregistry [--addr 127.0.0.1:5000] [--busybox PATH] [--verbose]
//
// It prints one line per served reference, "ORIGINAL -> LOCAL", then
// "ready ADDR" (with the port chosen when --addr has port 0), and serves
// until SIGINT or SIGTERM, then exits 0. Point the runtime's registry
// mirrors for docker.io, registry.k8s.io, k8s.gcr.io, gcr.io and
// public.ecr.aws at http://ADDR.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/skiffrt/skiff/internal/testutil/testimage"
	"github.com/skiffrt/skiff/internal/testutil/testregistry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run serves until ctx is done and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("skiff-testregistry", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:5000", "loopback `host:port` to listen on (port 0: any free port)")
	busybox := fs.String("busybox", "", "static busybox `path` (default: $"+testimage.BusyboxEnv+", else hack/busybox.sh)")
	verbose := fs.Bool("verbose", false, "log every registry request to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "skiff-testregistry: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := serve(ctx, *addr, *busybox, *verbose, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "skiff-testregistry: %v\n", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, addr, busybox string, verbose bool, stdout, stderr io.Writer) error {
	if busybox == "" {
		var err error
		if busybox, err = testimage.BusyboxPath(); err != nil {
			return err
		}
	}
	images, err := testimage.All(busybox)
	if err != nil {
		return err
	}
	var opts []testregistry.Option
	if verbose {
		opts = append(opts, testregistry.WithLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	reg, err := testregistry.Start(ctx, addr, images, opts...)
	if err != nil {
		return err
	}
	for _, s := range reg.Refs() {
		fmt.Fprintf(stdout, "%s -> %s\n", s.Ref, s.Local)
	}
	fmt.Fprintf(stdout, "ready %s\n", reg.Addr())
	<-ctx.Done()
	return reg.Close()
}
