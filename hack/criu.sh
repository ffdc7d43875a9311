#!/usr/bin/env bash
# criu.sh prints the path of a cached criu binary built from Debian's criu
# source package of a newer suite (sid, then trixie), building it first if
# it is not cached yet. skiffd uses it for checkpoint and restore
# (criu_path; docs/checkpoint.md).
#
# Why not Debian 12's criu package: CRIU 3.17.1 fails "criu check" on
# kernels from 6.13 on ("vdso: Unexpected rt vDSO area bounds": the kernel
# changed the layout of the vvar area, checkpoint-restore/criu#2532); CRIU
# 4.x handles it.
#
# Cache: ${SKIFF_CACHE:-/var/cache/skiff}/criu-<debian source version>/criu
# (the epoch dropped: no ':' in paths), with build-info beside it. When a
# cached binary exists the script prints it and exits without calling apt.
#
# Steps on a cache miss (unattended, as root):
#   1. read the mirror and keyring of the release's deb entry from the
#      machine's apt sources (no host is written here);
#   2. apt-get update into a private state directory with deb-src entries
#      for $SKIFF_CRIU_SUITES on that mirror: apt verifies the suites'
#      signed InRelease files and their Sources indexes; the system's apt
#      state is left alone;
#   3. pick the newest criu source version (or $SKIFF_CRIU_VERSION) and
#      download its files with apt's own downloader, each checked against
#      the SHA-256 of the signed Sources index. The .dsc and the upstream
#      tarball are required; Debian's patch tarball is applied when the
#      mirror has it;
#   4. install the build dependencies from the release (bookworm) with
#      apt-get; no documentation, no Python bindings, no plugins;
#   5. make criu; check that "criu check" passes on this kernel, with the
#      features runc's checkpoint of a pod container needs; copy the binary
#      into the cache atomically.
#
# The binary links the release's shared libraries (libprotobuf-c, libnl,
# libnet, libnftables, libgnutls, libbsd), which the build dependencies
# install and make deps keeps (Debian's criu package depends on them).
#
# Output: the binary's path on stdout, progress on stderr.
# Env: SKIFF_CACHE (cache root), SKIFF_CRIU_REBUILD=1 (ignore the cache),
# SKIFF_CRIU_SUITES (default "sid trixie"), SKIFF_CRIU_VERSION (a Debian
# source version, e.g. 4.2.1-1).
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
cache_root="${SKIFF_CACHE:-/var/cache/skiff}"
suites=(${SKIFF_CRIU_SUITES:-sid trixie})

build_deps=(build-essential pkgconf protobuf-compiler protobuf-c-compiler
	libprotobuf-dev libprotobuf-c-dev libnl-3-dev libnet1-dev libcap-dev
	libbsd-dev libnftables-dev libgnutls28-dev uuid-dev)

# Kernel features runc relies on to checkpoint and restore a container of
# a pod: its network namespace is the pod's (external), and seccomp
# filters and the time namespace are restored.
required_features=(external_net_ns seccomp_filters timens)

log() { printf 'criu.sh: %s\n' "$*" >&2; }

cached_binary() {
	local f
	# Newest cached version first.
	for f in $(ls -d "$cache_root"/criu-*/criu 2>/dev/null | sort -rV); do
		if [[ -x $f ]]; then
			printf '%s\n' "$f"
			return 0
		fi
	done
	return 1
}

# mirror prints the URI and keyring of the deb822 stanza of
# debian.sources whose Suites list the release's codename, as
# hack/busybox.sh reads them.
mirror() {
	local codename uri keyring
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	read -r uri keyring < <(awk -v suite="$codename" '
		/^$/ { if (hit) exit; uri = ""; key = ""; hit = 0 }
		/^URIs:/ { uri = $2 }
		/^Signed-By:/ { key = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) hit = 1 }
		END { if (hit) print uri, key }
	' /etc/apt/sources.list.d/debian.sources 2>/dev/null) || true
	if [[ -z ${uri:-} ]]; then # one-line format
		uri=$(awk -v suite="$codename" '$1 == "deb" && $3 == suite { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
	fi
	[[ -n ${uri:-} ]] || { log "no deb entry for $codename in the apt sources"; return 1; }
	printf '%s %s\n' "$uri" "${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}"
}

# private_apt sets up apt state under $work/apt for the deb-src entries of
# the newer suites and fills the array apt_opts with the options that use it.
private_apt() {
	local uri keyring s
	read -r uri keyring < <(mirror)
	mkdir -p "$work/apt/lists/partial" "$work/apt/cache" "$work/apt/parts"
	for s in "${suites[@]}"; do
		printf 'deb-src [signed-by=%s] %s %s main\n' "$keyring" "$uri" "$s"
	done >"$work/apt/sources.list"
	apt_opts=(-o "Dir::Etc::SourceList=$work/apt/sources.list" -o "Dir::Etc::SourceParts=$work/apt/parts"
		-o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache")
	log "apt-get update: deb-src ${suites[*]} from $uri"
	apt-get -q "${apt_opts[@]}" update >&2
}

# versions prints criu's source versions in the private index, newest first.
versions() {
	apt-cache "${apt_opts[@]}" showsrc criu | awk '/^Version:/ {print $2}' | sort -rVu
}

# fetch downloads the source files of criu $1 into $2, each checked
# against the signed index's SHA-256 by apt-helper. It fails when the .dsc
# or an upstream tarball is missing; Debian's tarball is optional.
fetch() {
	local version=$1 dir=$2 uri file size hash
	while read -r uri file size hash; do
		uri=${uri//\'/}
		if /usr/lib/apt/apt-helper -q download-file "$uri" "$dir/$file" "$hash" >/dev/null 2>&1; then
			log "fetched $file ($size bytes, $hash)"
		elif [[ $file == *.debian.tar.* ]]; then
			log "the mirror lacks $file: building upstream's source without Debian's patches"
		else
			log "cannot fetch $uri"
			return 1
		fi
	done < <(apt-get "${apt_opts[@]}" --print-uris -qq source "criu=$version")
	ls "$dir"/*.dsc "$dir"/*.orig.tar.* >/dev/null 2>&1
}

# unpack extracts the upstream tarball in $1 and applies Debian's quilt
# series when its tarball was fetched; it prints the source directory.
unpack() {
	local dir=$1 src p
	tar -C "$dir" -xf "$(ls "$dir"/*.orig.tar.* | head -n1)"
	src=$(find "$dir" -mindepth 1 -maxdepth 1 -type d -name 'criu-*' | head -n1)
	[[ -n $src ]] || { log "unpacked source not found"; return 1; }
	if ls "$dir"/*.debian.tar.* >/dev/null 2>&1; then
		tar -C "$src" -xf "$(ls "$dir"/*.debian.tar.* | head -n1)"
		if [[ -f $src/debian/patches/series ]]; then
			while read -r p; do
				[[ -z $p || $p == \#* ]] && continue
				log "applying debian/patches/$p"
				patch -d "$src" -p1 -s <"$src/debian/patches/$p" >&2
			done <"$src/debian/patches/series"
		fi
	fi
	printf '%s\n' "$src"
}

ensure_build_deps() {
	local missing=() p
	for p in "${build_deps[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if ((${#missing[@]})); then
		log "installing ${missing[*]}"
		apt-get update -q >&2
		apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
	fi
}

# verify runs criu check and the feature checks with binary $1.
verify() {
	local bin=$1 f out
	if ! out=$("$bin" check 2>&1); then
		log "$("$bin" --version | head -n1): criu check fails on kernel $(uname -r):"
		printf '%s\n' "$out" | grep -m3 Error >&2 || printf '%s\n' "$out" >&2
		return 1
	fi
	for f in "${required_features[@]}"; do
		"$bin" check --feature "$f" >/dev/null 2>&1 || { log "criu check --feature $f fails"; return 1; }
	done
}

build() {
	local version src dir start apt_opts=()
	start=$SECONDS
	work=$(mktemp -d /tmp/skiff-criu.XXXXXX) # global: the EXIT trap uses it
	trap 'rm -rf "$work"' EXIT
	# apt downloads as the _apt user.
	chown _apt "$work" 2>/dev/null || chmod 755 "$work"
	private_apt
	mkdir -p "$work/src"
	chown _apt "$work/src" 2>/dev/null || true
	for version in ${SKIFF_CRIU_VERSION:-$(versions)}; do
		log "fetching criu $version"
		if fetch "$version" "$work/src"; then
			break
		fi
		rm -f "$work/src"/*
		version=
	done
	[[ -n ${version:-} ]] || { log "no criu source package could be fetched from ${suites[*]}"; return 1; }
	ensure_build_deps
	src=$(unpack "$work/src")

	log "building criu $version (log: $work/build.log)"
	make -C "$src" -j"$(nproc)" criu >"$work/build.log" 2>&1 || {
		tail -n 40 "$work/build.log" >&2
		log "build failed"
		return 1
	}
	verify "$src/criu/criu"

	dir="$cache_root/criu-${version#*:}" # no epoch: no ':' in paths
	mkdir -p "$dir"
	{
		echo "source: criu $version ($(ls "$work/src" | grep -v '^criu-' | tr '\n' ' '))"
		echo "suites: ${suites[*]}"
		echo "built: $(date -u +%FT%TZ) on $(uname -r) in $((SECONDS - start))s"
		sha256sum "$work/src"/*.dsc "$work/src"/*.tar.* | sed "s|$work/src/||"
	} >"$dir/build-info"
	cp "$src/criu/criu" "$dir/criu.tmp.$$"
	mv -f "$dir/criu.tmp.$$" "$dir/criu"
	log "built $("$dir/criu" --version | head -n1) in $((SECONDS - start))s"
	printf '%s\n' "$dir/criu"
}

main() {
	mkdir -p "$cache_root"
	if [[ ${SKIFF_CRIU_REBUILD:-} != 1 ]] && cached_binary; then
		return 0
	fi
	# Serialize concurrent callers; the winner builds, the others find the
	# cache filled when they get the lock.
	exec 9>"$cache_root/.criu.lock"
	flock 9
	if [[ ${SKIFF_CRIU_REBUILD:-} != 1 ]] && cached_binary; then
		return 0
	fi
	build
}

main "$@"
