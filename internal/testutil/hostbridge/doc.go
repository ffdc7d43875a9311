// Package hostbridge gives each test harness that runs pods on the host a
// CNI bridge and subnet of its own, and cleans them up.
//
// A CNI bridge outlives the daemon that made it, and two bridges on one
// subnet (skiff0 and another runtime's cni0 on 10.88.0.0/16, say) break
// pod routing on the host. So no harness uses skiffd's built-in network
// (skiff0, 10.88.0.0/16) or the host's /etc/cni/net.d: each names its own
// bridge and subnet (the variables below), refuses to start when the
// subnet is routed through another interface, deletes a bridge of its name
// left by an interrupted run (Claim), and deletes its bridge at the end
// (Delete). The harnesses run under flock /tmp/skiff-heavy.lock, so one
// run of a harness at a time owns its bridge.
package hostbridge
