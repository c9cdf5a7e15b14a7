#!/usr/bin/env bash
# bench/run.sh — measure slicer's hot paths against baselines that do the
# same work without our client, and print one table (see bench/README.md).
#
# It builds slicer, starts `slicer local` in a temp state directory, launches
# a VM and runs every case against the daemon's unix socket; the curl
# baselines use the same socket (curl --unix-socket) and the same endpoints
# and query parameters the CLI sends (../shared/spec/PROTOCOL.md §8, §11).
#
# Environment (sizes in MiB unless said otherwise):
#   BENCH_QUICK=1        small sizes for a quick run
#   BENCH_FILE_MB        cp file size                     (1024; quick 64)
#   BENCH_TREE_FILES     files in the cp tree             (20000; quick 2000)
#   BENCH_TREE_FILE_B    bytes per tree file              (4096)
#   BENCH_EXEC_MB        exec output size                 (1024; quick 64)
#   BENCH_LINES          lines of the line-heavy exec     (20000000; quick 500000)
#   BENCH_FWD_MB         bytes through the forward tunnel (1024; quick 128)
#   BENCH_MEM_MB         copy size for the peak-RSS case  (4096; quick 256)
#   BENCH_RUNS           repetitions of the bulk cases    (5; quick 2), best kept
#   BENCH_LAT_RUNS       repetitions of latency/startup   (30; quick 10)
#   BENCH_GO=0           skip the Go list-rendering benchmarks
#   BENCH_KEEP=1         keep the temp directory
#   SLICER               use this binary instead of building one
set -euo pipefail
shopt -s inherit_errexit

cd "$(dirname "$0")/.."
root=$(pwd)

quick=${BENCH_QUICK:-0}
q() { if [ "$quick" = 1 ]; then echo "$2"; else echo "$1"; fi; }
FILE_MB=${BENCH_FILE_MB:-$(q 1024 64)}
TREE_FILES=${BENCH_TREE_FILES:-$(q 20000 2000)}
TREE_FILE_B=${BENCH_TREE_FILE_B:-4096}
EXEC_MB=${BENCH_EXEC_MB:-$(q 1024 64)}
LINES=${BENCH_LINES:-$(q 20000000 500000)}
FWD_MB=${BENCH_FWD_MB:-$(q 1024 128)}
MEM_MB=${BENCH_MEM_MB:-$(q 4096 256)}
RUNS=${BENCH_RUNS:-$(q 5 2)}
LAT_RUNS=${BENCH_LAT_RUNS:-$(q 30 10)}
RUN_GO=${BENCH_GO:-1}

for tool in curl tar /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/slicer-bench.XXXXXX")
daemon=""
fwd=""
relays=()
cleanup() {
	[ -n "$fwd" ] && kill "$fwd" 2>/dev/null && wait "$fwd" 2>/dev/null
	for p in "${relays[@]}"; do kill "$p" 2>/dev/null || true; done
	if [ -n "$daemon" ]; then
		kill "$daemon" 2>/dev/null || true
		wait "$daemon" 2>/dev/null || true
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
log() { echo "bench: $*" >&2; }

# ---- build ---------------------------------------------------------------
if [ -n "${SLICER:-}" ]; then
	S=$(cd "$(dirname "$SLICER")" && pwd)/$(basename "$SLICER")
else
	log "building slicer"
	go build -trimpath -ldflags "-s -w" -o "$work/slicer" .
	S=$work/slicer
fi
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/benchtool" ./bench/benchtool
BT=$work/benchtool

# ---- daemon and VM -------------------------------------------------------
export XDG_STATE_HOME="$work/xdg-state" XDG_CONFIG_HOME="$work/xdg-config"
unset SLICER_URL SLICER_TOKEN SLICER_TOKEN_FILE SLICER_CONTEXT
state=$work/state
sock=$state/slicer.sock
"$S" local up --state "$state" >"$work/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 1 100); do
	[ -S "$sock" ] && break
	kill -0 "$daemon" 2>/dev/null || { cat "$work/daemon.log" >&2; exit 1; }
	sleep 0.1
done
export SLICER_URL=$sock
VM=$("$S" vm add --name bench --wait | awk '/Hostname:/ {print $2; exit}')
[ -n "$VM" ] || { log "could not launch a VM"; exit 1; }
log "daemon on $sock, VM $VM"
base="http://localhost/vm/$VM"
CURL=(curl -sS --fail --unix-socket "$sock")

# ---- timing helpers ------------------------------------------------------
now() { date +%s%N; }
# best_pair N OURS BASE [ARG]: run OURS and BASE alternately N times each,
# swapping which goes first every round (so a busy moment of this shared
# machine, or a filesystem still settling, hits both sides alike), and print
# "ours base", the best wall time of each in seconds.
best_pair() {
	local n=$1 ours=$2 basef=$3 bo="" bb="" i
	shift 3
	for i in $(seq 1 "$n"); do
		# (no $(...) around time_one: the cases count runs in variables)
		if [ $((i % 2)) = 1 ]; then
			time_one "$ours" "$@" && bo=$(min "$bo" "$_t")
			time_one "$basef" "$@" && bb=$(min "$bb" "$_t")
		else
			time_one "$basef" "$@" && bb=$(min "$bb" "$_t")
			time_one "$ours" "$@" && bo=$(min "$bo" "$_t")
		fi
	done
	awk -v o="$bo" -v b="$bb" 'BEGIN { printf "%.6f %.6f", o / 1e9, b / 1e9 }'
}
# time_one CMD...: sets _t to the wall time of one run in ns (the command's
# stdout is discarded); a failure ends the script. Dirty pages the previous
# run left are written back first (sync, not timed), so that writeback does
# not land on whichever side runs next.
time_one() {
	local t0 t1
	sync
	t0=$(now)
	"$@" >/dev/null || { log "failed: $*"; exit 1; }
	t1=$(now)
	_t=$((t1 - t0))
}
min() { if [ -z "$1" ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi; }
# mean_of N cmd...: mean wall time of one run in seconds (hyperfine when
# installed, otherwise a bash loop, best of three loops).
mean_of() {
	local n=$1
	shift
	if command -v hyperfine >/dev/null && [ "$(type -t "$1")" = file ]; then
		local cmdline
		cmdline=$(printf '%q ' "$@")
		hyperfine -N --warmup 3 --runs "$n" --export-json "$work/hf.json" "$cmdline" >/dev/null 2>&1
		awk -F': *' '/"mean"/ { gsub(/,/, "", $2); printf "%.6f", $2; exit }' "$work/hf.json"
		return
	fi
	"$@" </dev/null >/dev/null 2>&1 || true # warm-up
	local best="" t0 t1 d
	for _ in 1 2 3; do
		t0=$(now)
		for _ in $(seq 1 "$n"); do "$@" </dev/null >/dev/null 2>&1; done
		t1=$(now)
		d=$(((t1 - t0) / n))
		if [ -z "$best" ] || [ "$d" -lt "$best" ]; then best=$d; fi
	done
	awk -v d="$best" 'BEGIN { printf "%.6f", d / 1e9 }'
}

rows=()
# row NAME OURS BASE UNIT KIND TARGET: KIND is "tput" (figures are seconds
# for the same work; ratio = base/ours, higher is better, shown with UNIT as
# a rate over BYTES) or "time" (ratio = ours/base, lower is better).
row() {
	local name=$1 ours=$2 base=$3 amount=$4 unit=$5 kind=$6 target=$7
	rows+=("$(awk -v n="$name" -v o="$ours" -v b="$base" -v a="$amount" -v u="$unit" -v k="$kind" -v t="$target" '
	function fig(s) {
		if (u == "s") return sprintf("%.1f ms", s * 1000)
		return sprintf("%.0f %s", a / s, u)
	}
	BEGIN {
		if (k == "tput") { r = b / o; ok = r >= t; ts = sprintf(">= %.2fx", t) }
		else { r = o / b; ok = r <= t; ts = sprintf("<= %.2fx", t) }
		printf "%-34s %14s %14s %8.2fx %9s  %s", n, fig(o), fig(b), r, ts, ok ? "PASS" : "MISS"
	}')")
	log "${rows[${#rows[@]}-1]}"
}

# ---- cp: 1 file ----------------------------------------------------------
log "cp: ${FILE_MB} MiB file"
head -c "$((FILE_MB << 20))" /dev/urandom >"$work/big"
MB=$(awk -v m="$FILE_MB" 'BEGIN { print m * 1048576 / 1e6 }')
perm=0$(stat -c %a "$work/big")
up_ours() { "$S" cp "$work/big" "$VM:/tmp/big-ours" </dev/null; }
up_curl() {
	"${CURL[@]}" -X POST -T "$work/big" -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/octet-stream' \
		"$base/cp?mode=binary&path=%2Ftmp%2Fbig-curl&permissions=$perm" -o /dev/null
}
read -r t_o t_b <<<"$(best_pair "$RUNS" up_ours up_curl)"
row "cp upload ${FILE_MB} MiB file" "$t_o" "$t_b" "$MB" MB/s tput 0.9
dl_ours() { rm -f "$work/dl-ours"; "$S" cp "$VM:/tmp/big-ours" "$work/dl-ours" </dev/null; }
dl_curl() { "${CURL[@]}" -H 'Accept: application/octet-stream' "$base/cp?mode=binary&path=%2Ftmp%2Fbig-ours" -o "$work/dl-curl"; }
read -r t_o t_b <<<"$(best_pair "$RUNS" dl_ours dl_curl)"
cmp -s "$work/big" "$work/dl-ours" || { log "downloaded file differs"; exit 1; }
row "cp download ${FILE_MB} MiB file" "$t_o" "$t_b" "$MB" MB/s tput 0.9
rm -f "$work/big" "$work/dl-ours" "$work/dl-curl"
"$S" exec --uid 0 "$VM" -- rm -f /tmp/big-ours /tmp/big-curl >/dev/null 2>&1 || true

# ---- cp: many-file tree --------------------------------------------------
log "cp: tree of $TREE_FILES files"
"$BT" mktree "$work/tree" "$TREE_FILES" "$TREE_FILE_B"
# Every upload goes to a fresh path (files the daemon wrote host-side are not
# always removable from inside the VM); the temp state dir goes at the end.
seq_n=0
tree_up_ours() {
	seq_n=$((seq_n + 1))
	"$S" cp -r "$work/tree" "$VM:/tmp/tree-ours-$seq_n" </dev/null
}
tree_up_curl() {
	seq_n=$((seq_n + 1))
	# Entry names as slicer writes them (d000/..., no "./" prefix).
	(cd "$work/tree" && tar -cf - -- *) | "${CURL[@]}" -X POST -T - -H 'Content-Type: application/x-tar' \
		"$base/cp?mode=tar&path=%2Ftmp%2Ftree-curl-$seq_n" -o /dev/null
}
read -r t_o t_b <<<"$(best_pair "$RUNS" tree_up_ours tree_up_curl)"
tree_src=/tmp/tree-ours-1 # (best_pair runs in a subshell: seq_n is still 0 here)
row "cp upload ${TREE_FILES}-file tree" "$t_o" "$t_b" "$TREE_FILES" files/s tput 0.9
# Each download goes to a fresh directory too, removed only after the case:
# deleting 20,000 files right before the next extraction makes ext4's inode
# allocator skip the recently freed inodes, which swamps what is measured.
tree_dl_ours() {
	seq_n=$((seq_n + 1))
	"$S" cp -r "$VM:$tree_src" "$work/tdl-ours-$seq_n" </dev/null
}
tree_dl_curl() {
	seq_n=$((seq_n + 1))
	mkdir "$work/tdl-curl-$seq_n"
	"${CURL[@]}" -H 'Accept: application/x-tar' "$base/cp?mode=tar&path=$tree_src" | tar -C "$work/tdl-curl-$seq_n" -xf -
}
read -r t_o t_b <<<"$(best_pair "$RUNS" tree_dl_ours tree_dl_curl)"
diff -r "$work/tree" "$work/tdl-ours-1" >/dev/null || { log "downloaded tree differs"; exit 1; }
row "cp download ${TREE_FILES}-file tree" "$t_o" "$t_b" "$TREE_FILES" files/s tput 0.9
rm -rf "$work/tree" "$work"/tdl-*

# ---- exec output ---------------------------------------------------------
# The CLI runs the command through its default shell as the VM's default
# user and sends stdin=true when stdin is not a terminal; the baseline sends
# the identical query with an empty body and dumps the NDJSON undecoded.
exec_argv() { # the request `slicer exec VM -- SCRIPT </dev/null` sends
	argv=("${CURL[@]}" -X POST --data-binary '' --url-query "cmd=$1" --url-query gid=4294967295
		--url-query shell=/bin/bash --url-query stdin=true --url-query stdio=base64
		--url-query uid=4294967295 "$base/exec" -o /dev/null)
}
exec_curl() { local argv; exec_argv "$1"; "${argv[@]}"; }
exec_ours() { "$S" exec "$VM" -- "$1" </dev/null >/dev/null; }
log "exec: ${EXEC_MB} MiB of output"
script="head -c $((EXEC_MB << 20)) /dev/zero"
read -r t_o t_b <<<"$(best_pair "$RUNS" exec_ours exec_curl "$script")"
EMB=$(awk -v m="$EXEC_MB" 'BEGIN { print m * 1048576 / 1e6 }')
row "exec output ${EXEC_MB} MiB" "$t_o" "$t_b" "$EMB" MB/s tput 0.8
got=$("$S" exec "$VM" -- "$script" </dev/null | wc -c)
[ "$got" -eq "$((EXEC_MB << 20))" ] || { log "exec output was $got bytes"; exit 1; }
log "exec: $LINES lines of output"
script="seq 1 $LINES"
read -r t_o t_b <<<"$(best_pair "$RUNS" exec_ours exec_curl "$script")"
row "exec output ${LINES} lines" "$t_o" "$t_b" "$LINES" lines/s tput 0.8

# ---- exec latency --------------------------------------------------------
log "exec latency"
exec_argv true
t_o=$(mean_of "$LAT_RUNS" "$S" exec "$VM" -- true)
t_b=$(mean_of "$LAT_RUNS" "${argv[@]}")
row "exec latency (true)" "$t_o" "$t_b" 0 s time 1.2

# ---- forward -------------------------------------------------------------
# Both transfers are read by the same benchtool client from the same
# benchtool server listening on 127.0.0.1:9000 inside the VM. The baseline
# client runs inside the VM too (started by slicer exec, but it times only
# its own connect-and-read, so exec's overhead is not counted); ours runs on
# the host and connects through `slicer forward`.
fwd_cmd=()
# (an unknown subcommand still prints the parent's help, so look at Usage)
if "$S" forward --help 2>/dev/null | grep -q '^  slicer forward'; then
	fwd_cmd=("$S" forward)
elif "$S" vm forward --help 2>/dev/null | grep -q '^  slicer vm forward'; then
	fwd_cmd=("$S" vm forward)
fi
FB=$((FWD_MB << 20))
FMB=$(awk -v m="$FWD_MB" 'BEGIN { print m * 1048576 / 1e6 }')
"$S" cp "$BT" "$VM:/tmp/benchtool" </dev/null
"$S" bg exec --uid 0 "$VM" -- /tmp/benchtool serve 127.0.0.1:9000 "$FB" >/dev/null
sleep 0.5
best_get() { # best_get CMD... -> best seconds of RUNS benchtool get runs
	local best="" s
	for _ in $(seq 1 "$RUNS"); do
		s=$("$@")
		s=${s%% *}
		if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$s; fi
	done
	echo "$best"
}
t_b=$(best_get "$S" exec --uid 0 "$VM" -- /tmp/benchtool get 127.0.0.1:9000 "$FB")
if [ ${#fwd_cmd[@]} -gt 0 ]; then
	lport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 39099)
	"${fwd_cmd[@]}" "$VM" -L "127.0.0.1:$lport:127.0.0.1:9000" >"$work/forward.log" 2>&1 &
	fwd=$!
	for _ in $(seq 1 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$lport") 2>/dev/null && break
		sleep 0.1
	done
	t_o=$(best_get "$BT" get "127.0.0.1:$lport" "$FB")
	kill "$fwd" 2>/dev/null || true
	wait "$fwd" 2>/dev/null || true
	fwd=""
	row "forward ${FWD_MB} MiB TCP" "$t_o" "$t_b" "$FMB" MB/s tput 0.5
else
	rows+=("$(printf '%-34s %14s %14s %9s %9s  %s' "forward ${FWD_MB} MiB TCP" "n/a" "$(awk -v a="$FMB" -v s="$t_b" 'BEGIN { printf "%.0f MB/s", a / s }')" "-" ">= 0.50x" "MISS (slicer forward not available)")")
fi

# The same transfer on the host, straight and through two plain relays
# (TCP -> unix socket -> TCP, read and write with 256 KiB buffers): the
# three socket hops a forward tunnel needs, without the WebSocket framing,
# the daemon's splice or the sandbox. It has no target; it shows what the
# hops alone cost on this machine (bench/README.md, "Targets not met").
log "forward reference: two plain relays"
# start_bg ADDRFILE CMD...: start CMD in the background and wait for the address
# it prints once it listens.
start_bg() {
	local out=$1
	shift
	"$@" >"$out" &
	relays+=($!)
	for _ in $(seq 1 100); do
		[ -s "$out" ] && return
		sleep 0.05
	done
	log "no address from: $*"
	exit 1
}
start_bg "$work/serve.addr" "$BT" serve 127.0.0.1:0 "$FB"
start_bg "$work/relay1.addr" "$BT" relay "unix:$work/relay.sock" "$(cat "$work/serve.addr")"
start_bg "$work/relay2.addr" "$BT" relay 127.0.0.1:0 "$(cat "$work/relay1.addr")"
t_b=$(best_get "$BT" get "$(cat "$work/serve.addr")" "$FB")
t_o=$(best_get "$BT" get "$(cat "$work/relay2.addr")" "$FB")
for p in "${relays[@]}"; do kill "$p" 2>/dev/null || true; done
relays=()
rows+=("$(awk -v n="  (reference: 2 plain relays)" -v o="$t_o" -v b="$t_b" -v a="$FMB" 'BEGIN {
	printf "%-34s %14s %14s %8.2fx %9s  %s", n, sprintf("%.0f MB/s", a / o), sprintf("%.0f MB/s", a / b), b / o, "-", "-" }')")
log "${rows[${#rows[@]}-1]}"

# ---- startup -------------------------------------------------------------
log "startup"
if command -v docker >/dev/null; then
	t_d=$(mean_of "$LAT_RUNS" docker --version)
	t_o=$(mean_of "$LAT_RUNS" "$S" version)
	row "startup: slicer version" "$t_o" "$t_d" 0 s time 1.0
	t_o=$(mean_of "$LAT_RUNS" "$S" --help)
	row "startup: slicer --help" "$t_o" "$t_d" 0 s time 1.0
else
	log "docker not installed: startup case skipped"
	rows+=("$(printf '%-34s %14s %14s %9s %9s  %s' "startup" "-" "-" "-" "<= 1.00x" "SKIP (no docker client)")")
fi

# ---- memory --------------------------------------------------------------
# Peak RSS (VmHWM) of the CLI itself while copying MEM_MB up and back down.
log "memory: copying ${MEM_MB} MiB"
truncate -s "$((MEM_MB << 20))" "$work/huge" # sparse: cheap to read, still MEM_MB of bytes on the wire
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null </dev/null | tail -n1; }
rss_up=$(rss "$S" cp "$work/huge" "$VM:/tmp/huge")
rm -f "$work/huge"
rss_dl=$(rss "$S" cp "$VM:/tmp/huge" "$work/huge")
size=$(stat -c %s "$work/huge")
[ "$size" -eq "$((MEM_MB << 20))" ] || { log "downloaded $size bytes"; exit 1; }
rm -f "$work/huge"
"$S" exec --uid 0 "$VM" -- rm -f /tmp/huge >/dev/null 2>&1 || true
for d in up:"$rss_up" down:"$rss_dl"; do
	kb=${d#*:}
	rows+=("$(awk -v n="peak RSS cp ${d%%:*} ${MEM_MB} MiB" -v kb="$kb" 'BEGIN {
		printf "%-34s %14s %14s %9s %9s  %s", n, sprintf("%.1f MiB", kb / 1024), "-", "-", "< 64 MiB", kb < 65536 ? "PASS" : "MISS" }')")
done

# ---- list rendering (Go benchmarks) ----------------------------------------
if [ "$RUN_GO" = 1 ]; then
	log "list rendering (go test -bench)"
	go test -run '^$' -bench 'BenchmarkList' -benchmem -benchtime "$(q 5x 2x)" -count "$(q 3 1)" ./bench/ >"$work/gobench.txt"
	# Lines: BenchmarkList/table/n=1000-2  N  ns/op  B/op  allocs/op
	while read -r fmt small big ratio_t ratio_m; do
		rows+=("$(awk -v n="list $fmt: per-VM cost ${big}/${small}" -v rt="$ratio_t" -v rm="$ratio_m" 'BEGIN {
			printf "%-34s %14s %14s %9s %9s  %s", n, sprintf("time %.2fx", rt), sprintf("mem %.2fx", rm), "-", "<= 1.50x", (rt <= 1.5 && rm <= 1.5) ? "PASS" : "MISS" }')")
	done < <(awk '
		/^BenchmarkList\// {
			split($1, p, "/"); fmt = p[2]; sub(/^n=/, "", p[3]); sub(/-[0-9]+$/, "", p[3]); n = p[3] + 0
			# best of the -count runs
			if (!((fmt, n) in t) || $3 / n < t[fmt, n]) t[fmt, n] = $3 / n
			if (!((fmt, n) in m) || $5 / n < m[fmt, n]) m[fmt, n] = $5 / n
			if (!(fmt in lo) || n < lo[fmt]) lo[fmt] = n
			if (!(fmt in hi) || n > hi[fmt]) hi[fmt] = n
		}
		END { for (f in lo) printf "%s %d %d %.4f %.4f\n", f, lo[f], hi[f], t[f, hi[f]] / t[f, lo[f]], m[f, hi[f]] / m[f, lo[f]] }' "$work/gobench.txt" | sort)
	grep '^BenchmarkList' "$work/gobench.txt" >&2 || true
fi

# ---- table -----------------------------------------------------------------
echo
printf '%-34s %14s %14s %9s %9s  %s\n' CASE SLICER BASELINE RATIO TARGET RESULT
for r in "${rows[@]}"; do echo "$r"; done
