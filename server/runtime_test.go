package server

import (
	"context"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/health"
	"github.com/skiffrt/skiff/internal/version"
)

func TestVersion(t *testing.T) {
	r, err := newEnv(config.Default()).s.Version(context.Background(), &runtime.VersionRequest{})
	if err != nil || r.RuntimeName != version.Name || r.RuntimeApiVersion != version.CRIVersion || r.Version != kubeAPIVersion {
		t.Errorf("Version = %+v, %v", r, err)
	}
}

func TestStatus(t *testing.T) {
	e := newEnv(config.Default())
	ctx := context.Background()
	r, err := e.s.Status(ctx, &runtime.StatusRequest{Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Status.Conditions {
		if !c.Status {
			t.Errorf("condition %+v", c)
		}
	}
	if r.Info["config"] == "" || !r.RuntimeHandlers[0].Features.RecursiveReadOnlyMounts {
		t.Errorf("info %v, handlers %v", r.Info, r.RuntimeHandlers)
	}
	e.notReady = &health.Problem{Reason: "NoNetwork", Message: "no config"}
	r, _ = e.s.Status(ctx, &runtime.StatusRequest{})
	net := r.Status.Conditions[1]
	if net.Type != runtime.NetworkReady || net.Status || net.Reason != "NoNetwork" || r.Info != nil {
		t.Errorf("network condition %+v", net)
	}
}

func TestRuntimeConfig(t *testing.T) {
	for manager, want := range map[string]runtime.CgroupDriver{
		config.SystemdManager: runtime.CgroupDriver_SYSTEMD, "cgroupfs": runtime.CgroupDriver_CGROUPFS,
	} {
		cfg := config.Default()
		cfg.CgroupManager = manager
		r, err := newEnv(cfg).s.RuntimeConfig(context.Background(), &runtime.RuntimeConfigRequest{})
		if err != nil || r.Linux.CgroupDriver != want {
			t.Errorf("%s: %v, %v", manager, r, err)
		}
	}
}

func TestUpdateRuntimeConfig(t *testing.T) {
	e := newEnv(config.Default())
	ctx := context.Background()
	req := func(cidr string) *runtime.UpdateRuntimeConfigRequest {
		return &runtime.UpdateRuntimeConfigRequest{RuntimeConfig: &runtime.RuntimeConfig{NetworkConfig: &runtime.NetworkConfig{PodCidr: cidr}}}
	}
	if _, err := e.s.UpdateRuntimeConfig(ctx, req("10.1.0.0/16")); err != nil || e.cidr.cidr != "10.1.0.0/16" {
		t.Errorf("pod CIDR %q, %v", e.cidr.cidr, err)
	}
	if _, err := e.s.UpdateRuntimeConfig(ctx, &runtime.UpdateRuntimeConfigRequest{}); err != nil || e.cidr.cidr != "10.1.0.0/16" {
		t.Errorf("an empty update changed the CIDR to %q, %v", e.cidr.cidr, err)
	}
	_, err := e.s.UpdateRuntimeConfig(ctx, req("bogus"))
	wantClass(t, err, errdefs.ErrInvalidArgument)
}
