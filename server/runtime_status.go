package server

import (
	"context"
	"encoding/json"
	"fmt"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/health"
)

// Status reports the RuntimeReady and NetworkReady conditions and what the
// runtime supports; verbose adds the effective configuration under
// "config".
func (s *Server) Status(ctx context.Context, req *runtime.StatusRequest) (*runtime.StatusResponse, error) {
	resp := &runtime.StatusResponse{
		Status: &runtime.RuntimeStatus{Conditions: []*runtime.RuntimeCondition{
			condition(runtime.RuntimeReady, s.runtimeReady(ctx)),
			condition(runtime.NetworkReady, s.networkReady(ctx)),
		}},
		// The default handler, the only one; no user namespaces yet.
		RuntimeHandlers: []*runtime.RuntimeHandler{{Features: &runtime.RuntimeHandlerFeatures{
			RecursiveReadOnlyMounts: s.features.RecursiveReadOnlyMounts,
		}}},
		Features: &runtime.RuntimeFeatures{SupplementalGroupsPolicy: true},
	}
	if req.GetVerbose() {
		cfg, err := json.Marshal(s.cfg)
		if err != nil {
			return nil, fmt.Errorf("encode config: %w", err)
		}
		resp.Info = map[string]string{"config": string(cfg)}
	}
	return resp, nil
}

func condition(typ string, p *health.Problem) *runtime.RuntimeCondition {
	if p == nil {
		return &runtime.RuntimeCondition{Type: typ, Status: true}
	}
	return &runtime.RuntimeCondition{Type: typ, Status: false, Reason: p.Reason, Message: p.Message}
}
