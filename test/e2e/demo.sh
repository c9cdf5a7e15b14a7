#!/usr/bin/env bash
# The README quickstart's main job: start the embedded `slicer local` daemon
# in a throw-away state directory, launch a VM, use it the way the vendor's
# scripts do, and clean everything up. Needs bubblewrap (bwrap).
set -euo pipefail

SLICER=${SLICER:-slicer}
SLICER=$(cd "$(dirname "$SLICER")" && pwd)/$(basename "$SLICER")

work=$(mktemp -d)
daemon=""
cleanup() {
	if [ -n "$daemon" ]; then
		kill "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# With XDG_STATE_HOME pointing into the temp dir, `slicer local up` keeps its
# state there and every other slicer command finds its socket by itself.
export XDG_STATE_HOME="$work/state" XDG_CONFIG_HOME="$work/config"
unset SLICER_URL SLICER_TOKEN SLICER_TOKEN_FILE SLICER_CONTEXT

echo "==> starting slicer local"
"$SLICER" local up >"$work/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 1 100); do
	if "$SLICER" info >/dev/null 2>&1; then break; fi
	if ! kill -0 "$daemon" 2>/dev/null; then cat "$work/daemon.log" >&2; exit 1; fi
	sleep 0.1
done
"$SLICER" info

echo "==> launching a VM"
VM=$("$SLICER" vm add --name demo --tag workflow=demo --wait | awk '/Hostname:/ {print $2; exit}')
echo "launched $VM"
"$SLICER" vm list

echo "==> running commands in it"
"$SLICER" vm exec demo -- 'echo "hello from $(hostname)"; uname -sr'
echo "some data" > "$work/file.txt"
"$SLICER" cp "$work/file.txt" demo:/tmp/file.txt
"$SLICER" vm exec demo -- cat /tmp/file.txt

echo "==> a background job"
"$SLICER" bg exec demo --follow -- sh -c 'for i in 1 2 3; do echo tick $i; done'

echo "==> secrets"
printf 's3cret' | "$SLICER" secret create demo-secret
"$SLICER" secret list -v

echo "==> cleaning up"
"$SLICER" secret remove demo-secret
"$SLICER" vm delete demo --yes
"$SLICER" vm list
echo "demo finished"
