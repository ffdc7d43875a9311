package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/skiffrt/skiff/controlplane/apiserver/auth"
)

// runToken is `skiff server token create`: a bootstrap token for `skiff
// agent --token`, kept as a Secret in kube-system through the API (with
// the admin's kubeconfig), so that every API server of the cluster knows
// it, a restart keeps it, and deleting the Secret revokes it.
func runToken(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: skiff server token create [--kubeconfig FILE] [--ttl DURATION] [--description TEXT]")
		return 2
	}
	fs := flag.NewFlagSet("skiff server token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kubeconfig := fs.String("kubeconfig", "/etc/skiff/admin.kubeconfig", "the admin's kubeconfig")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid (0: forever)")
	desc := fs.String("description", "", "what the token is for")
	if err := fs.Parse(args[1:]); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2
	}
	if fs.NArg() > 0 || *ttl < 0 {
		fmt.Fprintln(stderr, "skiff server token create: takes no arguments and a --ttl of 0 or more")
		return 2
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err == nil {
		err = createToken(cfg, *ttl, *desc, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "skiff server token create: %v\n", err)
		return 1
	}
	return 0
}

func createToken(cfg *rest.Config, ttl time.Duration, desc string, stdout io.Writer) error {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	token, secret := auth.NewBootstrapToken(ttl, desc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := client.CoreV1().Secrets(secret.Namespace).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		return err
	}
	fmt.Fprintln(stdout, token)
	return nil
}
