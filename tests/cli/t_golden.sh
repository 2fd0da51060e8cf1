#! /usr/bin/env atf-sh
# t_golden.sh: golden output of nbmemctl's show commands and vmstat forms,
# against a real nbmemd running a deterministic machine (h_cli.sh), so
# that the same build prints the same bytes every time.  What changes
# from run to run -- process ids, wall-clock times, the work directory --
# is replaced by fixed words first (normalize in h_cli.sh).
#
# The golden files are tests/cli/golden/NAME.out.  `make cli-golden'
# rewrites them from the current build (it runs this program with
# -v update=yes); review the difference before committing it.
#
# Each table below lists NAME and the nbmemctl arguments; a case whose
# daemon lacks the method its commands need (an older nbmemd) is skipped
# and says so.

srcdir=$(atf_get_srcdir)
top=$(cd "$srcdir/../../.." && pwd)
. "$top/tests/cli/h_cli.sh"

# The machine as a whole: nbmemd's protocol 1 methods.
machine_cmds='
show-machine		show machine
show-machine-n		-n show machine
show-machine-j		-j show machine
machine-info		machine info
show-events		show events
show-events-j		-j show events
history-runs		history runs
history-runs-j		-j history runs
'

# The allocators' objects and NetBSD's vmstat tables.
object_cmds='
show-pools		show pools
show-pools-j		-j show pools
show-pool		show pools kmem-00064
show-pool-j		-j show pools kmem-00064
show-caches		show caches
show-caches-v		-v show caches
show-caches-j		-j show caches
show-cache		show caches kmem-00128
show-kmem		show kmem
show-kmem-j		-j show kmem
show-vmem		show vmem
show-vmem-j		-j show vmem
show-arena		show vmem kmem
show-arena-j		-j show vmem kmem
show-extent		show extent
show-extent-j		-j show extent
show-extent-ioport	show extent ioport
show-extent-iomem-j	-j show extent iomem
show-intr		show intr
show-intr-j		-j show intr
vmstat-m		vmstat -m
vmstat-mv		vmstat -mv
vmstat-mW		vmstat -mW
vmstat-mWv		vmstat -mWv
vmstat-C		vmstat -C
vmstat-Cv		vmstat -Cv
vmstat-mC		vmstat -mC
vmstat-m-c2		vmstat -m -c 2 -w 0.01
'

# golden LIST: run each command of LIST; compare with, or with
# update=yes write, its golden file.  A difference fails the case after
# every command has been compared, naming them all.
golden()
{
	local update bad="" name args

	update=$(atf_config_get update no)
	echo "$1" | while read -r name args; do
		[ -n "$name" ] || continue
		# shellcheck disable=SC2086
		run 0 $args
		printf '%s\n' "$out" | normalize > "$name.out"
		if [ "$update" = yes ]; then
			cp "$name.out" "$golden/$name.out"
		elif [ ! -f "$golden/$name.out" ]; then
			echo "$name: no golden file" >> bad
		elif ! diff -u "$golden/$name.out" "$name.out" > /dev/null; then
			# The load may still be settling in the machine
			# (slow sanitizer builds): look once more.
			sleep 1
			# shellcheck disable=SC2086
			run 0 $args
			printf '%s\n' "$out" | normalize > "$name.out"
			if ! diff -u "$golden/$name.out" "$name.out" >> diffs
			then
				echo "$name" >> bad
			fi
		fi
	done
	[ ! -s failures ] || atf_fail "$(head -1 failures)"
	if [ -s bad ]; then
		cat diffs
		atf_fail "differs from tests/cli/golden (make cli-golden" \
		    "rewrites it): $(tr '\n' ' ' < bad)"
	fi
}

atf_test_case machine cleanup
machine_head()
{
	atf_set descr "golden output: show machine, machine info, show" \
	    "events, history runs (human, -n and -j)"
	atf_set require.progs "jq"
}
machine_body()
{
	start_daemon
	golden "$machine_cmds"
	stop_daemon
}
machine_cleanup() { common_cleanup; }

atf_test_case objects cleanup
objects_head()
{
	atf_set descr "golden output: show pools, caches, kmem, vmem," \
	    "extent, intr (human and -j) and vmstat -m, -mW, -C, -v, -c"
	atf_set require.progs "jq"
}
objects_body()
{
	start_daemon
	run 0 -j ping
	if ! echo "$out" | jq -e '.methods | index("pool.list")' >/dev/null
	then
		stop_daemon
		atf_skip "this nbmemd has no pool.list (the daemon2 methods)"
	fi
	run 0 intr add net0 --rate 1000 --target all
	run 0 pool create golden 200 --cache --hardlimit 64 --warn full
	run 0 pool prime golden 20
	# Load: items out to the hard limit and past it (failures), a
	# cache's CPU layer and pool layer, releases.
	debug_rpc debug.hold '{"pool":"golden","count":80}'
	debug_rpc debug.hold '{"pool":"kmem-00128","count":100}'
	debug_rpc debug.release '{"pool":"kmem-00128"}'
	debug_rpc debug.hold '{"pool":"kmem-00064","count":300}'
	golden "$object_cmds"
	stop_daemon
}
objects_cleanup() { common_cleanup; }

atf_init_test_cases()
{
	atf_add_test_case machine
	atf_add_test_case objects
}
