#! /usr/bin/env atf-sh
# t_nbmemctl.sh: nbmemctl's grammar, exit statuses and messages, and the
# commands that read and change the machine, against a real nbmemd
# (tests/cli/h_cli.sh starts a private one).  Golden output is
# t_golden.sh's; export, plot and diff are t_history.sh's; the live view
# is t_top.sh's.

srcdir=$(atf_get_srcdir)
top=$(cd "$srcdir/../../.." && pwd)
. "$top/tests/cli/h_cli.sh"

# ------------------------------------------------------------ grammar

atf_test_case grammar_help
grammar_help_head()
{
	atf_set descr "help lists every command with its arguments, built" \
	    "from the token tables; no command is a usage error"
}
grammar_help_body()
{
	local c

	run 0 help
	for c in "show machine" "show pools [POOL]" "show caches [POOL]" \
	    "show kmem" "show vmem [ARENA]" "show extent [EXTENT]" \
	    "show intr" "show events" "vmstat [-CmvW] [-c count] [-w wait]" \
	    "run WORKLOAD|FILE [--cpus N] [--duration T] [--ops N]" \
	    "workload list" "workload show" "workload stop" \
	    "machine info" "machine boot [CONFIG] [--ncpu N]" \
	    "machine shutdown" "pool create POOL SIZE" "pool destroy POOL" \
	    "pool setlowat POOL N" "pool sethiwat POOL N" \
	    "pool sethardlimit POOL N" "pool prime POOL N" \
	    "pool reclaim POOL" "intr list" "intr add SOURCE" \
	    "intr set SOURCE" "intr remove SOURCE" "trace record" \
	    "trace stop" "trace replay FILE" "history runs" \
	    "history export [--run RUN]" "--format csv|json|ndjson" \
	    "history plot" "history diff RUN_A RUN_B" "top" "ping"; do
		contains "help" "$out" "$c"
	done
	echo "$out" | awk 'length > 79 { exit 1 }' ||
	    fail "help has lines longer than 79 columns"
	run 2
	contains "no command" "$err" "usage: nbmemctl" "show machine"
	run 0 -h
	contains "-h" "$out" "usage: nbmemctl"
	run 2 -x show machine
	contains "-x" "$err" "usage: nbmemctl"
	run 2 -s "" ping
	contains "-s ''" "$err" "-s: empty path"
}

atf_test_case grammar_words
grammar_words_head()
{
	atf_set descr "a missing, unknown or ambiguous word is a usage error" \
	    "(exit 2) that prints the valid continuations"
}
grammar_words_body()
{
	run 2 show
	contains "show" "$err" '"nbmemctl show" is incomplete' \
	    "machine" "pools [POOL]" "vmem [ARENA]" "events [--run RUN]"
	run 2 show frobs
	contains "show frobs" "$err" 'unknown word "frobs" after' \
	    '"nbmemctl show"' "valid here" "caches [POOL]"
	run 2 p
	contains "p" "$err" '"p" after "nbmemctl" is ambiguous' \
	    "pool or ping" "type more"
	run 2 t
	contains "t" "$err" "trace or top"
	run 2 machine
	contains "machine" "$err" "info" "boot [CONFIG]" "shutdown"
	run 2 pool create
	contains "pool create" "$err" "POOL" "the new pool's name"
	run 2 pool create p1
	contains "pool create p1" "$err" '"nbmemctl pool create" is' "SIZE"
	run 2 history diff 1
	contains "history diff 1" "$err" "RUN_B"
	run 2 show machine extra
	contains "show machine extra" "$err" 'unknown word "extra"' "<end>"
	run 2 history export --bogus
	contains "--bogus" "$err" 'unknown option "--bogus"' "--format"
	run 2 run
	contains "run" "$err" "WORKLOAD|FILE"
}

atf_test_case grammar_values
grammar_values_head()
{
	atf_set descr "values are checked as they are read; the message" \
	    "names the option and what would be right"
}
grammar_values_body()
{
	run 2 run mixed --cpus 0
	contains "--cpus 0" "$err" "--cpus: 0 is out of range" \
	    "an integer from 1 to 256"
	run 2 run mixed --cpus four
	contains "--cpus four" "$err" '"four" is not an integer'
	run 2 run mixed --duration soon
	contains "--duration" "$err" "not a duration" "500ms"
	run 2 run mixed --param novalue
	contains "--param" "$err" "is not KEY=VALUE"
	run 2 machine boot --physmem 12Q
	contains "--physmem" "$err" '"12Q" is not a size' "suffixes K, M"
	run 2 machine boot --page-size 1K
	contains "--page-size" "$err" "out of range" "4096 to 65536"
	run 2 machine boot --mode fast
	contains "--mode" "$err" "parallel, deterministic"
	run 2 machine boot --option KMEM
	contains "--option KMEM" "$err" "ambiguous" "KMEM_SIZE"
	run 2 history export --format xml
	contains "--format" "$err" "csv, json, ndjson"
	run 2 history export --run 1 --run 2
	contains "--run twice" "$err" "--run given twice"
	run 2 history export --since yesterday
	contains "--since" "$err" "not a time" "-10m"
	run 2 history export --run
	contains "--run" "$err" "--run needs a value"
	run 2 history plot
	contains "plot" "$err" "needs -o FILE.svg"
	run 2 history plot -o x.svg --field nope
	contains "--field" "$err" "no such field" "free" "wired"
	run 2 vmstat
	contains "vmstat" "$err" "give -m"
	run 2 vmstat -i
	contains "vmstat -i" "$err" "-i is not simulated"
	run 2 vmstat -m -c x
	contains "vmstat -c x" "$err" "repeat count"
	run 2 vmstat -m junk
	contains "vmstat junk" "$err" 'unexpected argument "junk"'
}

atf_test_case complete
complete_head()
{
	atf_set descr "shell completion: nbmemctl __complete walks the token" \
	    "tables; contrib/completion/nbmemctl.bash offers its words"
	atf_set require.progs "bash"
}
complete_body()
{
	local w

	run 0 __complete ""
	for w in show vmstat run workload machine pool intr trace history \
	    top ping help; do
		contains "first word" "$out" "$w"
	done
	run 0 __complete sh ""
	contains "sh" "$out" "machine" "pools" "events"
	run 0 __complete -s "$PWD/nosock" hi ex --f ""
	[ "$out" = "$(printf 'csv\njson\nndjson')" ] || fail "--format: $out"
	run 0 __complete history export --r
	[ "$out" = "$(printf -- '--run\n--rate')" ] || fail "--r: $out"
	run 0 __complete machine boot ""
	contains "boot" "$out" "--ncpu" "--mode" "__FILE__"
	run 0 __complete vmstat -
	contains "vmstat" "$out" "-m" "-C" "-mW"
	run 0 __complete bogus ""
	[ -z "$out" ] || fail "after a bad word: $out"
	out=$(bash -c '. "$1/contrib/completion/nbmemctl.bash"
	    COMP_WORDS=("$2" hist ex --fo ""); COMP_CWORD=4; _nbmemctl
	    echo "${COMPREPLY[*]}"' sh "$top" "$nbmemctl")
	[ "$out" = "csv json ndjson" ] || fail "bash completion: $out"
}

# ------------------------------------------------------------ daemon

atf_test_case not_running
not_running_head()
{
	atf_set descr "no daemon: exit 1 and how to start one"
}
not_running_body()
{
	run 1 -s "$PWD/nope/sock" ping
	contains "ping" "$err" "cannot reach nbmemd at $PWD/nope/sock" \
	    "not running there" "start it with \`nbmemd -s $PWD/nope/sock'"
	run 1 -s "$PWD/nope/sock" show machine
	contains "show machine" "$err" "not running there"
}

atf_test_case prefixes cleanup
prefixes_head()
{
	atf_set descr "unique prefixes run the command they abbreviate"
	atf_set require.progs "jq"
}
prefixes_body()
{
	local full

	start_daemon
	run 0 show machine
	full=$out
	run 0 sh ma
	[ "$out" = "$full" ] || fail "sh ma differs from show machine"
	run 0 s m
	[ "$out" = "$full" ] || fail "s m differs from show machine"
	run 0 machine info
	[ "$out" = "$full" ] || fail "machine info differs from show machine"
	run 0 -j sh mach
	expect '.state == "up" and .config.ncpu == 2' "$out"
	run 0 hi r
	contains "hi r" "$out" "RUN" "deterministic"
	stop_daemon
}
prefixes_cleanup() { common_cleanup; }

atf_test_case show cleanup
show_head()
{
	atf_set descr "show machine, show events, history runs, ping: human" \
	    "and -j output"
	atf_set require.progs "jq"
}
show_body()
{
	start_daemon
	run 0 show machine
	contains "show machine" "$out" "up, run 1" "2 (deterministic)" \
	    "64 MiB (16384 pages)" "memory map" "extended memory" \
	    "I/O ports reserved" "pic1"
	run 0 -j show machine
	expect '.state == "up" and .run == 1 and .config.mode == "deterministic"' "$out"
	run 0 show events
	contains "show events" "$out" "EVENT" "boot" "booted: pid"
	run 0 -n show events
	case "$out" in
	EVENT*) fail "-n: a header: $out" ;;
	esac
	run 0 -j show events
	expect '.events[0].type == "boot" and .last >= 1' "$out"
	run 0 show events --limit 1 --run 1
	run 0 history runs
	contains "history runs" "$out" "RUN" "running" "deterministic"
	run 0 -j history runs
	expect '.runs[0].run == 1 and .runs[0].end == null' "$out"
	run 0 ping -c 2 --interval 0.01
	contains "ping" "$out" "nbmemd " "protocol" "reply 1: time=" \
	    "reply 2: time="
	run 0 -j ping
	expect '.methods | index("hello") != null' "$out"
	stop_daemon
}
show_cleanup() { common_cleanup; }

atf_test_case machine cleanup
machine_head()
{
	atf_set descr "machine boot, reboot and shutdown; daemon errors exit" \
	    "1 with a hint"
	atf_set require.progs "jq"
}
machine_body()
{
	start_daemon
	run 1 machine boot
	contains "boot while up" "$err" "machine.boot:" "machine reboot"
	run 0 machine reboot --ncpu 3 --physmem 32M --option diagnostic \
	    --mode det --seed 5
	contains "reboot" "$out" "run 2" "3 CPUs" "32 MiB" "deterministic"
	run 0 -j machine info
	expect '.run == 2 and .config.ncpu == 3 and .config.options == ["DIAGNOSTIC"] and .config.seed == 5' "$out"
	expect '.last.run == 1 and .last.ended == "shutdown"' "$out"
	run 0 machine shutdown
	contains "shutdown" "$out" "machine run 2 shut down (shutdown)"
	run 0 show machine
	contains "down" "$out" "machine      down" "last run     2 ended (shutdown)"
	run 1 machine shutdown
	contains "shutdown when down" "$err" "machine boot"
	run 0 machine boot "$top/contrib/machines/i386-small.json" --hz 50
	contains "boot CONFIG" "$out" "run 3" "1 CPUs" "64 MiB"
	run 0 -j show machine
	expect '.config.ncpu == 1 and .config.hz == 50 and .config.direct_map == false' "$out"
	run 2 machine reboot "$PWD/missing.json"
	contains "missing CONFIG" "$err" "missing.json: No such file" \
	    "contrib/machines"
	echo '[1]' > bad.json
	run 2 machine reboot bad.json
	contains "bad CONFIG" "$err" "not an object"
	echo '{"machine":{"ncpu":999}}' > big.json
	run 1 machine reboot big.json
	contains "daemon's check" "$err" "configuration is wrong" "ncpu"
	run 1 history export --run 99
	contains "no such run" "$err" "history.export:" "history runs"
	stop_daemon
}
machine_cleanup() { common_cleanup; }

atf_init_test_cases()
{
	atf_add_test_case grammar_help
	atf_add_test_case grammar_words
	atf_add_test_case grammar_values
	atf_add_test_case complete
	atf_add_test_case not_running
	atf_add_test_case prefixes
	atf_add_test_case show
	atf_add_test_case machine
}
