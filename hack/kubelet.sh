#!/usr/bin/env bash
# kubelet.sh prints the path of a cached kubelet built from the tools module
# tools/kubelet (k8s.io/kubernetes's cmd/kubelet at the version its go.mod
# requires), building it first if it is not cached yet.
#
# The build compiles ~1800 packages: about 10 minutes of CPU, 20 minutes of
# wall time on a busy 2-core machine. It runs under nice so that it yields
# to interactive work; GOFLAGS (e.g. -p=1) is passed through to go.
#
# Cache: ${SKIFF_CACHE:-/var/cache/skiff}/kubelet-<version>-<key>/kubelet,
# where <key> is the first 16 hex digits of the sha256 of tools/kubelet's
# go.sum: any change of the pinned modules gives a new key and a rebuild.
# When the binary for the current key exists the script prints it and exits
# without calling go.
#
# Output: the binary's path on stdout, progress on stderr.
# Env: SKIFF_CACHE (cache root), SKIFF_KUBELET_REBUILD=1 (ignore the cache),
# GO (the go command).
set -euo pipefail

cache_root="${SKIFF_CACHE:-/var/cache/skiff}"
module="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools/kubelet" && pwd)"
go=${GO:-go}

log() { printf 'kubelet.sh: %s\n' "$*" >&2; }

version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3 }' "$module/go.mod")
[[ -n $version ]] || { log "no 'require k8s.io/kubernetes' line in $module/go.mod"; exit 1; }
key=$(sha256sum "$module/go.sum" | cut -c1-16)
dir="$cache_root/kubelet-$version-$key"
bin="$dir/kubelet"

cached() {
	[[ ${SKIFF_KUBELET_REBUILD:-} != 1 && -x $bin ]] && printf '%s\n' "$bin"
}

build() {
	local start=$SECONDS minor=${version#v*.}
	minor=${minor%%.*}
	# The version kubelet reports (kubelet --version, the node's
	# kubeletVersion); a plain go build would say v0.0.0-master.
	local pkg=k8s.io/component-base/version
	local ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
	ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"

	mkdir -p "$dir"
	tmp="$dir/kubelet.tmp.$$" # global: the EXIT trap uses it
	trap 'rm -f "$tmp"' EXIT
	log "building kubelet $version from $module (about 10 minutes of CPU)"
	# Static, as upstream ships it: no cgo toolchain needed.
	(cd "$module" && CGO_ENABLED=0 nice -n 10 "$go" build -trimpath -ldflags "$ldflags" \
		-o "$tmp" k8s.io/kubernetes/cmd/kubelet) >&2
	"$tmp" --version | grep -qx "Kubernetes $version" || {
		log "built binary reports $("$tmp" --version), want Kubernetes $version"
		return 1
	}
	mv -f "$tmp" "$bin"
	log "built in $((SECONDS - start))s"
	printf '%s\n' "$bin"
}

main() {
	mkdir -p "$cache_root"
	cached && return 0
	# Serialize concurrent callers; the winner builds, the others find the
	# cache filled when they get the lock.
	exec 9>"$cache_root/.kubelet.lock"
	flock 9
	cached && return 0
	build
}

main "$@"
