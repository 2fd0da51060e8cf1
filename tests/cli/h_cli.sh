# h_cli.sh: helpers of nbmemctl's tests (tests/cli/t_*.sh), sourced after
# srcdir and top are set.
#
# Each test case starts its own nbmemd in its work directory -- socket in
# ./run (mode 0700), database in ./db, a configuration in ./conf.json --
# never the user's, and stops it at the end.  The machine is deterministic
# (one host thread, seeded, virtual time), so that what nbmemctl prints of
# it is the same on every run.  Waits are polls with a deadline.
#
# atf_fail in a subshell -- inside $(...) or a pipeline -- ends only the
# subshell and the case would pass: the helpers that check something run
# in the test's own shell and leave what they captured in $out and $err;
# fail() also notes the failure in ./failures, which stop_daemon checks.

nbmemd=$srcdir/../../daemon/nbmemd
nbmemctl=$srcdir/../../cli/nbmemctl
golden=$top/tests/cli/golden

# The deterministic machine of the tests; recorder samples every 3600 s
# (none during a test) unless the case writes its own conf.json first.
write_conf()
{
	cat > conf.json <<-EOF
	{
	  "machine": { "ncpu": 2, "physmem": "64M", "mode": "deterministic",
	    "seed": 1 },
	  "recorder": { "interval": ${1:-3600} }
	}
	EOF
}

# start_daemon [nbmemd option...]: nbmemd on ./run/sock, machine up;
# NBMEMD_TEST gives the debug.* methods, with which a test puts load on
# pools through tests/daemon/h_rpc (debug_rpc) where no workload runs.
start_daemon()
{
	[ -d run ] || mkdir -m 0700 run
	[ -f conf.json ] || write_conf
	sock=$PWD/run/sock
	NBMEMD_TEST=1 "$nbmemd" -d -s "$sock" -D "$PWD/db/nbmemd.db" \
	    -f conf.json "$@" >> daemon.log 2>&1 &
	echo $! > daemon.pid
	wait_for "the machine" machine_up
}

# jq 1.6 -e exits 0 on empty input: look at what it prints instead.
# debug_rpc METHOD PARAMS: one request of the daemon's test methods.
debug_rpc()
{
	printf '{"jsonrpc":"2.0","id":1,"method":"%s","params":%s}\n' "$1" \
	    "$2" | "$srcdir/../daemon/h_rpc" -s "$sock" -t 30 > rpc.out ||
	    fail "$1 $2: $(cat rpc.out)"
	grep -q '"result"' rpc.out || fail "$1 $2: $(cat rpc.out)"
}

machine_up()
{
	[ "$("$nbmemctl" -s "$sock" -j machine info 2>/dev/null |
	    jq -r .state)" = up ]
}

# wait_for WHAT COMMAND...: poll COMMAND until it succeeds (30 s).
wait_for()
{
	local what=$1 i=0

	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 600 ]; then
			cat daemon.log 2>/dev/null
			fail "timed out waiting for $what"
		fi
		sleep 0.05
	done
}

# stop_daemon: SIGTERM, and require a clean exit and a clean log.
stop_daemon()
{
	local pid st

	pid=$(cat daemon.pid)
	kill -TERM "$pid"
	wait "$pid"
	st=$?
	rm -f daemon.pid
	[ ! -s failures ] || atf_fail "$(head -1 failures)"
	if grep -E 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' \
	    daemon.log >/dev/null 2>&1; then
		cat daemon.log
		atf_fail "sanitizer report in the daemon's log"
	fi
	[ $st -eq 0 ] || atf_fail "nbmemd exited with status $st"
}

kill_daemon()
{
	if [ -f daemon.pid ]; then
		kill -KILL "$(cat daemon.pid)" 2>/dev/null
		rm -f daemon.pid
	fi
}

# fail MESSAGE: fail the case; a message of many lines becomes one (ATF
# takes a reason of one line only).
fail()
{
	local msg

	msg=$(printf '%s' "$*" | tr '\n' '|' | cut -c1-2000)
	echo "$msg" >> failures
	atf_fail "$msg"
}

# run STATUS ARG...: nbmemctl ARG... on the test's daemon; require the
# exit status; stdout in $out, stderr in $err.  A sanitizer report on
# stderr fails the case.
run()
{
	local want=$1 st

	shift
	"$nbmemctl" -s "${sock:-$PWD/run/sock}" "$@" > out.$$ 2> err.$$
	st=$?
	out=$(cat out.$$)
	err=$(cat err.$$)
	rm -f out.$$ err.$$
	case "$err" in
	*Sanitizer*|*"runtime error:"*)
		fail "nbmemctl $*: sanitizer report: $err" ;;
	esac
	[ "$st" -eq "$want" ] || fail "nbmemctl $*: exit status $st, not" \
	    "$want; stdout: $out; stderr: $err"
}

# contains WHAT TEXT PATTERN...: every fixed-string PATTERN is in TEXT.
contains()
{
	local what=$1 text=$2 p

	shift 2
	for p in "$@"; do
		case "$text" in
		*"$p"*) ;;
		*) fail "$what: no \"$p\" in: $text" ;;
		esac
	done
}

# expect JQ-FILTER JSON: require the filter to be true (and JSON to be
# there: jq 1.6 -e holds on empty input).
expect()
{
	[ "$(echo "$2" | jq "$1" 2>&1)" = true ] ||
	    fail "expected $1 of: $2"
}

# normalize: what changes from run to run -- process ids, wall-clock
# times, socket paths, and the host addresses of the machine's RAM that
# the kmem arena spans (12 hex digits from 0x7..., on amd64 Linux: 0x7f...
# usually, 0x7e... under a sanitizer; moved by ASLR) -- replaced by fixed
# words, for golden files.
normalize()
{
	sed -E -e 's/pid [0-9]+/pid PID/g' \
	    -e 's/0x7[0-9a-f]{11}/0xHOSTADDR/g' \
	    -e 's/"(start|end)": 1[34][0-9]{13}/"\1": 0/g' \
	    -e 's/"pid": [0-9]+/"pid": 0/g' \
	    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}/YYYY-MM-DDThh:mm:ss/g' \
	    -e 's/"(time|start|end)": [0-9]+\.[0-9]+/"\1": 0.0/g' \
	    -e "s|$PWD|WORKDIR|g"
}

common_cleanup()
{
	kill_daemon
}
