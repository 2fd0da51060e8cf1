#!/bin/sh
# mk/run.sh BUILDDIR: the README's first command, `make run', after the
# build: start nbmemd on a private socket and database in BUILDDIR/run,
# run the `mixed' workload with its progress bar, print NetBSD's vmstat -m
# and vmstat -C, export the history to CSV and plot it as SVG, name the
# files, and stop the daemon (also when a step fails or on ^C).
set -u
b=$(cd "$1" && pwd)
dir=$b/run
sock=$dir/sock/nbmemd.sock
nbmemd=$b/daemon/nbmemd
nbmemctl=$b/cli/nbmemctl
pid=

say()
{
	printf '\n==> %s\n' "$*"
}

ctl()
{
	"$nbmemctl" -s "$sock" "$@"
}

stop()
{
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid"
		pid=
	fi
}
trap 'stop' EXIT
trap 'stop; exit 130' INT TERM

rm -rf "$dir"
mkdir -p "$dir"
mkdir -m 0700 "$dir/sock"
cat > "$dir/nbmemd.conf" <<EOF
{ "recorder": { "interval": 0.25 } }
EOF

say "starting nbmemd: socket $sock, database $dir/nbmemd.db"
"$nbmemd" -d -f "$dir/nbmemd.conf" -s "$sock" -D "$dir/nbmemd.db" \
    > "$dir/nbmemd.log" 2>&1 &
pid=$!
i=0
until ctl machine info > /dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
		cat "$dir/nbmemd.log"
		echo "run: nbmemd did not come up; its log is above" >&2
		exit 1
	fi
	sleep 0.1
done
ctl show machine | sed -n '1,5p'

if ctl workload list > /dev/null 2>&1; then
	say "nbmemctl run mixed --duration 10s"
	ctl run mixed --duration 10s || exit 1
else
	say "this nbmemd has no workload engine yet: no workload runs"
fi

# A few samples in the history at least, for the exports and plots.
i=0
until [ "$(ctl -j history runs --limit 1 | sed -n 's/.*"samples": \([0-9]*\).*/\1/p')" -ge 4 ] 2>/dev/null || [ $i -ge 50 ]; do
	i=$((i + 1))
	sleep 0.1
done

say "nbmemctl vmstat -m"
ctl vmstat -m || exit 1
say "nbmemctl vmstat -C"
ctl vmstat -C || exit 1

say "exporting the history"
ctl history export -o "$dir/machine.csv" || exit 1
ctl history plot -o "$dir/machine.svg" || exit 1
# The pool with the most requests, for its own table and plot.
pool=$(ctl -n show pools 2>/dev/null | sort -k3,3nr | awk 'NR == 1 { sub(/\*$/, "", $1); print $1 }')
if [ -n "$pool" ]; then
	ctl history export --table pools -o "$dir/pools.csv" || exit 1
	ctl history plot --pool "$pool" -o "$dir/pool-$pool.svg" || exit 1
fi

stop
say "done; the daemon is stopped.  The files, in $dir:"
printf '  %-26s %s\n' machine.csv "the machine's counters, a row a sample" \
    machine.svg "free and wired pages over the run"
if [ -n "$pool" ]; then
	printf '  %-26s %s\n' pools.csv "every pool, a row a sample and pool" \
	    "pool-$pool.svg" "pool $pool: items in use and free"
fi
printf '  %-26s %s\n' nbmemd.db "the history database (nbmemd -D)" \
    nbmemd.log "the daemon's log"
