#! /usr/bin/env atf-sh
# t_run.sh: nbmemctl run, workload and trace against a real nbmemd: the
# built-ins and their parameters, a run's summary against the pool
# records, bad workloads, detached runs, ^C, and a trace recorded, written
# and replayed (over the daemon's 1 MiB request limit, so in chunks); the
# progress bar through tmux, where standard output is a terminal.

srcdir=$(atf_get_srcdir)
top=$(cd "$srcdir/../../.." && pwd)
. "$top/tests/cli/h_cli.sh"

# state: the workload's state now.
state()
{
	"$nbmemctl" -s "$sock" -j workload status | jq -r .state
}

is_running()
{
	[ "$(state)" = running ]
}

has_ended()
{
	case "$(state)" in
	done|stopped) return 0 ;;
	esac
	return 1
}

atf_test_case workloads cleanup
workloads_head()
{
	atf_set descr "workload list and show: every built-in, its" \
	    "parameters with their defaults on this machine"
}
workloads_body()
{
	local w

	start_daemon
	run 0 workload list
	for w in mixed netbsd-boot mbuf-storm kmem-sizes vmem-frag \
	    device-attach pressure hardlimit; do
		contains "workload list" "$out" "$w "
	done
	# Wrapped descriptions: no line past 79 columns.
	[ "$(echo "$out" | awk 'length > 79' | wc -l)" -eq 0 ] ||
	    fail "workload list has lines over 79 columns: $out"
	run 0 -j workload list
	expect '.workloads | length == 8' "$out"
	expect '[.workloads[].parameters[0:4][].key] | unique ==
	    ["ops", "seed", "threads", "time_ms"]' "$out"
	# Every parameter's default is in its range.
	expect '[.workloads[].parameters[] | .min <= .default and
	    .default <= .max] | all' "$out"
	run 0 workload show mixed
	contains "workload show mixed" "$out" "workload     mixed" \
	    "KEY" "DEFAULT" "RANGE" "DESCRIPTION"
	# ops: 20000 a CPU on this 2-CPU machine.
	echo "$out" | grep -Eq '^  ops +40000 +0\.\.1000000000000 ' ||
	    fail "workload show mixed: no ops row with 40000: $out"
	echo "$out" | grep -Eq '^  seed +0 +0\.\.18446744073709551615 ' ||
	    fail "workload show mixed: seed's range: $out"
	echo "$out" | grep -Eq '^  xcpu +200 +0\.\.1000 +objects freed' ||
	    fail "workload show mixed: no xcpu row: $out"
	run 0 -j workload show pressure
	expect '.name == "pressure" and (.parameters | map(.key) ==
	    ["ops", "time_ms", "threads", "seed", "fill"])' "$out"
	run 1 workload show nosuch
	contains "workload show nosuch" "$err" 'no built-in workload' \
	    "workload list"
	run 0 workload status
	contains "workload status" "$out" "no workload has run"
	# Completion offers the workload's own keys after --param.
	"$nbmemctl" __complete -s "$sock" run mixed --param "" > comp.out
	contains "completion after run mixed --param" "$(cat comp.out)" \
	    "ops=" "time_ms=" "rate=" "xcpu="
	"$nbmemctl" __complete -s "$sock" run vmem-frag --param "" > comp.out
	contains "completion after run vmem-frag --param" "$(cat comp.out)" \
	    "arena_kb=" "quantum=" "bestfit="
	stop_daemon
}
workloads_cleanup()
{
	common_cleanup
}

atf_test_case summary cleanup
summary_head()
{
	atf_set descr "run: the final status, and per pool the differences" \
	    "of its records before and after"
}
summary_body()
{
	local req table

	start_daemon
	run 0 run mixed --ops 20000 --seed 7
	contains "run mixed" "$out" "workload     mixed" \
	    "done: it reached its stop condition" \
	    "operations   20000 (100% of the stop condition)" \
	    "POOL" "REQUESTS" "wl-pool" "wl-cache"
	# Not a terminal: no progress bar.
	case "$out" in
	*"["*"]"*) fail "a progress bar on a pipe: $out" ;;
	esac
	run 0 -j run mixed --ops 20000 --seed 7
	expect '.status.state == "done" and .status.ops == 20000 and
	    .status.name == "mixed" and .status.progress == 1' "$out"
	expect '([.pools_after[] | select(.wchan == "wl-pool")][0].nget) >
	    ([.pools_before[] | select(.wchan == "wl-pool")][0].nget // 0)' \
	    "$out"
	# The table's REQUESTS of wl-pool is the difference of its records
	# before and after the run.
	run 0 -j show pools
	echo "$out" > before.json
	run 0 run mixed --ops 20000 --seed 7
	table=$out
	run 0 -j show pools
	req=$(jq -n --slurpfile a /dev/stdin --slurpfile b before.json \
	    '($a[0].pools[] | select(.wchan == "wl-pool").nget) -
	    ($b[0].pools[] | select(.wchan == "wl-pool").nget)' <<-EOF
	$out
	EOF
	)
	[ "$req" -gt 0 ] || fail "wl-pool made no requests: $out"
	echo "$table" | grep -Eq "^wl-pool +$req " ||
	    fail "the summary's wl-pool row is not $req requests: $table"
	out=$table
	# A pool name twice (phpool-64): no negative deltas.
	case "$out" in
	*" -"[0-9]*) fail "a negative difference: $out" ;;
	esac
	# A workload file.
	run 0 run "$top/contrib/workloads/net-buffers.json" --ops 5000
	contains "run net-buffers.json" "$out" "workload     net-buffers" \
	    "operations   5000 " "nb-mbuf" "nb-cluster"
	# Options override the built-in's.
	run 0 -j run kmem-sizes --ops 3000 --param max=256 --param xcpu=0
	expect '.status.ops == 3000 and .status.counters.xcpu == 0' "$out"
	expect '[.pools_after[] | select(.wchan | test("^kmem-0*[0-9]+$")) |
	    select((.wchan | ltrimstr("kmem-") | tonumber) > 256) |
	    .nget] as $big | [.pools_before[] | select(.wchan |
	    test("^kmem-0*[0-9]+$")) | select((.wchan | ltrimstr("kmem-") |
	    tonumber) > 256) | .nget] == $big' "$out"
	stop_daemon
}
summary_cleanup()
{
	common_cleanup
}

atf_test_case bad_workloads cleanup
bad_workloads_head()
{
	atf_set descr "run: unknown workloads, parameters and files get a" \
	    "message saying what would be right"
}
bad_workloads_body()
{
	start_daemon
	run 1 run nosuch
	contains "run nosuch" "$err" 'no such built-in' 'mixed, netbsd-boot'
	run 1 run mixed --param foo=1
	contains "--param foo=1" "$err" 'unknown parameter "foo"' \
	    'accepted: ops, time_ms, threads, seed, rate, xcpu'
	run 1 run mixed --param rate=-1
	contains "--param rate=-1" "$err" 'must be an integer between 0 and'
	run 2 run mixed --param rate
	run 2 run ./nonexistent.json
	contains "run ./nonexistent.json" "$err" 'No such file' \
	    'nbmemctl workload list'
	echo '{"sources": [' > broken.json
	run 2 run ./broken.json
	contains "run broken.json" "$err" 'not JSON'
	echo '{"sources": [{"kind": "kmem", "colour": 1}]}' > wrong.json
	run 1 run ./wrong.json
	contains "run wrong.json" "$err" 'colour' 'unknown member'
	run 2 run mixed --cpus 0
	# Nothing ran.
	run 0 workload status
	contains "workload status" "$out" "no workload has run"
	stop_daemon
}
bad_workloads_cleanup()
{
	common_cleanup
}

atf_test_case detach cleanup
detach_head()
{
	atf_set descr "run --detach returns at once; workload status follows" \
	    "it and workload stop ends it where it is"
}
detach_body()
{
	start_daemon
	run 0 run mixed --ops 1000000000 --detach
	contains "run --detach" "$out" "workload     mixed" "state"
	wait_for "the workload to run" is_running
	run 0 workload status
	contains "workload status" "$out" "state        running" \
	    "remaining    " " ops"
	run 1 run mixed --ops 100
	contains "a second run" "$err" "wait for it to end, or stop it"
	run 0 workload stop
	contains "workload stop" "$out" "workload stopped"
	wait_for "the workload to stop" has_ended
	run 0 -j workload status
	expect '.state == "stopped" and .progress < 1 and
	    .counters.remaining_ops > 0 and .counters.live == 0' "$out"
	run 0 workload status
	contains "workload status" "$out" "stopped before its stop condition"
	stop_daemon
}
detach_cleanup()
{
	common_cleanup
}

atf_test_case interrupt cleanup
interrupt_head()
{
	atf_set descr "run and ^C: the workload is stopped in the daemon," \
	    "the summary still printed, exit status 130"
}
interrupt_body()
{
	local pid st

	start_daemon
	"$nbmemctl" -s "$sock" run mixed --duration 100000 > run.out \
	    2> run.err &
	pid=$!
	wait_for "the workload to run" is_running
	kill -INT $pid
	wait $pid
	st=$?
	[ $st -eq 130 ] || fail "run after ^C: exit status $st, not 130:" \
	    "$(cat run.out run.err)"
	contains "run after ^C" "$(cat run.out)" \
	    "stopped before its stop condition" "POOL"
	contains "run after ^C" "$(cat run.err)" "stopping the workload"
	# It ended in the daemon, not just in nbmemctl.
	run 0 -j workload status
	expect '.state == "stopped"' "$out"
	stop_daemon
}
interrupt_cleanup()
{
	common_cleanup
}

atf_test_case trace cleanup
trace_head()
{
	atf_set descr "trace record, stop -o and replay: a trace over 1 MiB" \
	    "goes in chunks and replays the recorded allocations"
}
trace_body()
{
	local n allocs

	start_daemon
	run 0 trace record
	contains "trace record" "$out" "trace armed"
	run 0 -j workload status
	expect '.state == "none" and .trace >= 1' "$out"
	run 0 -j run kmem-sizes --ops 8000
	expect '.status.state == "done" and .status.counters.trace_lines > 0
	    and .status.counters.trace_dropped == 0' "$out"
	n=$(echo "$out" | jq .status.counters.trace_lines)
	allocs=$(echo "$out" | jq .status.counters.allocs)
	run 0 trace stop -o trace.ndjson
	contains "trace stop" "$out" "trace written"
	# The header, the sources, then one line an operation.
	head -1 trace.ndjson | jq -e '.trace == "nbmem" and
	    .workload == "kmem-sizes"' >/dev/null ||
	    fail "trace header: $(head -1 trace.ndjson)"
	[ "$(grep -c '"op":"alloc"' trace.ndjson)" -eq "$allocs" ] ||
	    fail "the trace does not hold $allocs allocations"
	[ "$(grep -c '"seq":' trace.ndjson)" -eq "$n" ] ||
	    fail "the trace does not hold $n operation lines"
	[ "$(wc -c < trace.ndjson)" -gt 1048576 ] ||
	    fail "the trace is under 1 MiB: chunks not exercised"
	run 0 -j trace replay trace.ndjson
	expect ".status.state == \"done\" and .status.name == \"replay\"
	    and .status.counters.allocs == $allocs and
	    .status.counters.frees == $allocs and .status.counters.fails == 0" \
	    "$out"
	run 0 trace replay trace.ndjson
	contains "trace replay" "$out" "workload     replay" \
	    "done: it reached its stop condition" "kmem-"
	# Without -o the trace goes to standard output.
	run 0 trace record
	run 0 run vmem-frag --ops 200
	run 0 trace stop
	[ "$(echo "$out" | head -1 | jq -r .workload)" = vmem-frag ] ||
	    fail "trace stop: not a trace of vmem-frag: $(echo "$out" |
	    head -1)"
	stop_daemon
}
trace_cleanup()
{
	common_cleanup
}

atf_test_case bad_traces cleanup
bad_traces_head()
{
	atf_set descr "trace replay of what is not a trace: the line at" \
	    "fault, and nothing is left loaded"
}
bad_traces_body()
{
	start_daemon
	run 2 trace replay ./nonexistent
	contains "trace replay nonexistent" "$err" "No such file" \
	    "trace stop -o FILE"
	echo 'not json' > junk
	run 1 trace replay ./junk
	contains "trace replay junk" "$err" "line 1" "not a JSON object"
	: > empty
	run 1 trace replay ./empty
	contains "trace replay empty" "$err" "no header"
	run 2 trace replay ./junk --cpus 2
	# A good trace still replays after the bad ones.
	run 0 trace record
	run 0 run kmem-sizes --ops 500
	run 0 trace stop -o good
	run 0 -j trace replay ./good
	expect '.status.state == "done"' "$out"
	stop_daemon
}
bad_traces_cleanup()
{
	common_cleanup
}

atf_test_case progress_bar cleanup
progress_bar_head()
{
	atf_set descr "run on a terminal (tmux): a progress bar with the" \
	    "part done, operations, rate and times, then the summary"
	atf_set require.progs tmux
}
# pane_has REGEX: the tmux pane shows REGEX now.
pane_has()
{
	tmux -S "$PWD/tmux.sock" capture-pane -p -t run | grep -Eq -- "$1"
}

progress_bar_body()
{
	start_daemon
	tmux -S "$PWD/tmux.sock" -f /dev/null new-session -d -s run -x 100 \
	    -y 30 "'$nbmemctl' -s '$sock' run mixed --duration 100000; \
	    echo EXITED rc=\$?; sleep 600"
	# The bar: name, [###...], percent, ops, rate, elapsed, left.
	wait_for "the progress bar on the terminal" pane_has \
	    '^mixed \[[#.]{30}\] +[0-9]+%  [0-9.KMG]+ ops  [0-9.KMG]+/s  [0-9.]+(us|ms|s) elapsed  .* left'
	run 0 workload stop
	wait_for "run to end after workload stop" pane_has 'EXITED rc=0'
	contains "the terminal" "$(tmux -S "$PWD/tmux.sock" capture-pane -p \
	    -S - -t run)" "stopped before its stop condition" "POOL"
	tmux -S "$PWD/tmux.sock" kill-server
	stop_daemon
}
progress_bar_cleanup()
{
	tmux -S "$PWD/tmux.sock" kill-server 2>/dev/null
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case workloads
	atf_add_test_case summary
	atf_add_test_case bad_workloads
	atf_add_test_case detach
	atf_add_test_case interrupt
	atf_add_test_case trace
	atf_add_test_case bad_traces
	atf_add_test_case progress_bar
}
