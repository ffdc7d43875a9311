#!/usr/bin/env bash
# Runs skiffd and `skiff server` together in the foreground, with their
# default paths (/run/skiff, /var/lib/skiff, /etc/skiff, port 6443).
# skiffd runs in the background and its log goes to
# /var/log/skiff/skiffd.log; Ctrl-C stops both.
set -euo pipefail
bin=${1:?usage: run.sh BIN_DIR}
log=/var/log/skiff
mkdir -p "$log"

"$bin/skiffd" >"$log/skiffd.log" 2>&1 &
skiffd=$!
trap 'kill -TERM $skiffd 2>/dev/null; wait $skiffd 2>/dev/null || true' EXIT
for _ in $(seq 50); do
	[ -S /run/skiff/skiff.sock ] && break
	kill -0 $skiffd 2>/dev/null || { echo "skiffd exited; see $log/skiffd.log" >&2; exit 1; }
	sleep 0.2
done
echo "skiffd is running (log: $log/skiffd.log); CRI socket unix:///run/skiff/skiff.sock"
echo "skiff server is starting; in another shell:"
echo "  export KUBECONFIG=/etc/skiff/admin.kubeconfig"
echo "  $bin/kubectl get namespaces"
echo "  $bin/crictl --runtime-endpoint unix:///run/skiff/skiff.sock version"
echo
"$bin/skiff" server
