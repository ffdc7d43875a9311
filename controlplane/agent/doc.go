// Package agent is skiff's node agent: kubelet's role for skiff's
// control plane. It is a client of the API server only (client-go, pods
// filtered to spec.nodeName=<node>) and a CRI client of skiffd, and runs
// the node's pods:
//
//	informer (pods of this node) ┐
//	manifest dir (static pods)   ├─▶ one worker goroutine per pod UID
//	relist of the runtime (PLEG) ┘      │
//	                                    ▼
//	  state.Read ─▶ actions.Compute ─▶ runner.Sync (CRI) ─▶ podstatus.Generate ─▶ PATCH pods/status
//
// Each worker syncs its pod when woken (the pod changed, its containers
// changed state, a probe flipped, a back-off ended) and every resync
// period; a pod that is deleted (deletionTimestamp) or gone is killed
// with its grace period, its final status posted, the API object
// removed with grace 0, and what it left on the node cleaned up.
//
// Around the workers: the node's registration, status and Lease (package
// node), the probes (package prober), static and mirror pods (package
// static), housekeeping that removes what the runtime has of pods no
// source knows, and the HTTPS endpoint the API server uses for logs,
// exec, attach and port-forward (package server).
//
// After a restart of the agent or of skiffd nothing running restarts:
// workers find their sandboxes and containers by the pod UID label and
// keep those whose spec hash still matches.
package agent
