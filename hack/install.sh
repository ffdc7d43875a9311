#!/usr/bin/env bash
# install.sh installs skiff as a node component, or removes what it
# installed:
#
#   hack/install.sh install     (make install)
#   hack/install.sh uninstall   (make uninstall)
#
# install places:
#   $BINDIR      skiffd, skiff-shim, skiff-pause, and skiff-nsexec and skiff when built
#   $UNITDIR     skiffd.service, and skiff-server.service and
#                skiff-agent.service with skiff
#   $SYSCONFDIR  skiff/skiff.toml (every setting commented out, at its
#                default), and crictl.yaml unless one exists
# and lists each file, with its sha256, and each directory it created in
# $PREFIX/share/skiff/installed. uninstall removes exactly those.
#
# Configuration files are kept the way Debian keeps conffiles: a file the
# administrator changed is never overwritten nor removed. install then
# writes the new version beside it as <file>.dist; uninstall keeps it and
# says so. A crictl.yaml that install did not write is left alone.
#
# With systemd running (and no DESTDIR), install reloads systemd and
# uninstall stops and disables the units first; stopping skiffd leaves its
# containers running (KillMode=process). On a host without systemd the
# units are installed for later and install says so.
#
# Env: DESTDIR (staging root), PREFIX (/usr/local), BINDIR ($PREFIX/bin),
# UNITDIR ($PREFIX/lib/systemd/system), SYSCONFDIR (/etc), SRCBIN (the
# built binaries, default bin/ of this checkout).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
BINDIR=${BINDIR:-$PREFIX/bin}
UNITDIR=${UNITDIR:-$PREFIX/lib/systemd/system}
SYSCONFDIR=${SYSCONFDIR:-/etc}
SRCBIN=${SRCBIN:-$repo/bin}
manifest="$PREFIX/share/skiff/installed"

# Manifest lines: "file SHA256 PATH", "conf SHA256 PATH" (a configuration
# file) or "dir - PATH" (a directory install created). Paths exclude
# DESTDIR.
declare -a entries=()
declare -A old_conf=() # path -> sha256 recorded by the previous install
declare -a old_files=() old_dirs=()

say() { printf 'skiff install: %s\n' "$*"; }
die() { printf 'skiff install: %s\n' "$*" >&2; exit 1; }
sum() { sha256sum "$1" | cut -d' ' -f1; }

systemd_running() { [[ -d /run/systemd/system ]]; }

# mkdirs creates directory $1 (and its parents) under DESTDIR, recording
# each one it created, outermost first.
mkdirs() {
	local d=$1 missing=()
	while [[ ! -d $DESTDIR$d ]]; do
		missing=("$d" "${missing[@]}")
		d=$(dirname "$d")
	done
	for d in "${missing[@]}"; do
		mkdir -m 0755 "$DESTDIR$d"
		entries+=("dir - $d")
	done
}

# put installs src as dest with mode, recording it with kind (file|conf).
put() {
	local kind=$1 mode=$2 src=$3 dest=$4
	mkdirs "$(dirname "$dest")"
	# install(1) replaces the file rather than rewriting it in place, so
	# running binaries are not disturbed.
	install -m "$mode" "$src" "$DESTDIR$dest"
	entries+=("$kind $(sum "$DESTDIR$dest") $dest")
	say "installed $DESTDIR$dest"
}

# put_conf installs a configuration file unless the administrator changed
# the one in place. A file install wrote before and nobody changed since is
# replaced; with only_if_absent, a file install did not write is left alone.
put_conf() {
	local src=$1 dest=$2 only_if_absent=${3:-} cur
	if [[ ! -e $DESTDIR$dest ]]; then
		put conf 0644 "$src" "$dest"
		return
	fi
	cur=$(sum "$DESTDIR$dest")
	if [[ $cur == "$(sum "$src")" || $cur == "${old_conf[$dest]:-}" ]]; then
		put conf 0644 "$src" "$dest"
		return
	fi
	if [[ -n ${old_conf[$dest]:-} ]]; then
		entries+=("conf ${old_conf[$dest]} $dest") # still ours, changed
	fi
	if [[ -n $only_if_absent ]]; then
		say "kept $DESTDIR$dest: it exists"
		return
	fi
	put file 0644 "$src" "$dest.dist"
	say "kept $DESTDIR$dest: it was changed; the new version is $DESTDIR$dest.dist"
}

# unit installs contrib/systemd/$1 with the install paths filled in.
unit() {
	local tmp
	tmp=$(mktemp)
	sed -e "s|@BINDIR@|$BINDIR|g" -e "s|@SYSCONFDIR@|$SYSCONFDIR|g" "$repo/contrib/systemd/$1" >"$tmp"
	put file 0644 "$tmp" "$UNITDIR/$1"
	rm -f "$tmp"
}

# read_manifest loads what the previous install placed.
read_manifest() {
	local kind hash path
	[[ -f $DESTDIR$manifest ]] || return 0
	while read -r kind hash path; do
		case $kind in
		conf) old_conf[$path]=$hash ;;
		file) old_files+=("$path") ;;
		dir) old_dirs+=("$path") ;;
		esac
	done <"$DESTDIR$manifest"
}

# forget_obsolete removes the files of the previous install that this one
# did not place again, and keeps the directories it created on record.
forget_obsolete() {
	local path d e
	local -A placed=()
	for e in "${entries[@]}"; do
		placed[${e#* * }]=1 # the path, after "kind sha256 "
	done
	for path in "${old_files[@]}"; do
		if [[ -z ${placed[$path]:-} ]]; then
			rm -f "$DESTDIR$path"
			say "removed obsolete $DESTDIR$path"
		fi
	done
	local kept=()
	for d in "${old_dirs[@]}"; do
		[[ -d $DESTDIR$d ]] && kept+=("dir - $d")
	done
	entries=("${kept[@]}" "${entries[@]}") # outermost first, as recorded
}

do_install() {
	local b units=(skiffd.service)
	for b in skiffd skiff-shim skiff-pause; do
		[[ -x $SRCBIN/$b ]] || die "$SRCBIN/$b is missing: run make build first"
	done
	read_manifest
	for b in skiffd skiff-shim skiff-pause; do
		put file 0755 "$SRCBIN/$b" "$BINDIR/$b"
	done
	if [[ -x $SRCBIN/skiff-nsexec ]]; then # the shim's fast exec path, when built
		put file 0755 "$SRCBIN/skiff-nsexec" "$BINDIR/skiff-nsexec"
	fi
	if [[ -x $SRCBIN/skiff ]]; then
		put file 0755 "$SRCBIN/skiff" "$BINDIR/skiff"
		units+=(skiff-server.service skiff-agent.service)
	fi
	for b in "${units[@]}"; do
		unit "$b"
	done
	put_conf "$repo/contrib/skiff.toml" "$SYSCONFDIR/skiff/skiff.toml"
	put_conf "$repo/contrib/crictl.yaml" "$SYSCONFDIR/crictl.yaml" only-if-absent
	forget_obsolete

	mkdirs "$(dirname "$manifest")"
	printf '%s\n' "${entries[@]}" >"$DESTDIR$manifest.tmp"
	mv -f "$DESTDIR$manifest.tmp" "$DESTDIR$manifest"

	if [[ -n $DESTDIR ]]; then
		say "staged under $DESTDIR; systemd not touched"
	elif systemd_running; then
		systemctl daemon-reload
		say "start skiffd with: systemctl enable --now skiffd"
		say "(a running skiffd keeps the old binary until: systemctl restart skiffd; containers keep running)"
	else
		say "this host does not run systemd: the units stay in $UNITDIR for later"
		say "start skiffd by hand: $BINDIR/skiffd --config $SYSCONFDIR/skiff/skiff.toml"
	fi
}

do_uninstall() {
	local kind hash path dirs=() units=() i
	if [[ ! -f $DESTDIR$manifest ]]; then
		say "nothing to remove: no $DESTDIR$manifest"
		return 0
	fi
	while read -r kind hash path; do
		[[ $kind == file && $path == "$UNITDIR"/*.service ]] && units+=("$(basename "$path")")
	done <"$DESTDIR$manifest"
	if [[ -z $DESTDIR ]] && systemd_running && ((${#units[@]})); then
		say "stopping and disabling ${units[*]} (containers keep running)"
		systemctl disable --now "${units[@]}" || true
	fi
	while read -r kind hash path; do
		case $kind in
		dir) dirs+=("$path") ;;
		file)
			rm -f "$DESTDIR$path"
			say "removed $DESTDIR$path"
			;;
		conf)
			if [[ ! -e $DESTDIR$path ]]; then
				continue
			elif [[ $(sum "$DESTDIR$path") == "$hash" ]]; then
				rm -f "$DESTDIR$path"
				say "removed $DESTDIR$path"
			else
				say "kept $DESTDIR$path: it was changed"
			fi
			;;
		esac
	done <"$DESTDIR$manifest"
	rm -f "$DESTDIR$manifest"
	# Innermost first; a directory that still holds something stays.
	for ((i = ${#dirs[@]} - 1; i >= 0; i--)); do
		rmdir "$DESTDIR${dirs[i]}" 2>/dev/null || true
	done
	[[ -z $DESTDIR ]] && systemd_running && systemctl daemon-reload
	say "state in /var/lib/skiff and /run/skiff is kept"
}

case ${1:-} in
install) do_install ;;
uninstall) do_uninstall ;;
*) die "usage: $0 install|uninstall" ;;
esac
