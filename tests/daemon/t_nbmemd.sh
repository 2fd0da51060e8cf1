#! /usr/bin/env atf-sh
# t_nbmemd.sh: black-box tests of nbmemd (daemon/), ATF shell test program.
#
# Each test case starts a real nbmemd in its work directory -- socket in
# ./run (mode 0700), database in ./db, never the user's defaults -- with
# NBMEMD_TEST=1 so that the debug.* methods exist, talks to it with h_rpc
# (tests/daemon/h_rpc.c) and jq, reads the database with sqlite3, and
# stops it.  Every request and every line received is logged, and at the
# end of each case h_validate.py checks them against schema/protocol/.
# Waits are polls with a deadline, never fixed sleeps that a test relies
# on for correctness.

srcdir=$(atf_get_srcdir)
top=$(cd "$srcdir/../../.." && pwd)
nbmemd=$srcdir/../../daemon/nbmemd
h_rpc=$srcdir/h_rpc
py=/usr/bin/python3

# ---------------------------------------------------------------- helpers

# start_daemon [option...]: start nbmemd on ./run/sock and ./db/nbmemd.db
# and wait until its machine is up (unless -o noboot is the first option).
start_daemon()
{
	local wait=up

	if [ "${1:-}" = noboot ]; then
		wait=socket
		shift
	fi
	[ -d run ] || mkdir -m 0700 run
	sock=$PWD/run/sock
	NBMEMD_TEST=1 "$nbmemd" -d -vv -s "$sock" -D "$PWD/db/nbmemd.db" \
	    "$@" >>daemon.log 2>&1 &
	echo $! > daemon.pid
	if [ $wait = up ]; then
		wait_state up
	else
		wait_for "the socket" test -S "$sock"
	fi
}

daemon_pid()
{
	cat daemon.pid
}

# wait_for WHAT COMMAND...: poll COMMAND until it succeeds (30 s).
wait_for()
{
	local what=$1 i=0

	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 600 ]; then
			cat daemon.log
			atf_fail "timed out waiting for $what"
		fi
		sleep 0.05
	done
}

state_is()
{
	req machine.info | rpc -w 10 | jq -e ".result.state == \"$1\""
}

wait_state()
{
	wait_for "machine state $1" state_is "$1"
}

# stop_daemon: SIGTERM, and require a clean exit.
stop_daemon()
{
	local pid st

	pid=$(daemon_pid)
	kill -TERM "$pid"
	wait "$pid"
	st=$?
	rm -f daemon.pid
	check_log
	[ $st -eq 0 ] || atf_fail "nbmemd exited with status $st"
}

# check_log: no sanitizer report in the daemon's log, and no failure
# lost in a subshell.
check_log()
{
	[ ! -s failures ] || atf_fail "$(head -1 failures)"
	if grep -E 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:|WARNING: ThreadSanitizer' daemon.log >/dev/null 2>&1; then
		cat daemon.log
		atf_fail "sanitizer report in the daemon's log"
	fi
}

kill_daemon()
{
	if [ -f daemon.pid ]; then
		kill -KILL "$(daemon_pid)" 2>/dev/null
		rm -f daemon.pid
	fi
}

# req METHOD [PARAMS]: a request line with a fresh id.
req()
{
	local n

	n=$(($(cat ids 2>/dev/null || echo 0) + 1))
	echo $n > ids
	if [ $# -gt 1 ]; then
		printf '{"jsonrpc":"2.0","id":%d,"method":"%s","params":%s}\n' \
		    $n "$1" "$2"
	else
		printf '{"jsonrpc":"2.0","id":%d,"method":"%s"}\n' $n "$1"
	fi
}

# rpc [h_rpc option...] < requests: send, print and log what comes back.
rpc()
{
	local st

	cat > rpc.in.$$
	cat rpc.in.$$ >> requests.log
	"$h_rpc" -s "${RPC_SOCK:-$sock}" -t 30 "$@" < rpc.in.$$ > rpc.out.$$
	st=$?
	cat rpc.out.$$ >> received.log
	cat rpc.out.$$
	rm -f rpc.in.$$ rpc.out.$$
	return $st
}

# call METHOD [PARAMS]: one request, its response on stdout.
call()
{
	req "$@" | rpc
}

# fail MESSAGE: fail the test case.  atf_fail in a subshell ($(...)) only
# ends the subshell and the case would pass, so the helpers below run in
# the test's own shell and leave their answer in $out; fail also notes the
# failure in ./failures, which stop_daemon and validate check, as a net.
fail()
{
	echo "$*" >> failures
	atf_fail "$*"
}

# ok METHOD [PARAMS]: require a result; the response goes to $out.
ok()
{
	out=$(call "$@") || fail "$1: no answer: $(echo $out)"
	echo "$out" | jq -e 'has("result")' >/dev/null ||
	    fail "$1 ${2:-}: expected a result, got $(echo $out)"
}

# err REASON METHOD [PARAMS]: require an error with that reason, in $out.
err()
{
	local reason=$1

	shift
	out=$(call "$@") || fail "$1: no answer: $(echo $out)"
	echo "$out" | jq -e --arg r "$reason" '.error.data.reason == $r' \
	    >/dev/null || fail "$1 ${2:-}: expected $reason, got $(echo $out)"
}

# expect JQ-FILTER JSON: require the filter to hold.
expect()
{
	echo "$2" | jq -e "$1" >/dev/null ||
	    fail "expected $1 of: $(echo $2)"
}

# expects JQ-FILTER JSON: require the filter to hold of the array of all
# the lines (jq -s), for conditions on the notifications before a response.
expects()
{
	echo "$2" | jq -s -e "$1" >/dev/null ||
	    fail "expected $1 of: $(echo $2)"
}

sql()
{
	sqlite3 -batch "$PWD/db/nbmemd.db" "$@"
}

# validate: every reply of the case against schema/protocol/.
validate()
{
	[ ! -s failures ] || atf_fail "$(head -1 failures)"
	touch requests.log received.log
	if ! $py "$srcdir/../../../tests/daemon/h_validate.py" \
	    "$top/schema" requests.log received.log > validate.out 2>&1; then
		cat validate.out
		atf_fail "replies do not match schema/protocol/"
	fi
}

common_cleanup()
{
	kill_daemon
}

# ------------------------------------------------------------ test cases

atf_test_case hello cleanup
hello_head()
{
	atf_set descr "hello: versions, methods; every method has schemas" \
	    "that agree with the parameters the daemon accepts"
	atf_set require.progs "jq"
}
hello_body()
{
	local out m accepted schema p

	start_daemon
	ok hello '{"client":"t_nbmemd","protocol":2}'
	expect '.result.protocol == 2 and .result.readonly == false' "$out"
	expect '.result.methods | index("debug.panic") != null' "$out"
	expect '.result.daemon | startswith("nbmemd ")' "$out"
	err version-mismatch hello '{"protocol":1}'
	expect '.error.data.daemon == 2 and .error.data.client == 1' "$out"
	expect '.error.message | contains("hint")' "$out"
	err bad-params hello '{"protocol":"one"}'
	expect '.error.data.field == "params.protocol"' "$out"

	# Schema and daemon agree: the parameters each method accepts are
	# the properties of its params schema; each has a result schema.
	ok hello
	for m in $(echo "$out" | jq -r '.result.methods[]'); do
		schema=$top/schema/protocol/$m.params.schema.json
		[ -f "$schema" ] || atf_fail "$m: no $schema"
		[ -f "$top/schema/protocol/$m.result.schema.json" ] ||
		    atf_fail "$m: no result schema"
		err bad-params "$m" '{"zz_unknown":1}'
		accepted=$(echo "$out" | jq -r '.error.message' |
		    sed -n 's/.*accepted: //p' | tr -d ' ' | tr ',' '\n' |
		    sort | tr '\n' ' ')
		p=$(jq -r '(.properties // {}) | keys | .[]' "$schema" |
		    sort | tr '\n' ' ')
		[ "$accepted" = "$p" ] || atf_fail "$m: daemon accepts" \
		    "'$accepted', schema says '$p'"
	done
	# The reasons of daemon/proto.h are those of error.schema.json.
	p=$(sed -n 's/.*X([A-Z_]*, -[0-9]*, "\([a-z-]*\)".*/\1/p' \
	    "$top/daemon/proto.h" | sort | tr '\n' ' ')
	accepted=$(jq -r '.properties.data.properties.reason.enum[]' \
	    "$top/schema/protocol/error.schema.json" | sort | tr '\n' ' ')
	[ "$p" = "$accepted" ] || atf_fail "proto.h reasons '$p' differ" \
	    "from error.schema.json '$accepted'"
	validate
	stop_daemon
}
hello_cleanup() { common_cleanup; }

atf_test_case machine cleanup
machine_head()
{
	atf_set descr "machine.info, machine.config, machine.boot and" \
	    "machine.shutdown, success and error paths"
	atf_set require.progs "jq"
}
machine_body()
{
	local out

	start_daemon
	ok machine.info
	expect '.result.state == "up" and .result.run == 1' "$out"
	expect '.result.config.ncpu == 4 and .result.config.page_size == 4096' "$out"
	expect '.result.config.memmap | length > 0' "$out"
	expect '.result.uptime_ns > 0' "$out"
	ok machine.config
	expect '.result.configured.ncpu == 4 and .result.running.ncpu == 4' "$out"
	err bad-params machine.info '{"x":1}'

	err busy machine.boot
	expect '.error.message | contains("replace")' "$out"
	err bad-params machine.boot '{"config":{"ncpu":300}}'
	expect '.error.data.field == "params.config.ncpu"' "$out"
	expect '.error.message | contains("between 1 and 256")' "$out"
	err bad-params machine.boot '{"config":{"page_size":3000}}'
	expect '.error.data.field == "params.config.page_size"' "$out"
	err bad-params machine.boot '{"config":{"cpus":2}}'
	expect '.error.message | contains("accepted: ncpu")' "$out"
	err bad-params machine.boot '{"config":{"options":["NOPE"]}}'
	expect '.error.data.field == "params.config.options[0]"' "$out"
	err bad-params machine.boot '{"replace":"yes"}'
	expect '.error.data.field == "params.replace"' "$out"

	ok machine.boot '{"replace":true,"config":{"ncpu":2,"physmem":"64M","options":["DIAGNOSTIC"]}}'
	expect '.result.run == 2 and .result.config.ncpu == 2' "$out"
	expect '.result.config.physmem == 67108864' "$out"
	ok machine.info
	expect '.result.run == 2 and .result.config.ncpu == 2' "$out"
	expect '.result.config.options == ["DIAGNOSTIC"]' "$out"
	expect '.result.last.run == 1 and .result.last.ended == "shutdown"' "$out"
	ok machine.config
	expect '.result.configured.ncpu == 4 and .result.running.ncpu == 2' "$out"

	ok machine.shutdown
	expect '.result.run == 2 and .result.ended == "shutdown"' "$out"
	ok machine.info
	expect '.result.state == "down" and .result.last.ended == "shutdown"' "$out"
	ok machine.config
	expect '.result.running == null' "$out"
	err machine-down machine.shutdown
	err machine-down stats.snapshot
	ok machine.boot
	expect '.result.run == 3 and .result.config.ncpu == 4' "$out"
	[ "$(sql "SELECT group_concat(ended) FROM runs ORDER BY run_id")" = \
	    "shutdown,shutdown" ] || atf_fail "runs: $(sql 'SELECT * FROM runs')"
	validate
	stop_daemon
	[ "$(sql "SELECT ended FROM runs WHERE run_id = 3")" = daemon-stop ] ||
	    atf_fail "run 3 did not end daemon-stop"
}
machine_cleanup() { common_cleanup; }

atf_test_case stats cleanup
stats_head()
{
	atf_set descr "stats.snapshot, stats.subscribe, stats.unsubscribe"
	atf_set require.progs "jq"
}
stats_body()
{
	local out id

	start_daemon
	ok stats.snapshot
	expect '.result.run == 1 and .result.machine.pagesize == 4096' "$out"
	expect '.result.machine.npages == 65536 and .result.machine.free <= 65536' "$out"
	expect '.result.machine.ncpu == 4' "$out"
	expect '[.result.pools[] | select(.wchan == "kmem-00064")] | length == 1' "$out"
	expect '[.result.caches[] | select(.wchan == "kmem-00064")] | length == 4' "$out"
	expect '[.result.vmem[] | select(.name == "kmem")] | length == 1' "$out"
	expect '[.result.extents[] | select(.name == "ioport")] | length == 1' "$out"
	expect '.result.intr == []' "$out"
	ok stats.snapshot '{"sections":["machine","pools"]}'
	expect '.result | has("machine") and has("pools") and (has("caches") | not)' "$out"
	err bad-params stats.snapshot '{"sections":["uvmexp"]}'
	expect '.error.data.field == "params.sections[0]"' "$out"
	expect '.error.message | contains("accepted: machine, pools, caches, vmem, extents, intr")' "$out"
	err bad-params stats.snapshot '{"sections":"machine"}'

	# Three notifications on the subscribing connection; a subscription
	# ended on its own connection.
	out=$(req stats.subscribe '{"interval":0.05}' | rpc -n 3) ||
	    atf_fail "subscription: $(echo $out)"
	expect 'select(.method == "stats.update") | .params.subscription == 1 and .params.state == "up"' "$out"
	expect 'select(.method == "stats.update") | .params.snapshot.machine.pagesize == 4096' "$out"
	out=$( (req stats.subscribe '{"interval":10}'
	    req stats.unsubscribe '{"subscription":2}') | rpc)
	expect 'select(.id == '"$(cat ids)"') | .result.subscription == 2' "$out"
	err no-such-subscription stats.unsubscribe '{"subscription":77}'
	expect '.error.data.field == "params.subscription"' "$out"
	err bad-params stats.unsubscribe
	err bad-params stats.subscribe '{"interval":0.001}'
	err bad-params stats.subscribe '{"interval":"fast"}'

	# A subscriber hears "down" while there is no machine.
	ok machine.shutdown
	out=$(req stats.subscribe '{"interval":0.05}' | rpc -n 2)
	expect 'select(.method == "stats.update") | .params.state == "down"' "$out"
	validate
	stop_daemon
}
stats_cleanup() { common_cleanup; }

atf_test_case history cleanup
history_head()
{
	atf_set descr "history.runs, events.list, history.export (streamed" \
	    "in chunks ending with the response)"
	atf_set require.progs "jq sqlite3"
}
samples_at_least()
{
	[ "$(sql 'SELECT count(*) FROM samples')" -ge "$1" ]
}
history_body()
{
	local out n chunks rows

	cat > conf.json <<-'EOF2'
	{ "recorder": { "interval": 0.05 } }
	EOF2
	start_daemon -f conf.json
	wait_for "5 samples" samples_at_least 5
	ok history.runs
	expect '.result.runs | length == 1' "$out"
	expect '.result.runs[0].run == 1 and .result.runs[0].end == null' "$out"
	expect '.result.runs[0].config.ncpu == 4 and .result.runs[0].samples >= 5' "$out"
	ok history.runs '{"run":1,"limit":1}'
	expect '.result.runs[0].ended == null' "$out"
	ok history.runs '{"before":1}'
	expect '.result.runs == []' "$out"
	err no-such-run history.runs '{"run":99}'
	err bad-params history.runs '{"limit":0}'
	err bad-params history.runs '{"limit":1001}'

	ok events.list
	expect '.result.events[0].type == "boot" and .result.events[0].source == "daemon"' "$out"
	expect '.result.last >= 1' "$out"
	ok events.list '{"since":1000}'
	expect '.result.events == [] and .result.last == 1000' "$out"
	ok events.list '{"source":"machine","run":1}'
	err bad-params events.list '{"source":"kernel"}'
	err no-such-run events.list '{"run":42}'

	ok machine.shutdown
	n=$(sql 'SELECT count(*) FROM samples')
	out=$(req history.export '{"chunk":2}' | rpc)
	chunks=$(echo "$out" | jq -s '[.[] | select(.method == "history.chunk")] | length')
	rows=$(echo "$out" | jq -s '[.[] | select(.method == "history.chunk") | .params.rows | length] | add')
	[ "$rows" -eq "$n" ] || atf_fail "export: $rows rows, $n samples"
	[ "$chunks" -eq $(((n + 1) / 2)) ] || atf_fail "export: $chunks chunks"
	expect 'select(has("result")) | .result.rows == '"$n"' and .result.chunks == '"$chunks" "$out"
	expect 'select(has("result")) | .result.columns[0:6] == ["sample","run","time","uptime_ns","ncpu","pagesize"]' "$out"
	echo "$out" | tail -1 | jq -e 'has("result")' >/dev/null ||
	    atf_fail "the export's response is not last"
	out=$(req history.export '{"table":"events","run":1}' | rpc)
	expect 'select(has("result")) | .result.table == "events" and .result.rows >= 2' "$out"
	out=$(req history.export '{"since":0,"until":1}' | rpc)
	expect '.result.rows == 0 and .result.chunks == 0' "$out"
	err bad-params history.export '{"table":"uvmexp"}'
	err bad-params history.export '{"since":10,"until":5}'
	err bad-params history.export '{"chunk":0}'
	err no-such-run history.export '{"run":5}'
	validate
	stop_daemon
}
history_cleanup() { common_cleanup; }

atf_test_case malformed cleanup
malformed_head()
{
	atf_set descr "malformed input: bad JSON, wrong types, unknown" \
	    "methods, batches, binary garbage, a line over 1 MiB, a half" \
	    "line, a client that does not read; the daemon still answers"
	atf_set require.progs "jq"
}
# one_bad LINE REASON: LINE on its own connection gets REASON, in $out.
one_bad()
{
	out=$(printf '%s\n' "$1" | rpc) || fail "no answer to $1"
	echo "$out" | jq -e --arg r "$2" '.error.data.reason == $r' \
	    >/dev/null || fail "$1: expected $2, got $(echo $out)"
}
hello_works()
{
	ok hello
}
malformed_body()
{
	local out deep i

	cat > conf.json <<-'EOF2'
	{ "sockets": { "line_timeout": 1 } }
	EOF2
	start_daemon -f conf.json
	one_bad '{"jsonrpc":"2.0","id":' parse-error
	expect '.id == null and .error.code == -32700' "$out"
	one_bad 'nonsense' parse-error
	one_bad '{"jsonrpc":"2.0","id":100,"method":"hello"} trailing' \
	    parse-error
	one_bad '[{"jsonrpc":"2.0","id":101,"method":"hello"}]' bad-request
	expect '.error.message | contains("batch")' "$out"
	one_bad '{"jsonrpc":"1.0","id":102,"method":"hello"}' bad-request
	expect '.id == 102' "$out"
	one_bad '{"jsonrpc":"2.0","id":{},"method":"hello"}' bad-request
	one_bad '{"jsonrpc":"2.0","id":103,"method":5}' bad-request
	one_bad '{"jsonrpc":"2.0","id":104,"method":"hello","params":[1]}' \
	    bad-request
	one_bad '{"jsonrpc":"2.0","id":105,"method":"hello","extra":1}' \
	    bad-request
	one_bad '"just a string"' bad-request
	one_bad '{"jsonrpc":"2.0","id":106,"method":"no.such"}' unknown-method
	expect '.id == 106 and .error.code == -32601' "$out"
	one_bad '{"jsonrpc":"2.0","id":107,"method":"history.runs","params":{"limit":"ten"}}' \
	    bad-params
	one_bad '{"jsonrpc":"2.0","id":108,"method":"history.runs","params":{"limit":1e400}}' \
	    bad-params
	deep=$(i=0; while [ $i -lt 100 ]; do printf '['; i=$((i + 1)); done)
	one_bad "$deep" parse-error
	one_bad "$(printf '{"jsonrpc":"2.0","id":109,"method":"hel\377lo"}')" \
	    parse-error
	hello_works

	# A notification is run and not answered; blank lines are skipped;
	# CRLF is accepted.
	out=$(printf '{"jsonrpc":"2.0","method":"hello"}\n\n \r\n{"jsonrpc":"2.0","id":110,"method":"hello"}\r\n' | rpc -r -c 1)
	[ "$(echo "$out" | wc -l)" -eq 1 ] || atf_fail "notification answered: $(echo $out)"
	expect '.id == 110 and .result.protocol == 2' "$out"

	# Binary garbage: each line is answered with an error, then EOF.
	head -c 65536 /dev/urandom > garbage
	"$h_rpc" -s "$sock" -r -e -E -t 30 < garbage > garbage.out ||
	    atf_fail "garbage: no end"
	jq -e -s 'all(.error.data.reason | IN("parse-error", "bad-request"))' \
	    garbage.out >/dev/null || atf_fail "garbage answers: $(head -c 500 garbage.out)"
	hello_works

	# A line over 1 MiB: too-large, and the connection is closed.
	{ printf '{"jsonrpc":"2.0","id":111,"method":"hello","params":{"client":"'
	  head -c 1100000 /dev/zero | tr '\0' a
	  printf '"}}\n'; } > big
	"$h_rpc" -s "$sock" -r -E -t 30 < big > big.out || atf_fail "big: no end"
	jq -e '.error.data.reason == "too-large" and .id == null' big.out \
	    >/dev/null || atf_fail "big: $(cat big.out)"
	grep -q 'request line over' daemon.log || atf_fail "big: not logged"
	hello_works

	# Half a line: others are served meanwhile; after line_timeout the
	# half-line client is dropped.
	printf '{"jsonrpc":"2.0",' > half
	"$h_rpc" -s "$sock" -r -c 0 -E -t 20 < half > half.out &
	hello_works
	ok stats.snapshot
	wait $! || atf_fail "the half-line client was not dropped"
	grep -q 'partial request line waited too long' daemon.log ||
	    atf_fail "half line: not logged"

	# A client that sends 3000 requests and reads nothing for a while:
	# it is held back, not dropped, and gets every answer in order.
	i=0
	while [ $i -lt 3000 ]; do
		printf '{"jsonrpc":"2.0","id":%d,"method":"machine.config"}\n' \
		    $((1000 + i))
		i=$((i + 1))
	done > many
	"$h_rpc" -s "$sock" -S 1 -t 60 < many > many.out ||
	    atf_fail "many: $(tail -c 300 many.out)"
	[ "$(jq -s 'map(.id) == [range(1000; 4000)]' many.out)" = true ] ||
	    atf_fail "many: answers missing or out of order"
	hello_works
	validate
	stop_daemon
}
malformed_cleanup() { common_cleanup; }

atf_test_case readonly cleanup
readonly_head()
{
	atf_set descr "the read-only socket answers what changes nothing" \
	    "and denies the rest; socket and directory permissions"
	atf_set require.progs "jq"
}
readonly_body()
{
	local out m all ro

	start_daemon -r "$PWD/run/ro.sock"
	[ "$(stat -c %a run)" = 700 ] || atf_fail "run: mode $(stat -c %a run)"
	[ "$(stat -c %a run/sock)" = 600 ] || atf_fail "sock: mode"
	[ "$(stat -c %a run/ro.sock)" = 600 ] || atf_fail "ro.sock: mode"
	[ "$(stat -c %a db/nbmemd.db)" = 600 ] || atf_fail "db: mode"
	RPC_SOCK=$PWD/run/ro.sock
	export RPC_SOCK
	ok hello
	expect '.result.readonly == true' "$out"
	expect '.result.methods | index("machine.boot") == null' "$out"
	expect '.result.methods | index("stats.snapshot") != null' "$out"
	for m in machine.info machine.config stats.snapshot history.runs \
	    events.list; do
		ok $m
	done
	out=$(req history.export | rpc)
	expect 'select(has("result")) | .result.table == "machine"' "$out"
	out=$(req stats.subscribe '{"interval":0.05}' | rpc -n 1)
	for m in pool.list cache.list kmem.stats vmem.list extent.list \
	    intr.list; do
		ok $m
	done
	ok pool.show '{"name":"kmem-00064"}'
	ok cache.show '{"name":"kmem-00064"}'
	ok vmem.show '{"name":"kmem"}'
	ok extent.show '{"name":"ioport"}'
	out=$(req stats.subscribe '{"interval":0.05}' | rpc -n 1)
	for m in machine.boot machine.shutdown daemon.shutdown debug.panic \
	    debug.crash debug.hang; do
		err denied $m
		expect '.error.code == -32001' "$out"
	done
	# Every method the read-only socket does not list is denied there,
	# with or without parameters, before anything is checked or done.
	unset RPC_SOCK
	ok hello
	all=$(echo "$out" | jq -r '.result.methods[]')
	RPC_SOCK=$PWD/run/ro.sock
	export RPC_SOCK
	ok hello
	ro=$out
	for m in $all; do
		echo "$ro" | jq -e --arg m $m '.result.methods | index($m)' \
		    >/dev/null && continue
		err denied $m '{"name":"kmem-00064","pool":"kmem-00064"}'
		err denied $m
	done
	unset RPC_SOCK
	ok pool.list
	expect '.result.owned == []' "$out"
	ok intr.list
	expect '.result.sources == []' "$out"
	state_is up || atf_fail "a denied method changed the machine"
	validate
	stop_daemon
	[ ! -e run/ro.sock ] || atf_fail "ro.sock left behind"
}
readonly_cleanup() { common_cleanup; }

atf_test_case concurrent cleanup
concurrent_head()
{
	atf_set descr "two clients while a subscription streams; a" \
	    "subscriber that stops reading is dropped without holding up" \
	    "the others or the recorder"
	atf_set require.progs "jq sqlite3"
}
concurrent_body()
{
	local out i pid pa pb n0 n1

	cat > conf.json <<-'EOF2'
	{ "recorder": { "interval": 0.05 },
	  "sockets": { "client_buffer": 65536 } }
	EOF2
	start_daemon -f conf.json

	req stats.subscribe '{"interval":0.02}' > sub.in
	cat sub.in >> requests.log
	"$h_rpc" -s "$sock" -n 40 -t 60 < sub.in > sub.out &
	pid=$!
	i=0
	while [ $i -lt 40 ]; do
		ok machine.info
		ok stats.snapshot
		i=$((i + 1))
	done
	wait $pid || atf_fail "the subscriber did not get its notifications"
	cat sub.out >> received.log

	# Two clients at once, one making pools, one listing them, while a
	# third subscribes to the pools.
	ok pool.create '{"name":"c0","size":32}'
	req stats.subscribe '{"interval":0.02,"sections":["pools"]}' > sub.in
	cat sub.in >> requests.log
	"$h_rpc" -s "$sock" -n 30 -t 60 < sub.in > sub.out &
	pid=$!
	i=1
	while [ $i -le 9 ]; do
		printf '{"jsonrpc":"2.0","id":%d,"method":"pool.create","params":{"name":"c%d","size":%d,"cache":true}}\n' \
		    $((5000 + i)) $i $((i * 16))
		printf '{"jsonrpc":"2.0","id":%d,"method":"pool.show","params":{"name":"c%d"}}\n' \
		    $((5100 + i)) $i
		i=$((i + 1))
	done > a.in
	i=1
	while [ $i -le 30 ]; do
		printf '{"jsonrpc":"2.0","id":%d,"method":"pool.list"}\n' $((6000 + i))
		i=$((i + 1))
	done > b.in
	cat a.in b.in >> requests.log
	"$h_rpc" -s "$sock" -t 60 < a.in > a.out &
	pa=$!
	"$h_rpc" -s "$sock" -t 60 < b.in > b.out &
	pb=$!
	wait $pa || atf_fail "client a"
	wait $pb || atf_fail "client b"
	wait $pid || atf_fail "the pool subscriber"
	cat a.out b.out sub.out >> received.log
	[ "$(jq -s '[.[] | select(has("result"))] | length' a.out)" -eq 18 ] ||
	    atf_fail "client a: $(cat a.out)"
	[ "$(jq -s '[.[] | select(has("result"))] | length' b.out)" -eq 30 ] ||
	    atf_fail "client b"
	[ "$(jq -s '[.[] | select(.method == "stats.update") | .params.snapshot.pools | map(.wchan) | index("c0") != null] | all' sub.out)" = true ] ||
	    atf_fail "an update without pool c0"
	[ "$(jq -s '[.[] | select(.method == "stats.update") | .params.snapshot | keys] | unique' sub.out | jq -c .)" = '[["pools","run","time","uptime_ns"]]' ] ||
	    atf_fail "updates with other sections"
	ok pool.list
	expect '.result.owned | sort == ["c0","c1","c2","c3","c4","c5","c6","c7","c8","c9"]' "$out"

	# A subscriber that does not read: dropped once 64 KiB pile up.
	n0=$(sql 'SELECT count(*) FROM samples')
	i=0
	while [ $i -lt 8 ]; do
		req stats.subscribe '{"interval":0.01}'
		i=$((i + 1))
	done > slow.in
	"$h_rpc" -s "$sock" -b 4096 -S 25 -E -t 60 < slow.in > slow.out &
	pid=$!
	wait_for "the slow subscriber to be dropped" \
	    grep -q 'not reading its subscription' daemon.log
	ok hello
	n1=$(sql 'SELECT count(*) FROM samples')
	[ "$n1" -gt "$n0" ] || atf_fail "no samples while a client lagged"
	kill $pid 2>/dev/null
	wait $pid
	ok stats.snapshot
	validate
	stop_daemon
}
concurrent_cleanup() { common_cleanup; }

atf_test_case panic cleanup
panic_head()
{
	atf_set descr "a machine panic is recorded in events and" \
	    "history.runs, answered as machine-down; machine.boot works" \
	    "and the earlier samples are intact"
	atf_set require.progs "jq sqlite3"
}
run2_sampled()
{
	[ "$(sql 'SELECT count(*) FROM samples WHERE run_id = 2')" -ge 2 ]
}
panic_body()
{
	local out s1 pid

	cat > conf.json <<-'EOF2'
	{ "recorder": { "interval": 0.05 } }
	EOF2
	start_daemon -f conf.json
	wait_for "3 samples" samples_at_least 3
	ok machine.info
	pid=$(echo "$out" | jq .result.pid)
	ok debug.panic '{"message":"t_nbmemd: forced panic"}'
	expect '.result.run == 1 and .result.ended == "panic"' "$out"
	expect '.result.message == "t_nbmemd: forced panic"' "$out"
	kill -0 "$pid" 2>/dev/null && atf_fail "the machine process survived"
	kill -0 "$(daemon_pid)" || atf_fail "the daemon died"
	s1=$(sql 'SELECT count(*) FROM samples WHERE run_id = 1')

	err machine-down stats.snapshot
	expect '.error.message | contains("forced panic")' "$out"
	ok machine.info
	expect '.result.state == "down" and .result.last.ended == "panic"' "$out"
	ok events.list '{"run":1}'
	expect '[.result.events[] | select(.type == "panic")] | length == 1' "$out"
	expect '.result.events[] | select(.type == "panic") | .message == "t_nbmemd: forced panic"' "$out"
	ok history.runs '{"run":1}'
	expect '.result.runs[0].ended == "panic" and .result.runs[0].message == "t_nbmemd: forced panic"' "$out"
	expect '.result.runs[0].end != null' "$out"

	ok machine.boot
	expect '.result.run == 2' "$out"
	wait_for "samples of run 2" run2_sampled
	[ "$(sql 'SELECT count(*) FROM samples WHERE run_id = 1')" = "$s1" ] ||
	    atf_fail "the samples of run 1 changed"
	[ "$(sql 'PRAGMA integrity_check')" = ok ] || atf_fail "integrity"
	grep -q 'machine run 1 ended: panic: t_nbmemd: forced panic' daemon.log ||
	    atf_fail "the panic is not in the log"
	validate
	stop_daemon
}
panic_cleanup() { common_cleanup; }

atf_test_case pools cleanup
pools_head()
{
	atf_set descr "pool.* and cache.*, kmem.stats: success and error" \
	    "paths; a hard-limit warning recorded as an event"
	atf_set require.progs "jq sqlite3"
}
hardlimit_recorded()
{
	[ "$(sql "SELECT count(*) FROM events WHERE type = 'hardlimit' AND subject = 'foo'")" -ge 1 ]
}
pools_body()
{
	local out

	echo '{"recorder":{"interval":0.05}}' > conf.json
	start_daemon -f conf.json
	ok pool.list
	expect '[.result.pools[] | select(.wchan == "kmem-00064")] | length == 1' "$out"
	expect '.result.owned == []' "$out"
	ok pool.show '{"name":"kmem-00064"}'
	expect '.result.pool.size == 64 and .result.owned == false' "$out"
	expect '.result.cache.groupsize == 15 and (.result.cpus | length) == 4' "$out"
	expect '.result.geometry.itemsperpage == .result.pool.itemsperpage and .result.geometry.ipl == "vm"' "$out"
	expect '.result.geometry.header == "in-page" and .result.geometry.allocator == "kmem"' "$out"
	err no-such-pool pool.show '{"name":"nope"}'
	err bad-params pool.show '{"name":"a-name-far-too-long"}'
	err bad-params pool.show

	# A pool cache with a hard limit and its warning.
	ok pool.create '{"name":"foo","size":100,"cache":true,"hardlimit":10,"warning":"foo: hard limit reached","ratecap":0}'
	expect '.result.owned == true and .result.pool.size == 104' "$out"
	expect '.result.geometry.hardlimit == 10 and .result.geometry.warning == "foo: hard limit reached"' "$out"
	expect '.result.cache.groupsize == 15 and (.result.cpus | length) == 4' "$out"
	err exists pool.create '{"name":"foo","size":64}'
	err exists pool.create '{"name":"kmem-00064","size":64}'
	err bad-params pool.create '{"name":"bad","size":64,"align":48}'
	expect '.error.data.field == "params.align"' "$out"
	err bad-params pool.create '{"name":"bad","size":8000}'
	expect '.error.data.field == "params.size"' "$out"
	err bad-params pool.create '{"name":"bad","size":64,"flags":["PR_BOGUS"]}'
	expect '.error.data.field == "params.flags[0]"' "$out"
	err bad-params pool.create '{"name":"bad","size":64,"flags":["PR_LARGECACHE"]}'
	err bad-params pool.create '{"name":"bad","size":64,"ipl":"bogus"}'
	expect '.error.data.field == "params.ipl"' "$out"
	err bad-params pool.create '{"name":"bad"}'
	err bad-params pool.create '{"name":"bad","size":0}'
	err bad-params pool.create '{"name":"bad","size":64,"lowat":2000000000}'
	expect '.error.data.field == "params.lowat"' "$out"
	err no-such-pool pool.show '{"name":"bad"}'
	ok pool.list
	expect '.result.owned == ["foo"]' "$out"

	# Items out: a busy pool; past the hard limit: failures, a warning.
	ok debug.hold '{"pool":"foo","count":12}'
	expect '.result.held == 10 and .result.failed == 2' "$out"
	wait_for "the hard-limit event" hardlimit_recorded
	ok events.list '{"source":"machine"}'
	expect '[.result.events[] | select(.type == "hardlimit" and .subject == "foo")][0].message == "foo: hard limit reached"' "$out"
	err pool-busy pool.destroy '{"name":"foo"}'
	expect '.error.message | contains("10 items out")' "$out"
	ok debug.release '{"pool":"foo"}'
	expect '.result.released == 10' "$out"
	ok cache.show '{"name":"foo"}'
	expect '.result.pool.nget >= 10 and ([.result.cpus[].hits] | add) >= 0' "$out"
	ok cache.invalidate '{"name":"foo"}'
	expect '.result.pool.cache_nfull == 0' "$out"
	ok pool.destroy '{"name":"foo"}'
	expect '.result.pool.wchan == "foo" and .result.pool.nout == 0' "$out"
	err no-such-pool pool.show '{"name":"foo"}'
	err not-owned pool.destroy '{"name":"kmem-00064"}'
	err no-such-pool pool.destroy '{"name":"nope"}'

	# A plain pool: watermarks, priming, reclaiming.
	ok pool.create '{"name":"bar","size":256,"align":64,"ipl":"vm","flags":["PR_NOTOUCH"]}'
	expect '.result.cache == null and .result.cpus == [] and .result.geometry.align == 64' "$out"
	expect '.result.geometry.ipl == "vm" and (.result.geometry.flags | index("PR_NOTOUCH")) != null' "$out"
	ok pool.setlowat '{"name":"bar","lowat":40}'
	expect '.result.geometry.minitems == 40 and .result.pool.nitems >= 40' "$out"
	ok pool.sethiwat '{"name":"bar","hiwat":100}'
	expect '.result.geometry.maxitems == 100' "$out"
	ok pool.sethardlimit '{"name":"bar","hardlimit":1000}'
	expect '.result.pool.hardlimit == 1000 and .result.geometry.warning == null' "$out"
	ok pool.prime '{"name":"bar","items":200}'
	expect '.result.geometry.minpages >= 13 and .result.pool.npages >= 13' "$out"
	err bad-params pool.prime '{"name":"bar","items":2000000000}'
	expect '.error.data.field == "params.items"' "$out"
	ok pool.reclaim '{"name":"bar"}'
	expect '.result | has("reclaimed")' "$out"
	err no-cache cache.show '{"name":"bar"}'
	err no-cache cache.invalidate '{"name":"bar"}'
	err no-such-pool cache.show '{"name":"nope"}'
	err no-such-pool pool.setlowat '{"name":"nope","lowat":1}'
	err bad-params pool.setlowat '{"name":"bar"}'
	err bad-params pool.sethardlimit '{"name":"bar","hardlimit":0}'
	err no-such-pool pool.prime '{"name":"nope","items":1}'
	err no-such-pool pool.reclaim '{"name":"nope"}'
	# Watermarks of a kernel pool may be changed, as kernel code may.
	ok pool.sethiwat '{"name":"kmem-00064","hiwat":640}'
	expect '.result.geometry.maxitems == 640 and .result.owned == false' "$out"

	ok cache.list
	expect '[.result.caches[] | select(.wchan == "kmem-00064")] | length == 1' "$out"
	expect '[.result.caches[] | select(.wchan == "bar")] | length == 0' "$out"
	expect '[.result.cpus[] | select(.wchan == "kmem-00064")] | length == 4' "$out"
	ok cache.invalidate '{"name":"kmem-00064"}'
	ok kmem.stats
	expect '[.result.classes[] | select(.wchan == "kmem-00064")] | length == 1' "$out"
	expect '.result.large.nclasses >= 1 and .result.large.nlarge_alloc >= 0' "$out"
	err bad-params kmem.stats '{"x":1}'
	err bad-params debug.kmem_wrongfree
	expect '.error.message | contains("KMEM_SIZE")' "$out"

	ok machine.shutdown
	err machine-down pool.list
	err machine-down pool.create '{"name":"foo","size":64}'
	validate
	stop_daemon
}
pools_cleanup() { common_cleanup; }

atf_test_case spaces cleanup
spaces_head()
{
	atf_set descr "vmem.list, vmem.show with the segment map," \
	    "extent.list, extent.show with the regions and extent_print"
	atf_set require.progs "jq"
}
spaces_body()
{
	local out

	start_daemon
	ok vmem.list
	expect '[.result.arenas[].name] | index("kmem") != null' "$out"
	ok vmem.show '{"name":"kmem"}'
	expect '.result.arena.name == "kmem" and .result.nsegments == (.result.segments | length)' "$out"
	expect '.result.segments[0].type == "static-span" or .result.segments[0].type == "span"' "$out"
	expect '([.result.segments[] | select(.type == "busy" or .type == "free") | .size] | add) == .result.arena.size' "$out"
	ok vmem.show '{"name":"kmem","limit":1}'
	expect '(.result.segments | length) == 1 and .result.nsegments >= 2' "$out"
	err no-such-arena vmem.show '{"name":"nope"}'
	err bad-params vmem.show '{"limit":1}'
	ok extent.list
	expect '[.result.extents[].name] | index("ioport") != null' "$out"
	ok extent.show '{"name":"ioport"}'
	expect '.result.extent.start == 0 and .result.extent.end == 65535' "$out"
	expect '(.result.regions | length) == .result.extent.nregions' "$out"
	expect '.result.print | startswith("extent `ioport'"'"' (0x0 - 0xffff), flags = 0x")' "$out"
	expect '(.result.print | split("\n") | length) == .result.extent.nregions + 2' "$out"
	err no-such-extent extent.show '{"name":"nope"}'
	err bad-params extent.show '{"name":7}'
	validate
	stop_daemon
}
spaces_cleanup() { common_cleanup; }

atf_test_case intr cleanup
intr_head()
{
	atf_set descr "intr.list, intr.add, intr.set, intr.remove; the" \
	    "source changes recorded as events"
	atf_set require.progs "jq sqlite3"
}
intr_counted()
{
	req intr.list | rpc | jq -e '.result.sources[0].count > 0'
}
intr_everywhere()
{
	req intr.list | rpc | jq -e '[.result.sources[] |
	    select(.name == "all0") | .cpus[] | .count > 0] | length == 4
	    and all'
}
intr_recorded()
{
	[ "$(sql "SELECT count(*) FROM events WHERE type = 'intr' AND subject = 'wm0'")" -ge 4 ]
}
intr_body()
{
	local out

	echo '{"recorder":{"interval":0.05}}' > conf.json
	start_daemon -f conf.json
	ok intr.list
	expect '.result.sources == []' "$out"
	ok intr.add '{"name":"wm0","rate":2000,"ipl":"sched"}'
	expect '.result.source.owner == "daemon" and .result.source.action == "none"' "$out"
	expect '.result.source.ipl == "sched" and .result.source.target == "cpu" and .result.source.cpu == 0' "$out"
	wait_for "arrivals handled on CPU 0" intr_counted
	# With no workload, every CPU takes its interrupts (child-idle.c).
	ok intr.add '{"name":"all0","rate":1000,"target":"all"}'
	wait_for "arrivals handled on each of the 4 CPUs" intr_everywhere
	ok intr.remove '{"name":"all0"}'
	err exists intr.add '{"name":"wm0"}'
	err bad-params intr.add '{"name":"x","ipl":"none"}'
	expect '.error.data.field == "params.ipl"' "$out"
	err bad-params intr.add '{"name":"x","cpu":9}'
	expect '.error.data.field == "params.cpu"' "$out"
	err bad-params intr.add '{"name":"x","action":"alloc"}'
	expect '.error.data.field == "params.action"' "$out"
	err bad-params intr.add '{"name":"x","rate":0}'
	err bad-params intr.add '{"name":"x","distribution":"burst","burst":0}'
	ok intr.add '{"name":"com0","distribution":"burst","burst":4,"rate":10,"target":"all","paused":true}'
	expect '.result.source.paused == true and .result.source.burst == 4 and (.result.source | has("cpu") | not)' "$out"
	ok intr.set '{"name":"wm0","paused":true}'
	expect '.result.source.paused == true' "$out"
	ok intr.set '{"name":"wm0","rate":50,"distribution":"poisson","paused":false}'
	expect '.result.source.rate == 50 and .result.source.distribution == "poisson" and .result.source.paused == false' "$out"
	err no-such-source intr.set '{"name":"nope","rate":1}'
	err bad-params intr.set '{"name":"wm0","target":"some"}'
	ok intr.list
	expect '[.result.sources[].name] == ["wm0","com0"]' "$out"
	ok stats.snapshot '{"sections":["intr","machine"]}'
	expect '(.result.intr | length) == 2 and .result.machine.interrupts > 0' "$out"
	ok intr.remove '{"name":"wm0"}'
	expect '.result.source.name == "wm0"' "$out"
	err no-such-source intr.remove '{"name":"wm0"}'
	wait_for "the source changes in events" intr_recorded
	ok events.list '{"source":"machine"}'
	expect '[.result.events[] | select(.type == "intr" and .subject == "wm0") | .message] | map(select(contains("removed"))) | length == 1' "$out"
	validate
	stop_daemon
}
intr_cleanup() { common_cleanup; }

atf_test_case kmem_panic cleanup
kmem_panic_head()
{
	atf_set descr "a kmem_free of the wrong size on a KMEM_SIZE machine" \
	    "panics it: the panic is in events and history, machine.boot" \
	    "works, and the earlier samples (pool rows included) are intact"
	atf_set require.progs "jq sqlite3"
}
kmem_panic_body()
{
	local out s1 p1 c1

	cat > conf.json <<-'EOF2'
	{ "recorder": { "interval": 0.05 },
	  "machine": { "options": ["KMEM_SIZE"] } }
	EOF2
	start_daemon -f conf.json
	ok pool.create '{"name":"mine","size":48,"cache":true}'
	wait_for "3 samples" samples_at_least 3
	ok debug.kmem_wrongfree '{"size":64}'
	expect '.result.run == 1 and .result.ended == "panic"' "$out"
	expect '.result.message | test("^kmem_free\\(0x[0-9a-f]+, 63\\) != allocated size [0-9]+; overwrote\\?$")' "$out"
	s1=$(sql 'SELECT count(*) FROM samples WHERE run_id = 1')
	p1=$(sql 'SELECT count(*) FROM pool_samples JOIN samples USING (sample_id) WHERE run_id = 1')
	c1=$(sql "SELECT count(*) FROM pool_samples WHERE wchan = 'mine'")
	[ "$c1" -ge 1 ] || atf_fail "no rows of the pool made"
	err machine-down pool.list
	expect '.error.message | contains("kmem_free")' "$out"
	ok events.list '{"run":1}'
	expect '[.result.events[] | select(.type == "panic")] | length == 1' "$out"
	expect '.result.events[] | select(.type == "panic") | .subject == "kmem_wrongfree"' "$out"
	ok history.runs '{"run":1}'
	expect '.result.runs[0].ended == "panic" and (.result.runs[0].message | contains(", 63) != allocated size"))' "$out"
	ok machine.boot
	expect '.result.run == 2' "$out"
	wait_for "samples of run 2" run2_sampled
	[ "$(sql 'SELECT count(*) FROM samples WHERE run_id = 1')" = "$s1" ] ||
	    atf_fail "the samples of run 1 changed"
	[ "$(sql 'SELECT count(*) FROM pool_samples JOIN samples USING (sample_id) WHERE run_id = 1')" = "$p1" ] ||
	    atf_fail "the pool rows of run 1 changed"
	[ "$(sql 'PRAGMA integrity_check')" = ok ] || atf_fail "integrity"
	out=$(req history.export '{"table":"pools","run":1,"name":"mine"}' | rpc)
	expect 'select(has("result")) | .result.rows == '"$c1" "$out"
	ok pool.list
	expect '.result.owned == []' "$out"
	validate
	stop_daemon
}
kmem_panic_cleanup() { common_cleanup; }

atf_test_case exports cleanup
exports_head()
{
	atf_set descr "history.export of the per-object tables: every row" \
	    "of every sample, one object, rows, objects and CSV"
	atf_set require.progs "jq sqlite3"
}
exports_body()
{
	local out n np nc rows csv

	echo '{"recorder":{"interval":0.05}}' > conf.json
	start_daemon -f conf.json
	wait_for "4 samples" samples_at_least 4
	ok machine.shutdown
	n=$(sql 'SELECT count(*) FROM samples')
	np=$(sql 'SELECT count(*) FROM pool_samples')
	nc=$(sql 'SELECT count(*) FROM cache_samples')
	[ $((np % n)) -eq 0 ] && [ $np -gt 0 ] || atf_fail "$np pool rows for $n samples"
	out=$(req history.export '{"table":"pools","chunk":7}' | rpc)
	rows=$(echo "$out" | jq -s '[.[] | select(.method == "history.chunk") | .params.rows | length] | add')
	[ "$rows" -eq "$np" ] || atf_fail "pools: $rows rows, $np in the table"
	expect 'select(has("result")) | .result.columns[0:5] == ["sample","run","time","uptime_ns","wchan"]' "$out"
	out=$(req history.export '{"table":"pools","name":"kmem-00064"}' | rpc)
	expect 'select(has("result")) | .result.rows == '"$n" "$out"
	out=$(req history.export '{"table":"caches","name":"kmem-00064","format":"objects"}' | rpc)
	expect 'select(has("result")) | .result.rows == '"$((n * 4))" "$out"
	expects '[.[] | select(.method == "history.chunk")][0].params.rows[0] | .wchan == "kmem-00064" and .cpu == 0' "$out"
	out=$(req history.export '{"table":"caches"}' | rpc)
	expect 'select(has("result")) | .result.rows == '"$nc" "$out"
	out=$(req history.export '{"table":"vmem","format":"objects"}' | rpc)
	expects '[.[] | select(.method == "history.chunk") | .params.rows[] | select(.name == "kmem") | .freelist | type] | unique == ["array"]' "$out"
	out=$(req history.export '{"table":"extents","name":"ioport"}' | rpc)
	expect 'select(has("result")) | .result.rows == '"$n" "$out"
	out=$(req history.export '{"table":"pools","format":"csv","chunk":50}' | rpc)
	echo "$out" | jq -r 'select(.method == "history.chunk") | .params.csv' | tr -d '\r' | sed '/^$/d' > export.csv
	head -1 export.csv | grep -q '^sample,run,time,uptime_ns,wchan,flags,size,' ||
	    atf_fail "csv header: $(head -1 export.csv)"
	[ "$(($(wc -l < export.csv) - 1))" -eq "$np" ] || atf_fail "csv rows"
	$py -c 'import csv, sys; r = list(csv.reader(open(sys.argv[1]))); assert all(len(x) == len(r[0]) for x in r), "ragged"' export.csv ||
	    atf_fail "the CSV does not parse"
	out=$(req history.export '{"table":"machine","format":"csv"}' | rpc)
	expect 'select(has("result")) | .result.format == "csv" and .result.rows == '"$n" "$out"
	err bad-params history.export '{"format":"xml"}'
	expect '.error.data.field == "params.format"' "$out"
	err bad-params history.export '{"table":"machine","name":"kmem"}'
	expect '.error.data.field == "params.name"' "$out"
	validate
	stop_daemon
}
exports_cleanup() { common_cleanup; }

atf_test_case migrate cleanup
migrate_head()
{
	atf_set descr "a version 1 database (machine counters only) is" \
	    "migrated to version 2 once, its samples kept, and the new" \
	    "samples have pool rows"
	atf_set require.progs "jq sqlite3"
}
migrate_body()
{
	local out

	mkdir -m 0700 db
	sqlite3 db/nbmemd.db "PRAGMA journal_mode = WAL;
	    $(cat "$top/schema/0001-initial.sql")
	    ALTER TABLE machine_samples ADD COLUMN free INTEGER;
	    INSERT INTO runs (start_time, end_time, ended, seed, ncpu,
	        page_size, physmem, pid, config)
	        VALUES (1000, 1010, 'shutdown', 0, 4, 4096, 268435456, 1, '{}');
	    INSERT INTO samples (run_id, time, uptime_ns) VALUES (1, 1001, 1);
	    INSERT INTO machine_samples (sample_id, free) VALUES (1, 77);
	    PRAGMA user_version = 1; PRAGMA application_id = 1312968004;" \
	    > /dev/null
	echo '{"recorder":{"interval":0.05}}' > conf.json
	start_daemon -f conf.json
	grep -q 'migrated to schema version 2 (0002-objects.sql)' daemon.log ||
	    atf_fail "not migrated: $(cat daemon.log)"
	[ "$(sql 'PRAGMA user_version')" = 2 ] || atf_fail "user_version"
	[ "$(sql 'SELECT free FROM machine_samples WHERE sample_id = 1')" = 77 ] ||
	    atf_fail "the old sample changed"
	wait_for "samples of run 2" run2_sampled
	[ "$(sql "SELECT count(*) FROM pool_samples p JOIN samples s USING (sample_id) WHERE s.run_id = 2 AND p.wchan = 'kmem-00064'")" -ge 2 ] ||
	    atf_fail "no pool rows"
	stop_daemon
	start_daemon -f conf.json
	[ "$(grep -c 'migrated to schema version' daemon.log)" = 1 ] ||
	    atf_fail "migrated twice"
	[ "$(sql 'PRAGMA integrity_check')" = ok ] || atf_fail "integrity"
	stop_daemon
}
migrate_cleanup() { common_cleanup; }

atf_test_case workload cleanup
workload_head()
{
	atf_set descr "workload.list, workload.start (a built-in, a JSON" \
	    "description), workload.status, workload.stop; requests served" \
	    "while it runs, samples recorded, CPU requests busy"
	atf_set require.progs "jq sqlite3"
}
wl_state_is()
{
	req workload.status | rpc | jq -e ".result.state == \"$1\""
}
samples_after()
{
	[ "$(sql "SELECT count(*) FROM samples WHERE sample_id > $1")" -ge 3 ]
}
workload_body()
{
	local out n

	echo '{"recorder":{"interval":0.05}}' > conf.json
	start_daemon -f conf.json
	ok workload.list
	expect '[.result.workloads[].name] | index("mixed") != null' "$out"
	expect '.result.current.state == "none"' "$out"
	ok workload.status
	expect '.result.state == "none"' "$out"
	err no-workload workload.stop

	# The README's path: mixed, its progress, then the tables.
	ok workload.start '{"name":"mixed","ops":20000,"seed":3}'
	expect '.result.name == "mixed" and .result.counters.remaining_ops <= 20000' "$out"
	wait_for "mixed to end" wl_state_is done
	ok workload.status
	expect '.result.ops == 20000 and .result.counters.live == 0' "$out"
	expect '.result.progress == 1 and .result.elapsed > 0 and .result.rate > 0' "$out"
	expect '.result.counters.allocs == .result.counters.frees' "$out"
	ok kmem.stats
	expect '([.result.classes[].nget] | add) > 0' "$out"
	ok cache.list
	expect '([.result.cpus[].hits] | add) > 0' "$out"
	# Idle again, the other CPUs have host threads (for interrupts), and
	# an invalidation still empties every CPU's cache layer at once.
	ok cache.show '{"name":"wl-cache"}'
	expect '.result.pool.nout > 0 and ([.result.cpus[] |
	    select(.hits > 0)] | length) == 4' "$out"
	ok cache.invalidate '{"name":"wl-cache"}'
	expect '.result.pool.nout == 0 and .result.pool.cache_nfull == 0' \
	    "$out"

	# A description; errors name the member.
	ok workload.start '{"workload":{"name":"mine","sources":[{"kind":"pool_cache","name":"wlp","size":128,"life":1000},{"kind":"kmem","sizes":{"dist":"uniform","min":16,"max":512}}],"ops":[{"op":"alloc","source":0,"weight":3},{"op":"allocfree","source":1}],"stop":{"ops":5000}}}'
	expect '.result.name == "mine"' "$out"
	wait_for "mine to end" wl_state_is done
	ok pool.show '{"name":"wlp"}'
	expect '.result.pool.nget > 0 and .result.cache.groupsize == 15' "$out"
	err bad-params workload.start '{"workload":{"sources":[{"kind":"bogus"}]}}'
	expect '.error.data.field == "params.workload.sources[0].kind"' "$out"
	expect '.error.message | contains("accepted: kmem, pool, pool_cache, vmem, extent, device")' "$out"
	err bad-params workload.start '{"workload":{"sources":[{"kind":"kmem","colour":1}]}}'
	expect '.error.data.field == "params.workload.sources[0].colour"' "$out"
	err bad-params workload.start '{"workload":{"sources":[{"kind":"pool","name":"x","size":64,"align":48}]}}'
	expect '.error.data.field | startswith("params.workload.sources[0].align")' "$out"
	err bad-params workload.start '{"name":"nope"}'
	expect '.error.data.field == "params.name"' "$out"
	err bad-params workload.start '{"name":"mixed","params":{"bogus":1}}'
	err bad-params workload.start '{"name":"mixed","cpus":9}'
	err bad-params workload.start '{"ops":5}'

	# A long run: reads are served, samples recorded, CPU work refused.
	ok workload.start '{"name":"mixed","duration":60}'
	expect '.result.state == "running"' "$out"
	n=$(sql 'SELECT coalesce(max(sample_id), 0) FROM samples')
	wait_for "samples during the run" samples_after $n
	ok pool.list
	ok stats.snapshot '{"sections":["machine","pools"]}'
	ok vmem.show '{"name":"kmem"}'
	err busy pool.create '{"name":"late","size":64}'
	expect '.error.message | contains("workload")' "$out"
	err busy workload.start '{"name":"mixed"}'
	ok workload.status
	expect '.result.state == "running" and .result.ops > 0 and .result.progress < 1' "$out"
	ok workload.stop '{"wait":true}'
	expect '.result.state == "stopped" and .result.counters.live == 0' "$out"
	ok pool.create '{"name":"late","size":64}'
	wait_for "the workload events" sh -c "[ \$(sqlite3 '$PWD/db/nbmemd.db' \"SELECT count(*) FROM events WHERE type = 'workload'\") -ge 6 ]"
	ok events.list '{"source":"machine"}'
	expect '[.result.events[] | select(.type == "workload" and .subject == "mixed")] | length >= 4' "$out"

	# A panic while a workload runs ends the run like any panic.
	ok workload.start '{"name":"mixed","duration":60}'
	ok debug.panic '{"message":"t_nbmemd: panic during a workload"}'
	expect '.result.ended == "panic"' "$out"
	ok machine.boot
	ok workload.status
	expect '.result.state == "none"' "$out"
	validate
	stop_daemon
}
workload_cleanup() { common_cleanup; }

atf_test_case trace cleanup
trace_head()
{
	atf_set descr "trace.start traces a run (given, or the next one)," \
	    "trace.stop hands the trace over, trace.replay replays it"
	atf_set require.progs "jq"
}
trace_body()
{
	local out lines

	start_daemon
	err no-workload trace.stop
	# The run ends by itself ("finish"), so the trace holds all of it.
	out=$( (req trace.start '{"name":"mixed","ops":3000,"threads":1}'
	    req trace.stop '{"finish":true}') | rpc)
	expects '[.[] | select(has("result"))][0].result.trace == 1' "$out"
	expects '[.[] | select(has("result"))][1].result | .state == "done" and .id == 1 and .ops == 3000 and .dropped == 0' "$out"
	echo "$out" | jq -s -r '[.[] | select(has("result"))][1].result.trace' |
	    sed '/^$/d' > trace.nd
	lines=$(echo "$out" | jq -s '[.[] | select(has("result"))][1].result.lines')
	[ "$(wc -l < trace.nd)" -eq "$lines" ] ||
	    atf_fail "trace: $(wc -l < trace.nd) lines, trace.stop says $lines"
	head -1 trace.nd | jq -e '.trace == "nbmem" and .workload == "mixed"' \
	    >/dev/null || atf_fail "first line: $(head -1 trace.nd)"
	tail -1 trace.nd | jq -e '.op == "end"' >/dev/null ||
	    atf_fail "last line: $(tail -1 trace.nd)"

	# Armed, then the next run is traced (nbmemctl trace record, run).
	ok trace.start
	expect '.result.armed == 2 and .result.trace == 2' "$out"
	ok workload.start '{"name":"kmem-sizes","ops":500,"threads":1}'
	expect '.result.trace == 2' "$out"
	wait_for "the traced run to end" wl_state_is done
	ok trace.stop
	expect '.result.id == 2 and (.result.trace | split("\n") | length) > 10' "$out"
	ok trace.start
	ok trace.stop
	expect '.result.trace == "" and .result.lines == 0' "$out"

	# Back in chunks of at most 256 KiB (a request line is at most 1 MiB).
	$py -c 'import json, sys
l = [x.rstrip("\n") for x in open(sys.argv[1])]
parts, cur, size = [], [], 0
for x in l:
    if cur and size + len(x) > 262144:
        parts.append(cur); cur, size = [], 0
    cur.append(x); size += len(x) + 4
parts.append(cur)
for n, part in enumerate(parts):
    print(json.dumps({"jsonrpc": "2.0", "id": 9000 + n, "method": "trace.replay",
        "params": {"lines": part, "more": n < len(parts) - 1}}))' trace.nd > replay.in
	[ "$(wc -l < replay.in)" -ge 2 ] || atf_fail "a trace of one chunk"
	out=$(rpc < replay.in)
	expects '[.[] | select(has("result"))][0].result.loaded > 0' "$out"
	expects '[.[] | select(has("result"))][-1].result | .name == "replay" and .loaded > 0' "$out"
	wait_for "the replay to end" wl_state_is done
	# As text, the way trace.stop gave it (the first 200 lines).
	out=$(head -200 trace.nd | $py -c 'import json, sys
print(json.dumps({"jsonrpc": "2.0", "id": 9100, "method": "trace.replay",
    "params": {"trace": sys.stdin.read()}}))' | rpc)
	expect '.result.name == "replay" and .result.loaded > 0' "$out"
	wait_for "the second replay to end" wl_state_is done
	err bad-params trace.replay '{"lines":["{bad"]}'
	expect '.error.data.field == "params.lines[0]"' "$out"
	err bad-params trace.replay '{"trace":"\n{bad\n"}'
	expect '.error.data.field == "params.trace" and (.error.message | contains("line 1"))' "$out"
	err bad-params trace.replay '{"trace":"","cpus":2}'
	expect '.error.data.field == "params.cpus"' "$out"
	err no-workload trace.stop '{"id":99}'
	validate
	stop_daemon
}
trace_cleanup() { common_cleanup; }

atf_test_case crash_hang cleanup
crash_hang_head()
{
	atf_set descr "a crashed machine process (signal name recorded) and" \
	    "a hung one (killed after supervisor.timeout)"
	atf_set require.progs "jq sqlite3"
}
crash_hang_body()
{
	local out

	cat > conf.json <<-'EOF2'
	{ "supervisor": { "timeout": 1 } }
	EOF2
	start_daemon -f conf.json
	ok debug.crash
	expect '.result.ended == "crash" and .result.message == "killed by signal SIGSEGV"' "$out"
	ok machine.info
	expect '.result.state == "down" and .result.last.ended == "crash"' "$out"
	ok machine.boot
	ok debug.hang
	expect '.result.run == 2 and .result.ended == "hung"' "$out"
	expect '.result.message | contains("no answer")' "$out"
	grep -q 'hung: no answer to "hang" within 1 s' daemon.log ||
	    atf_fail "the hang is not in the log"
	[ "$(sql "SELECT group_concat(ended, ',') FROM runs ORDER BY run_id")" = \
	    "crash,hung" ] || atf_fail "runs: $(sql 'SELECT * FROM runs')"
	ok machine.boot
	ok stats.snapshot
	validate
	stop_daemon
}
crash_hang_cleanup() { common_cleanup; }

atf_test_case kill9 cleanup
kill9_head()
{
	atf_set descr "kill -9 while recording every 10 ms: the database" \
	    "passes integrity_check and holds every committed sample; the" \
	    "next daemon marks the run lost"
	atf_set require.progs "jq sqlite3"
}
kill9_body()
{
	local n n0 i out

	cat > conf.json <<-'EOF2'
	{ "recorder": { "interval": 0.01 } }
	EOF2
	start_daemon noboot -f conf.json
	wait_state up
	i=0
	while [ $i -lt 10 ]; do
		ok pool.create "{\"name\":\"k$i\",\"size\":$((32 + i * 8))}"
		i=$((i + 1))
	done
	# Samples after n0 have the pools k0..k9.
	n0=$(sql 'SELECT coalesce(max(sample_id), 0) FROM samples')
	wait_for "50 samples" samples_at_least $((n0 + 50))
	# Whatever another connection can read is committed.
	n=$(sql 'SELECT max(sample_id) FROM samples')
	kill -KILL "$(daemon_pid)"
	wait "$(daemon_pid)"
	rm -f daemon.pid
	[ "$(sql 'PRAGMA integrity_check')" = ok ] ||
	    atf_fail "integrity_check: $(sql 'PRAGMA integrity_check')"
	[ "$(sql "SELECT count(*) FROM samples WHERE sample_id <= $n")" = "$n" ] ||
	    atf_fail "committed samples lost"
	[ "$(sql "SELECT count(*) FROM machine_samples WHERE sample_id <= $n")" = "$n" ] ||
	    atf_fail "committed machine rows lost"
	# Every committed sample has all its pool rows (one per pool, the
	# pools made before the first sample included).
	[ "$(sql "SELECT count(DISTINCT sample_id) FROM pool_samples WHERE sample_id <= $n")" = "$n" ] ||
	    atf_fail "committed pool rows lost"
	[ "$(sql "SELECT count(DISTINCT c) FROM (SELECT count(*) AS c FROM pool_samples WHERE sample_id > $n0 AND sample_id <= $n GROUP BY sample_id)")" = 1 ] ||
	    atf_fail "a committed sample lacks pool rows"
	[ "$(sql "SELECT count(*) FROM pool_samples WHERE wchan = 'k9' AND sample_id > $n0 AND sample_id <= $n")" = "$((n - n0))" ] ||
	    atf_fail "rows of pool k9 lost"
	[ "$(sql "SELECT count(DISTINCT sample_id) FROM cache_samples WHERE sample_id <= $n")" = "$n" ] ||
	    atf_fail "committed cache rows lost"
	start_daemon -f conf.json
	[ "$(sql 'SELECT ended FROM runs WHERE run_id = 1')" = lost ] ||
	    atf_fail "run 1 not marked lost"
	grep -q 'marked lost' daemon.log || atf_fail "not logged"
	stop_daemon
	[ "$(sql 'PRAGMA integrity_check')" = ok ] || atf_fail "integrity"
}
kill9_cleanup() { common_cleanup; }

atf_test_case sigterm cleanup
sigterm_head()
{
	atf_set descr "SIGTERM: the sockets are removed, the run ends" \
	    "daemon-stop, the database is closed cleanly; exit 0"
	atf_set require.progs "jq sqlite3"
}
sigterm_body()
{
	start_daemon -r "$PWD/run/ro.sock"
	wait_for "a sample" samples_at_least 1
	stop_daemon
	[ ! -e run/sock ] || atf_fail "run/sock left behind"
	[ ! -e run/ro.sock ] || atf_fail "run/ro.sock left behind"
	[ ! -s db/nbmemd.db-wal ] || atf_fail "the WAL was not checkpointed"
	[ "$(sql 'SELECT ended FROM runs')" = daemon-stop ] ||
	    atf_fail "runs: $(sql 'SELECT * FROM runs')"
	[ "$(sql 'PRAGMA integrity_check')" = ok ] || atf_fail "integrity"
	grep -q 'stopping: SIGTERM' daemon.log || atf_fail "not logged"
}
sigterm_cleanup() { common_cleanup; }

atf_test_case daemon_shutdown cleanup
daemon_shutdown_head()
{
	atf_set descr "daemon.shutdown answers, then stops the daemon"
	atf_set require.progs "jq"
}
daemon_shutdown_body()
{
	local out pid st

	start_daemon
	pid=$(daemon_pid)
	ok daemon.shutdown
	expect '.result.stopping == true' "$out"
	wait "$pid"
	st=$?
	rm -f daemon.pid
	[ $st -eq 0 ] || atf_fail "exit status $st"
	[ ! -e run/sock ] || atf_fail "socket left behind"
	check_log
	validate
}
daemon_shutdown_cleanup() { common_cleanup; }

atf_test_case config cleanup
config_head()
{
	atf_set descr "bad configurations exit non-zero naming the field;" \
	    "-n checks configuration and database; the example machines" \
	    "pass -n and the schema; refused sockets and databases"
	atf_set require.progs "jq sqlite3"
}
# bad_config JSON PATTERN: nbmemd -n -f refuses JSON, saying PATTERN.
bad_config()
{
	echo "$1" > bad.json
	atf_check -s exit:1 -e match:"$2" "$nbmemd" -n -f bad.json \
	    -s "$PWD/run/sock" -D "$PWD/db/nbmemd.db"
}
config_body()
{
	local f

	mkdir -m 0700 run
	bad_config '{"machine":{"ncpu":"four"}}' \
	    'bad.json: machine.ncpu: must be an integer'
	bad_config '{"machine":{"ncpu":0}}' 'machine.ncpu 0: must be between'
	bad_config '{"machine":{"page_size":3000}}' \
	    'machine.page_size 3000: must be a power of two'
	bad_config '{"machine":{"mode":"fast"}}' \
	    'machine.mode: must be "parallel" or "deterministic"'
	bad_config '{"machine":{"memmap":[{"start":0,"size":"1M"}]}}' \
	    'machine.memmap\[0\]: must have start, size and type'
	bad_config '{"machine":{"memmap":[{"start":0,"size":"1M","type":"rom"}]}}' \
	    'machine.memmap\[0\].type: must be one of'
	bad_config '{"recorder":{"interval":0.001}}' \
	    'recorder.interval: must be a number of seconds between 0.01'
	bad_config '{"recorder":{"retention":{"max_size":1000}}}' \
	    'recorder.retention.max_size: must be 0'
	bad_config '{"sockets":{"control":"relative/sock"}}' \
	    'sockets.control: must be an absolute path'
	bad_config '{"metrics":{"listen":"192.0.2.1:9100"}}' \
	    'metrics.listen: .*must be a loopback address'
	bad_config '{"colour":"blue"}' \
	    'colour: unknown key; accepted: machine, supervisor, recorder'
	bad_config '{"machine":' 'bad.json: invalid JSON'
	atf_check -s exit:1 -e match:'-m .*loopback' "$nbmemd" -n \
	    -m 8.8.8.8:80 -s "$PWD/run/sock" -D "$PWD/db/nbmemd.db"
	atf_check -s exit:1 -e match:'No such file' "$nbmemd" -n \
	    -f nonexistent.json -s "$PWD/run/sock"
	atf_check -s exit:2 -e match:usage "$nbmemd" -x

	# Good ones, and the examples.
	echo '{"machine":{"ncpu":2,"physmem":"64M"},"recorder":{"interval":0.5}}' > good.json
	atf_check -s exit:0 -e match:'configuration OK' "$nbmemd" -n \
	    -f good.json -s "$PWD/run/sock" -D "$PWD/db/nbmemd.db"
	[ ! -e db/nbmemd.db ] || atf_fail "-n created the database"
	for f in "$top"/contrib/machines/*.json; do
		atf_check -s exit:0 -e match:'configuration OK' "$nbmemd" -n \
		    -f "$f" -s "$PWD/run/sock" -D "$PWD/db/nbmemd.db"
		$py -c 'import json, sys, jsonschema
s = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator(s).validate(c)' \
		    "$top/schema/config.schema.json" "$f" ||
		    atf_fail "$f does not match config.schema.json"
	done

	# A database from a newer nbmemd, and one that is not nbmemd's.
	mkdir db
	sqlite3 db/new.db 'PRAGMA application_id = 1312968004; PRAGMA user_version = 99; CREATE TABLE t (x);'
	atf_check -s exit:1 -e match:'schema version 99 is newer' "$nbmemd" \
	    -n -s "$PWD/run/sock" -D "$PWD/db/new.db"
	atf_check -s exit:1 -e match:'schema version 99 is newer' "$nbmemd" \
	    -d -s "$PWD/run/sock" -D "$PWD/db/new.db"
	sqlite3 db/other.db 'CREATE TABLE t (x);'
	atf_check -s exit:1 -e match:'not an nbmemd database' "$nbmemd" \
	    -d -s "$PWD/run/sock" -D "$PWD/db/other.db"

	# A socket directory others may enter; a socket in use; a database
	# in use.
	mkdir -m 0755 open
	atf_check -s exit:1 -e match:'must be a directory of uid .* mode 0700' \
	    "$nbmemd" -d -s "$PWD/open/sock" -D "$PWD/db/nbmemd.db"
	start_daemon
	atf_check -s exit:1 -e match:'in use by a running nbmemd' "$nbmemd" \
	    -d -s "$sock" -D "$PWD/db/other2.db"
	atf_check -s exit:1 -e match:'in use by another nbmemd' "$nbmemd" \
	    -d -s "$PWD/run/sock2" -D "$PWD/db/nbmemd.db"
	atf_check -s exit:0 -e match:'configuration OK' "$nbmemd" -n \
	    -s "$PWD/run/sock2" -D "$PWD/db/nbmemd.db"
	stop_daemon
}
config_cleanup() { common_cleanup; }

atf_test_case sighup cleanup
sighup_head()
{
	atf_set descr "SIGHUP reloads the configuration; a bad one is" \
	    "refused and the running one stays"
	atf_set require.progs "jq"
}
sighup_body()
{
	local out

	echo '{"machine":{"ncpu":2}}' > conf.json
	start_daemon -f "$PWD/conf.json"
	echo '{"machine":{"ncpu":"x"}}' > conf.json
	kill -HUP "$(daemon_pid)"
	wait_for "the refusal" grep -q 'the running configuration stays' daemon.log
	ok machine.config
	expect '.result.configured.ncpu == 2' "$out"
	echo '{"machine":{"ncpu":3},"metrics":{"listen":"127.0.0.1:0"}}' > conf.json
	kill -HUP "$(daemon_pid)"
	wait_for "the reload" grep -q 'configuration reloaded' daemon.log
	grep -q 'metrics.listen changed; restart' daemon.log ||
	    atf_fail "the socket change was not refused"
	ok machine.config
	expect '.result.configured.ncpu == 3 and .result.running.ncpu == 2' "$out"
	ok machine.boot '{"replace":true}'
	expect '.result.config.ncpu == 3' "$out"
	validate
	stop_daemon
}
sighup_cleanup() { common_cleanup; }

atf_test_case metrics cleanup
metrics_head()
{
	atf_set descr "-m: /metrics in the OpenMetrics text format"
	atf_set require.progs "jq sqlite3"
}
metrics_body()
{
	local addr out

	echo '{"recorder":{"interval":0.05}}' > conf.json
	start_daemon -f conf.json -m 127.0.0.1:0
	ok intr.add '{"name":"wm0","rate":10}'
	wait_for "a sample" samples_at_least \
	    $(($(sql 'SELECT count(*) FROM samples') + 2))
	addr=$(sed -n 's/.*metrics: listening on //p' daemon.log)
	"$h_rpc" -H "$addr" > metrics.out || atf_fail "GET /metrics failed"
	tr -d '\r' < metrics.out > m
	grep -q '^HTTP/1.[01] 200' m || atf_fail "status: $(head -1 m)"
	grep -qi '^content-type: application/openmetrics-text; version=1.0.0' m ||
	    atf_fail "content type"
	grep -q '^nbmem_machine_up 1$' m || atf_fail "nbmem_machine_up"
	grep -q '^# TYPE nbmem_machine_free gauge$' m || atf_fail "free TYPE"
	grep -q '^nbmem_machine_free{run="1"} [0-9][0-9]*$' m || atf_fail "free"
	grep -q '^# TYPE nbmem_machine_faults counter$' m || atf_fail "faults TYPE"
	grep -q '^nbmem_machine_faults_total{run="1"} [0-9]*$' m ||
	    atf_fail "faults_total"
	grep -q '^# TYPE nbmem_pool_nget counter$' m || atf_fail "nget TYPE"
	grep -q '^nbmem_pool_nget_total{run="1",pool="kmem-00064"} [0-9]*$' m ||
	    atf_fail "nbmem_pool_nget_total of kmem-00064"
	grep -q '^nbmem_pool_nout{run="1",pool="kmem-00064"} [0-9]*$' m ||
	    atf_fail "nbmem_pool_nout"
	grep -q '^nbmem_pool_flags{run="1",pool="kmem-00064"} [0-9]*$' m ||
	    atf_fail "nbmem_pool_flags"
	grep -q '^nbmem_cache_hits_total{run="1",pool="kmem-00064",cpu="3"} [0-9]*$' m ||
	    atf_fail "nbmem_cache_hits_total"
	grep -q '^nbmem_vmem_inuse{run="1",arena="kmem"} [0-9]*$' m ||
	    atf_fail "nbmem_vmem_inuse"
	grep -q '^nbmem_vmem_freelist{run="1",arena="kmem",order="[0-9]*"} [0-9]*$' m ||
	    atf_fail "nbmem_vmem_freelist"
	grep -q '^nbmem_extent_allocated{run="1",extent="ioport"} [0-9]*$' m ||
	    atf_fail "nbmem_extent_allocated"
	grep -q '^nbmem_intr_count_total{run="1",source="wm0"} [0-9]*$' m ||
	    atf_fail "nbmem_intr_count_total"
	[ "$(grep -c '^# TYPE nbmem_pool_nget ' m)" = 1 ] ||
	    atf_fail "a family declared twice"
	grep -q '^nbmem_recorder_samples_total [1-9]' m || atf_fail "samples"
	[ "$(tail -1 m)" = "# EOF" ] || atf_fail "no # EOF at the end"
	"$h_rpc" -H "$addr" /nope | grep -q '^HTTP/1.[01] 404' ||
	    atf_fail "/nope is not 404"
	stop_daemon
}
metrics_cleanup() { common_cleanup; }

atf_test_case retention cleanup
retention_head()
{
	atf_set descr "recorder.retention: old samples go by age, the" \
	    "oldest by size, in steps, while sampling goes on"
	atf_set require.progs "jq sqlite3"
}
db_used()
{
	sql 'SELECT (p.page_count - f.freelist_count) * s.page_size FROM
	    pragma_page_count p, pragma_freelist_count f, pragma_page_size s'
}
used_below()
{
	[ "$(db_used)" -le "$1" ]
}
sampled_at_least()
{
	[ "$(sql 'SELECT coalesce(max(sample_id), 0) FROM samples')" -ge "$1" ]
}
oldest_after()
{
	[ "$(sql "SELECT min(time) >= $1 FROM samples")" = 1 ]
}
new_samples()
{
	[ "$(sql 'SELECT count(*) FROM samples WHERE time > 1000')" -ge 1 ]
}

# no_orphans: the per-object rows went with their samples, and there are
# rows of the samples kept.
no_orphans()
{
	local t

	for t in machine_samples pool_samples cache_samples vmem_samples \
	    extent_samples; do
		[ "$(sql "SELECT count(*) FROM $t WHERE sample_id NOT IN (SELECT sample_id FROM samples)")" = 0 ] ||
		    atf_fail "$t: rows of deleted samples"
	done
	[ "$(sql 'SELECT count(*) FROM pool_samples')" -gt 0 ] ||
	    atf_fail "no pool rows kept"
}
retention_body()
{
	local t0 size0 n

	# By age: samples every 20 ms, kept for 0.5 s.
	echo '{"recorder":{"interval":0.02,"retention":{"max_age":0.5}}}' \
	    > age.json
	start_daemon -f age.json
	wait_for "50 samples taken" sampled_at_least 50
	t0=$(date +%s.%N)
	wait_for "samples older than 0.5 s to go" oldest_after "$t0 - 0.6"
	n=$(sql 'SELECT count(*) FROM samples')
	[ "$n" -le 60 ] || atf_fail "$n samples kept for 0.5 s at 20 ms"
	samples_at_least 5 || atf_fail "retention took the recent samples"
	no_orphans
	stop_daemon

	# By size: a history of 30000 samples, then a 1 MiB limit.
	sql "INSERT INTO runs (start_time, end_time, ended, seed, ncpu,
	    page_size, physmem, pid, config) VALUES (1, 2, 'shutdown', 0, 1,
	    4096, 4194304, 1, '{}');
	    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
	    WHERE i < 30000) INSERT INTO samples (run_id, time, uptime_ns)
	    SELECT last_insert_rowid(), 1 + i / 1000.0, i FROM n;
	    INSERT INTO machine_samples (sample_id, free, wired) SELECT
	    sample_id, 1000, 2000 FROM samples WHERE uptime_ns > 0 AND
	    time < 100"
	size0=$(db_used)
	n=$(sql 'SELECT max(sample_id) FROM samples WHERE time < 100')
	[ "$size0" -gt 1048576 ] || atf_fail "the history is only $size0 bytes"
	# A slow interval: the new samples (a row per pool each) must stay
	# far below the limit, or they alone would push every old one out.
	echo '{"recorder":{"interval":0.5,"retention":{"max_size":"1M"}}}' \
	    > size.json
	start_daemon -f size.json
	wait_for "the database to shrink to 1 MiB" used_below 1048576
	wait_for "a new sample" new_samples
	[ "$(sql 'SELECT max(sample_id) FROM samples WHERE time < 100')" = "$n" ] ||
	    atf_fail "retention did not keep the newest old samples"
	[ "$(stat -c %s db/nbmemd.db)" -lt "$size0" ] ||
	    atf_fail "the file did not shrink (incremental_vacuum)"
	no_orphans
	stop_daemon
	[ "$(sql 'PRAGMA integrity_check')" = ok ] || atf_fail "integrity"
}
retention_cleanup() { common_cleanup; }

atf_test_case examples cleanup
examples_head()
{
	atf_set descr "the small example machines of contrib/machines boot"
	atf_set require.progs "jq"
}
examples_body()
{
	local f out

	start_daemon
	for f in i386-small sparc64; do
		ok machine.boot "$(jq -c '{replace: true, config: .machine}' \
		    "$top/contrib/machines/$f.json")"
		ok machine.info
		expect ".result.config.ncpu == $(jq .machine.ncpu \
		    "$top/contrib/machines/$f.json")" "$out"
		ok stats.snapshot
		expect ".result.machine.pagesize == $(jq .machine.page_size \
		    "$top/contrib/machines/$f.json")" "$out"
	done
	validate
	stop_daemon
}
examples_cleanup() { common_cleanup; }

atf_init_test_cases()
{
	atf_add_test_case hello
	atf_add_test_case machine
	atf_add_test_case stats
	atf_add_test_case history
	atf_add_test_case malformed
	atf_add_test_case readonly
	atf_add_test_case concurrent
	atf_add_test_case panic
	atf_add_test_case pools
	atf_add_test_case spaces
	atf_add_test_case intr
	atf_add_test_case kmem_panic
	atf_add_test_case exports
	atf_add_test_case migrate
	atf_add_test_case workload
	atf_add_test_case trace
	atf_add_test_case crash_hang
	atf_add_test_case kill9
	atf_add_test_case sigterm
	atf_add_test_case daemon_shutdown
	atf_add_test_case config
	atf_add_test_case sighup
	atf_add_test_case metrics
	atf_add_test_case retention
	atf_add_test_case examples
}
