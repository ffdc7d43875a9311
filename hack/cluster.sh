#!/usr/bin/env bash
# Simulated nodes on this one machine: each node is a network namespace
# with its own skiffd, test registry and `skiff agent` (with its service
# proxy), on a bridge that stands for the LAN; `skiff server` runs on
# the host side of that bridge.
#
#   hack/cluster.sh up N     start the server and N nodes, wait until Ready
#   hack/cluster.sh kill I   kill node I's agent and skiffd (a node failure)
#   hack/cluster.sh down     stop everything and remove what it made
#   hack/cluster.sh env      print KUBECONFIG for the cluster
#
# Environment (defaults for `make cluster`):
#   SKIFF_BIN      binaries (bin/)
#   CLUSTER_DIR    state, logs, pid files (/tmp/skiff-cluster)
#   CLUSTER_NAME   prefix of the bridge, netns and veth names, <= 6 chars (skiff)
#   CLUSTER_NET    the LAN's /24, as its first three octets (192.168.250)
#   CLUSTER_PORT   the API server's port on the LAN (6443)
#   SERVER_FLAGS   extra flags of `skiff server`
#   AGENT_FLAGS    extra flags of every `skiff agent`
#
# The LAN is CLUSTER_NET.0/24 on bridge <name>-lan: the host (and the
# server) is .1, node I is .(10+I) in netns <name>-n<I>. Each skiffd has
# its own root, run root, socket, CNI cache, IPAM data and empty CNI
# config dir (under CLUSTER_DIR/n<I>: skiffd's own network whatever the
# host's /etc/cni/net.d holds), shim cgroup and pod cgroup parent
# (/<name>-n<I>...), and its default bridge skiff0 lives in the node's
# netns, so the host's own skiff0 is never touched. Processes enter only the node's network
# namespace (nsenter --net, not `ip netns exec`, which would also remount
# /sys and hide the cgroup mounts); they share the host's mounts. Nodes get their pod CIDRs from the
# server's node IPAM and route each other's (host-gw).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${SKIFF_BIN:-$here/bin}" && pwd)
dir=${CLUSTER_DIR:-/tmp/skiff-cluster}
name=${CLUSTER_NAME:-skiff}
net=${CLUSTER_NET:-192.168.250}
port=${CLUSTER_PORT:-6443}
lan=$name-lan
server_ip=$net.1

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

# start NAME LOGFILE CMD...: runs CMD in the background, in its own
# session, with its pid in $dir/pids/NAME.
start() {
	local what=$1 out=$2
	shift 2
	mkdir -p "$dir/pids"
	setsid "$@" >"$out" 2>&1 </dev/null &
	echo $! >"$dir/pids/$what"
}

# stop NAME [SIGNAL]: signals the process and waits up to 20 s for it.
stop() {
	local f=$dir/pids/$1 sig=${2:-TERM} pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill -"$sig" "$pid" 2>/dev/null || true
		for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && { log "$1 ignored SIG$sig; killing it"; kill -KILL "$pid" 2>/dev/null || true; }
	fi
	rm -f "$f"
}

wait_for() { # wait_for SECONDS WHAT CMD...
	local secs=$1 what=$2
	shift 2
	for _ in $(seq $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
	die "$what: not after ${secs}s (logs in $dir)"
}

kubectl() { "$bin/kubectl" --kubeconfig "$dir/admin.kubeconfig" "$@"; }

up_lan() {
	ip link add "$lan" type bridge
	ip addr add "$server_ip/24" dev "$lan"
	ip link set "$lan" up
}

up_server() {
	mkdir -p "$dir/server"
	# shellcheck disable=SC2086
	start server "$dir/server.log" "$bin/skiff" server --state-dir "$dir/server" --kubeconfig "$dir/admin.kubeconfig" \
		--listen "$server_ip:$port" --etcd-client-addr 127.0.0.1:0 --etcd-peer-addr 127.0.0.1:0 --agent=false ${SERVER_FLAGS:-}
	wait_for 60 "skiff server" kubectl get --raw /readyz
}

up_node() {
	local i=$1 ns=$name-n$i ip=$net.$((10 + i)) d=$dir/n$i
	mkdir -p "$d/net.d"
	ip netns add "$ns"
	ip link add "$name-v$i" type veth peer name eth0 netns "$ns"
	ip link set "$name-v$i" master "$lan" up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$ip/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$server_ip"

	cat >"$d/skiff.toml" <<TOML
root = "$d/root"
run_root = "$d/run"
listen = "$d/run/skiff.sock"
shim_cgroup = "/$name-n$i-shims"
[cni]
conf_dir = "$d/net.d"
ipam_data_dir = "$d/ipam"
[registry.mirrors]
"docker.io" = ["http://127.0.0.1:5000"]
"registry.k8s.io" = ["http://127.0.0.1:5000"]
"k8s.gcr.io" = ["http://127.0.0.1:5000"]
"gcr.io" = ["http://127.0.0.1:5000"]
"public.ecr.aws" = ["http://127.0.0.1:5000"]
TOML
	start "n$i-registry" "$d/registry.log" nsenter --net="/run/netns/$ns" "$bin/skiff-testregistry" --addr 127.0.0.1:5000
	start "n$i-skiffd" "$d/skiffd.log" nsenter --net="/run/netns/$ns" env HTTPS_PROXY= HTTP_PROXY= https_proxy= http_proxy= \
		"$bin/skiffd" --config "$d/skiff.toml" --log-level debug
	wait_for 30 "skiffd of node $i" test -S "$d/run/skiff.sock"
	up_agent "$i"
}

up_agent() {
	local i=$1 ns=$name-n$i ip=$net.$((10 + i)) d=$dir/n$i token
	if [ ! -f "$d/node.kubeconfig" ]; then
		token=$("$bin/skiff" server token create --kubeconfig "$dir/admin.kubeconfig" --ttl 1h --description "node $ns")
	fi
	# shellcheck disable=SC2086
	start "n$i-agent" "$d/agent.log" nsenter --net="/run/netns/$ns" "$bin/skiff" agent \
		--server "https://$server_ip:$port" --token "${token:-}" --certificate-authority "$dir/server/pki/ca.crt" \
		--kubeconfig "$d/node.kubeconfig" --node-name "$ns" --node-ip "$ip" --cri-socket "$d/run/skiff.sock" \
		--root-dir "$d/agent" --pod-log-dir "$d/logs" --cgroup-root "/$name-n$i" --manifest-dir "" \
		--agent-listen "$ip:10250" --pod-cidr-wait 30s --log-level debug ${AGENT_FLAGS:-}
}

ready() { # ready NODE: Ready=True, with a pod CIDR
	[ "$(kubectl get node "$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.spec.podCIDR}')" != "True " ] &&
		kubectl get node "$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' | grep -qx True
}

cmd_up() {
	local n=${1:-3}
	[ "$n" -ge 1 ] && [ "$n" -le 200 ] || die "up: 1 to 200 nodes"
	[ -e "/sys/class/net/$lan" ] && die "$lan exists: run '$0 down' first"
	mkdir -p "$dir"
	echo "$n" >"$dir/nodes"
	sysctl -qw net.ipv4.ip_forward=1
	up_lan
	up_server
	for i in $(seq "$n"); do up_node "$i"; done
	for i in $(seq "$n"); do wait_for 90 "node $name-n$i Ready with a pod CIDR" ready "$name-n$i"; done
	kubectl get nodes -o wide >&2
	echo "export KUBECONFIG=$dir/admin.kubeconfig"
}

cmd_kill() {
	local i=${1:?kill: node number}
	stop "n$i-agent" KILL
	stop "n$i-skiffd" KILL
	log "node $name-n$i: agent and skiffd killed"
}

# down_node removes every pod of the node's skiffd (restarting it if it
# was killed), stops its processes, kills what is still in the node's
# cgroups (shims and containers of a pod that could not be removed),
# and removes its netns, veth, mounts and cgroups.
down_node() {
	local i=$1 ns=$name-n$i d=$dir/n$i
	local crictl=("$bin/crictl" --runtime-endpoint "unix://$d/run/skiff.sock" --timeout 60s)
	stop "n$i-agent"
	if [ -f "$d/skiff.toml" ] && [ -e "/run/netns/$ns" ]; then
		if ! kill -0 "$(cat "$dir/pids/n$i-skiffd" 2>/dev/null || echo 0)" 2>/dev/null; then
			start "n$i-skiffd" "$d/skiffd-down.log" nsenter --net="/run/netns/$ns" "$bin/skiffd" --config "$d/skiff.toml"
		fi
		for _ in $(seq 150); do "${crictl[@]}" version >/dev/null 2>&1 && break; sleep 0.2; done
		for p in $(nsenter --net="/run/netns/$ns" "${crictl[@]}" pods -q 2>/dev/null); do
			nsenter --net="/run/netns/$ns" "${crictl[@]}" rmp -f "$p" >/dev/null 2>&1 || log "node $i: pod $p not removed"
		done
	fi
	stop "n$i-skiffd"
	stop "n$i-registry"
	local cgs=() h
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[ -d "$h$name-n$i" ] && cgs+=("$h$name-n$i")
		[ -d "$h$name-n$i-shims" ] && cgs+=("$h$name-n$i-shims")
	done
	if [ ${#cgs[@]} -gt 0 ]; then
		local pids
		pids=$(find "${cgs[@]}" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
		# shellcheck disable=SC2086
		[ -n "$pids" ] && { log "node $i: killing leftover processes $pids"; kill -KILL $pids 2>/dev/null || true; sleep 0.5; }
		find "${cgs[@]}" -depth -type d -exec rmdir {} + 2>/dev/null || true
	fi
	{ grep -o " $d/[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
	ip link del "$name-v$i" 2>/dev/null || true
}

cmd_down() {
	local n i
	n=$(cat "$dir/nodes" 2>/dev/null || echo 0)
	for i in $(seq "$n"); do down_node "$i"; done
	stop server
	ip link del "$lan" 2>/dev/null || true
	rm -rf "$dir"
	log "down: nothing left"
}

case "${1:-}" in
up) cmd_up "${2:-3}" ;;
kill) cmd_kill "${2:-}" ;;
down) cmd_down ;;
env) echo "export KUBECONFIG=$dir/admin.kubeconfig" ;;
*) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
