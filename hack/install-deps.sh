#!/usr/bin/env bash
# Installs, with apt-get, the Debian packages that building, running and
# testing skiff need, when any is missing; checks that Go is new enough.
# Idempotent and quiet when everything is present. "install-deps.sh bench"
# adds the reference runtime the benchmark measures skiff against.
set -euo pipefail

packages=(
	gcc libc6-dev make pkg-config git ca-certificates # cgo builds
	libseccomp-dev                                    # seccomp in skiff-shim
	iproute2 iptables                                 # pod networking
	nftables                                          # the service proxy (nft, driven by knftables)
	containernetworking-plugins                       # CNI plugins in /usr/lib/cni
	criu                                              # checkpoint and restore, and the libraries of hack/criu.sh's build
)
if [[ ${1:-} == bench ]]; then
	packages+=(containerd runc) # the reference runtime of test/bench
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

go=${GO:-go}
if ! command -v "$go" >/dev/null; then
	echo "install-deps: Go not found (looked for '$go'); install Go 1.26 or newer at /usr/local/go" >&2
	exit 1
fi
