#!/usr/bin/env bash
# busybox.sh prints the path of a cached, static busybox built from Debian's
# busybox source package with the upstream default configuration, building
# it first if it is not cached yet.
#
# Why not Debian's busybox-static: it is configured with
# FEATURE_SH_STANDALONE/FEATURE_PREFER_APPLETS (the shell runs applets in
# process instead of exec'ing /bin/<applet>) and lacks applets such as ipcs
# and pgrep, which the CRI validation suite (critest) runs in containers.
#
# Cache: ${SKIFF_CACHE:-/var/cache/skiff}/busybox-<debian source version>/busybox
# (the epoch is dropped from the version: no ':' in paths). When a cached
# binary exists the script prints it and exits without calling apt.
#
# Steps on a cache miss (unattended, as root):
#   1. if no deb-src entry is configured, add one for the release's main
#      component, derived from the apt source that serves its binaries
#      (/etc/apt/sources.list.d/skiff-src.sources or .list);
#   2. apt-get update; install dpkg-dev and build-essential if missing;
#   3. apt-get source busybox into a temporary directory;
#   4. make defconfig, then CONFIG_STATIC=y and the conditional disables
#      listed below;
#   5. make -j$(nproc); check the binary is static and has the applets
#      critest needs; copy it into the cache atomically.
#
# Output: the binary's path on stdout, progress on stderr.
# Env: SKIFF_CACHE (cache root), SKIFF_BUSYBOX_REBUILD=1 (ignore the cache).
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
cache_root="${SKIFF_CACHE:-/var/cache/skiff}"

# Applets that must be present in the result.
required_applets=(sh ipcs pgrep pidof httpd nc id sleep top ps ls cat echo
	env grep touch chmod mkdir mount hostname ping netstat brctl wget)

# Config symbols switched off after defconfig when they cannot build here.
#
# tc (CONFIG_TC, CONFIG_FEATURE_TC_INGRESS): networking/tc.c uses the CBQ
# qdisc definitions (TCA_CBQ_*), which were removed from the kernel uapi
# headers in Linux 6.8; with such linux-libc-dev headers tc.c does not
# compile. bookworm's 6.1 headers still have them, so tc is kept there.
# No test needs tc.
tc_unbuildable() { ! grep -q TCA_CBQ_MAX /usr/include/linux/pkt_sched.h 2>/dev/null; }

log() { printf 'busybox.sh: %s\n' "$*" >&2; }

cached_binary() {
	local f
	# Newest cached version first.
	for f in $(ls -d "$cache_root"/busybox-*/busybox 2>/dev/null | sort -rV); do
		if [[ -x $f ]]; then
			printf '%s\n' "$f"
			return 0
		fi
	done
	return 1
}

# ensure_deb_src adds a deb-src entry for the release's main component,
# made from the machine's own apt source that serves it (apt-get
# indextargets names it): the same URIs, keyring and options, so that no
# host is written here and a mirror or proxy configured for apt is used.
ensure_deb_src() {
	local codename entry file n dst
	if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 0
	fi
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[[ -n $codename ]] || { log "no VERSION_CODENAME in /etc/os-release"; return 1; }
	entry=$(apt-get indextargets --format '$(SOURCESENTRY)' \
		"Identifier: Packages" "Release: $codename" "Component: main" | head -n1)
	[[ -n $entry ]] || { log "no apt source serves $codename main: add a deb-src entry for it"; return 1; }
	file=${entry%:*} n=${entry##*:}
	case $file in
	*.sources) # deb822: n counts stanzas; keep it whole but its type and suite
		dst=/etc/apt/sources.list.d/skiff-src.sources
		awk -v n="$n" -v suite="$codename" 'BEGIN { RS = ""; ORS = "\n" } NR == n {
			gsub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); gsub(/(^|\n)Suites:[^\n]*/, "\nSuites: " suite)
			sub(/^\n/, ""); print; exit }' "$file" >"$dst.tmp"
		;;
	*) # one-line format: n counts lines; "deb [options] uri suite components"
		dst=/etc/apt/sources.list.d/skiff-src.list
		sed -n "${n}s/^[[:space:]]*deb[[:space:]]/deb-src /p" "$file" >"$dst.tmp"
		;;
	esac
	if ! grep -qE '^(Types: deb-src|deb-src )' "$dst.tmp"; then
		rm -f "$dst.tmp"
		log "could not derive a deb-src entry from $entry"
		return 1
	fi
	mv "$dst.tmp" "$dst"
	log "added $dst, from $entry"
}

ensure_tools() {
	local missing=() p
	for p in dpkg-dev build-essential; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if ((${#missing[@]})); then
		log "installing ${missing[*]}"
		apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
	fi
}

# source_version prints busybox's newest Debian source version.
source_version() {
	apt-cache showsrc busybox | awk '/^Version:/ {print $2}' | sort -rV | head -n1
}

disable() {
	local opt
	for opt in "$@"; do
		sed -i "s/^${opt}=y\$/# ${opt} is not set/" .config
	done
}

configure() {
	make -s defconfig || return 1
	sed -i 's/^# CONFIG_STATIC is not set$/CONFIG_STATIC=y/' .config || return 1
	if tc_unbuildable; then
		log "disabling tc: kernel headers lack TCA_CBQ_*"
		disable CONFIG_TC CONFIG_FEATURE_TC_INGRESS
	fi
	# Accept defaults for anything the edits made newly visible.
	yes '' | make -s oldconfig >/dev/null 2>&1 || true
	grep -qx 'CONFIG_STATIC=y' .config || { log "CONFIG_STATIC not set"; return 1; }
	if grep -qE '^CONFIG_FEATURE_(SH_STANDALONE|PREFER_APPLETS)=y' .config; then
		log "defconfig enables in-process applets; refusing"
		return 1
	fi
}

verify() {
	local bin=$1 a list
	if readelf -l "$bin" | grep -q 'INTERP'; then
		log "$bin is not static"
		return 1
	fi
	list=$("$bin" --list)
	for a in "${required_applets[@]}"; do
		grep -qx "$a" <<<"$list" || { log "$bin lacks applet $a"; return 1; }
	done
}

build() {
	local version dir src start
	start=$SECONDS
	ensure_deb_src
	log "apt-get update"
	apt-get update -q >&2
	ensure_tools
	version=$(source_version)
	[[ -n $version ]] || { log "no busybox source package found"; return 1; }
	dir="$cache_root/busybox-${version#*:}" # no epoch: no ':' in paths

	work=$(mktemp -d /tmp/skiff-busybox.XXXXXX) # global: the EXIT trap uses it
	trap 'rm -rf "$work"' EXIT
	# apt-get source downloads as the _apt user into the current directory.
	chown _apt "$work" 2>/dev/null || chmod 777 "$work"
	log "fetching busybox $version source into $work"
	(cd "$work" && apt-get source -q "busybox=$version" >&2)
	src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'busybox-*' | head -n1)
	[[ -n $src ]] || { log "unpacked source not found"; return 1; }

	log "building (log: $work/build.log)"
	# set -e does not apply left of ||: chain the steps explicitly.
	(cd "$src" && configure && make -j"$(nproc)" busybox) >"$work/build.log" 2>&1 || {
		tail -n 40 "$work/build.log" >&2
		log "build failed"
		return 1
	}
	verify "$src/busybox"

	mkdir -p "$dir"
	cp "$src/busybox" "$dir/busybox.tmp.$$"
	cp "$src/.config" "$dir/config"
	mv -f "$dir/busybox.tmp.$$" "$dir/busybox"
	log "built in $((SECONDS - start))s"
	printf '%s\n' "$dir/busybox"
}

main() {
	mkdir -p "$cache_root"
	if [[ ${SKIFF_BUSYBOX_REBUILD:-} != 1 ]] && cached_binary; then
		return 0
	fi
	# Serialize concurrent callers (parallel test packages); the winner
	# builds, the others find the cache filled when they get the lock.
	exec 9>"$cache_root/.busybox.lock"
	flock 9
	if [[ ${SKIFF_BUSYBOX_REBUILD:-} != 1 ]] && cached_binary; then
		return 0
	fi
	build
}

main "$@"
