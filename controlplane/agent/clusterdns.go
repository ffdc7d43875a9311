package agent

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Service of the cluster DNS, by the name every cluster gives it.
const (
	dnsServiceNamespace = "kube-system"
	dnsServiceName      = "kube-dns"
)

// clusterDNS returns the cluster DNS servers: ClusterDNS when set, else
// the ClusterIPs of kube-system/kube-dns, read once through the API (an
// agent learns them at its start). Without that Service, or when it is
// headless, there are none: pods with dnsPolicy ClusterFirst then use
// the host's resolver, as kubelet without clusterDNS.
func clusterDNS(ctx context.Context, cfg Config) ([]string, error) {
	if len(cfg.ClusterDNS) > 0 {
		return cfg.ClusterDNS, nil
	}
	svc, err := cfg.Client.CoreV1().Services(dnsServiceNamespace).Get(ctx, dnsServiceName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		slog.WarnContext(ctx, "no cluster DNS: service kube-system/kube-dns not found and no --cluster-dns; ClusterFirst pods use the host's resolver")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cluster DNS from service %s/%s: %w", dnsServiceNamespace, dnsServiceName, err)
	}
	ips := slices.Clone(svc.Spec.ClusterIPs)
	if len(ips) == 0 && svc.Spec.ClusterIP != "" {
		ips = []string{svc.Spec.ClusterIP}
	}
	ips = slices.DeleteFunc(ips, func(ip string) bool { return ip == "" || ip == corev1.ClusterIPNone })
	if len(ips) == 0 {
		slog.WarnContext(ctx, "no cluster DNS: service kube-system/kube-dns has no cluster IP; ClusterFirst pods use the host's resolver")
		return nil, nil
	}
	slog.InfoContext(ctx, "cluster DNS from service kube-system/kube-dns", "servers", ips)
	return ips, nil
}
