#! /usr/bin/env atf-sh
# t_history.sh: history export, plot and diff against a real nbmemd that
# records samples every 50 ms: exported rows equal samples times objects,
# the CSV parses (python3's csv) with the header of libnbmem's field
# list, JSON and NDJSON parse (jq), --rate leaves the first sample of an
# object empty, plots are well-formed SVG (xmllint), and a terminal sees
# the export's progress.

srcdir=$(atf_get_srcdir)
top=$(cd "$srcdir/../../.." && pwd)
. "$top/tests/cli/h_cli.sh"

py=/usr/bin/python3

samples_of()
{
	"$nbmemctl" -s "$sock" -j history runs --limit 1 |
	    jq -r '.runs[0].samples'
}

samples_at_least()
{
	[ "$(samples_of)" -ge "$1" ]
}

# record N: boot a recording daemon, wait for N samples, shut the
# machine down so that the run's samples stay as they are.
record()
{
	write_conf 0.05
	start_daemon
	wait_for "$1 samples" samples_at_least "$1"
	run 0 machine shutdown
}

# csv_check FILE HEADER-FIELDS ROWS: the file parses as CSV, its header
# is the given one, it has ROWS rows of as many fields.
csv_check()
{
	$py - "$@" <<-'EOF' || fail "$1: $(cat csvcheck.out)"
	import csv, sys
	f, header, rows = sys.argv[1], sys.argv[2].split(','), int(sys.argv[3])
	out = open('csvcheck.out', 'w')
	with open(f, newline='') as fh:
	    r = list(csv.reader(fh))
	if r[0] != header:
	    out.write('header %s, not %s' % (r[0], header)); sys.exit(1)
	if len(r) - 1 != rows:
	    out.write('%d rows, not %d' % (len(r) - 1, rows)); sys.exit(1)
	for row in r[1:]:
	    if len(row) != len(header):
	        out.write('a row of %d fields: %s' % (len(row), row))
	        sys.exit(1)
	EOF
}

atf_test_case export_machine cleanup
export_machine_head()
{
	atf_set descr "history export of the machine table: CSV, JSON," \
	    "NDJSON and --rate round trips, one row a sample"
	atf_set require.progs "jq tmux"
}
export_machine_body()
{
	local n header cols

	record 8
	n=$(samples_of)
	run 0 -j history export --run 1 --format ndjson
	# The header: key columns, then the machine fields in the order of
	# libnbmem's field table as the daemon names them.
	cols=$(echo "$out" | head -1 | jq -r 'keys_unsorted | join(",")')
	run 0 history export --run 1 -o m.csv
	[ -z "$out" ] || fail "-o: output on stdout: $out"
	[ -z "$err" ] || fail "-o without a terminal: progress on stderr: $err"
	[ ! -e m.csv.tmp ] || fail "the temporary file stayed"
	header=$(head -1 m.csv)
	[ "$header" = "$cols" ] || fail "CSV header $header, JSON keys $cols"
	contains "header" "$header" "sample,run,time" "pagesize" "free" \
	    "pdwoke"
	csv_check m.csv "$header" "$n"
	run 0 -n history export --run 1
	[ "$(echo "$out" | wc -l)" -eq "$n" ] || fail "-n: not $n lines"
	run 0 history export --run 1 --format ndjson
	[ "$(echo "$out" | jq -c . | wc -l)" -eq "$n" ] ||
	    fail "ndjson: not $n objects"
	run 0 history export --run 1 --format json -o m.json
	[ "$(jq length m.json)" -eq "$n" ] || fail "json: not $n rows"
	[ "$(jq -r '.[0] | keys_unsorted | join(",")' m.json)" = "$header" ] ||
	    fail "json: keys differ from the CSV header"
	run 0 history export --run 1 --rate --format ndjson
	expect '.pdwoke == null' "$(echo "$out" | head -1)"
	expect '.free | type == "number"' "$(echo "$out" | head -1)"
	expect '.pdwoke | type == "number"' "$(echo "$out" | sed -n 2p)"
	run 0 history export --run 1 --rate -o r.csv
	csv_check r.csv "$header" "$n"
	run 0 history export --table events --run 1
	contains "events" "$out" "event,run,time" "boot" "shutdown"
	run 0 history export --run 1 --until 1 --format json
	[ "$out" = "[]" ] || fail "an empty export is not []: $out"
	run 2 history export --table machine --pool x
	contains "--pool" "$err" "--table pools"

	# On a terminal, an export to a file shows its progress.
	tmux -S "$PWD/tmux.sock" -f /dev/null new-session -d -x 80 -y 24 \
	    "'$nbmemctl' -s '$sock' history export -o t.csv; sleep 600"
	wait_for "the progress line" sh -c "tmux -S '$PWD/tmux.sock' \
	    capture-pane -p | grep -q 'exported $n rows in'"
	tmux -S "$PWD/tmux.sock" kill-server
	stop_daemon
}
export_machine_cleanup()
{
	tmux -S "$PWD/tmux.sock" kill-server 2>/dev/null
	common_cleanup
}

atf_test_case export_pools cleanup
export_pools_head()
{
	atf_set descr "history export of the pools table: samples times" \
	    "pools rows, the header of nbm_pool_fields, one pool with" \
	    "--pool, rates per pool; a pool's plot"
	atf_set require.progs "jq xmllint"
}
export_pools_body()
{
	local n npools header

	write_conf 0.05
	start_daemon
	run 0 -j ping
	if ! echo "$out" | jq -e '.methods | index("pool.list")' >/dev/null
	then
		stop_daemon
		atf_skip "this nbmemd has no pool.list (the daemon2 methods)"
	fi
	debug_rpc debug.hold '{"pool":"kmem-00064","count":100}'
	# Samples after the hold as well: the last rate of gets is 0.
	n=$(samples_of)
	wait_for "6 samples" samples_at_least $((n > 3 ? n + 3 : 6))
	run 0 -j show pools
	npools=$(echo "$out" | jq '.pools | length')
	run 0 machine shutdown
	n=$(samples_of)
	run 0 history export --run 1 --table pools -o p.csv
	# Every sample has a row for each pool (two pools may share a
	# name, as NetBSD's phpool-64 do): rows = samples x pools.
	[ "$(tail -n +2 p.csv | cut -d, -f1 | sort -u | wc -l)" -eq "$n" ] ||
	    fail "not $n samples in p.csv"
	[ $(($(wc -l < p.csv) - 1)) -eq $((n * npools)) ] ||
	    fail "$(($(wc -l < p.csv) - 1)) rows, not $n samples x $npools pools"
	header=$(head -1 p.csv)
	# key columns, then wchan and NBM_POOL_FIELDS in stats.h's order
	contains "header" "$header" \
	    "sample,run,time,uptime_ns,wchan,flags,size,pagesize,itemsperpage,nitems,nout,hardlimit,npages,minpages,maxpages,nget,nfail,nput,npagealloc,npagefree,hiwat,nidle,cache_meta_size,cache_nfull,cache_npartial,cache_nempty,cache_ncontended,cache_nmiss_global,cache_nhit_global,cache_nmiss_pcpu,cache_nhit_pcpu"
	csv_check p.csv "$header" $((n * npools))
	run 0 history export --run 1 --pool kmem-00064 --format ndjson
	[ "$(echo "$out" | wc -l)" -eq "$n" ] || fail "--pool: not $n rows"
	expect '.wchan == "kmem-00064" and .nout == 100' \
	    "$(echo "$out" | tail -1)"
	run 0 history export --run 1 --pool kmem-00064 --rate --format ndjson
	expect '.nget == null' "$(echo "$out" | head -1)"
	expect '.nget == 0 and .nout == 100' "$(echo "$out" | tail -1)"
	run 0 history plot --run 1 --pool kmem-00064 -o k.svg
	xmllint --noout k.svg || fail "k.svg is not well-formed XML"
	contains "pool plot" "$(cat k.svg)" "pool kmem-00064, run 1" \
	    ">nout (items handed out, cached ones included)<"
	run 1 history plot --run 1 --pool nosuch -o n.svg
	contains "no pool" "$err" "no samples of such a pool"
	stop_daemon
}
export_pools_cleanup() { common_cleanup; }

atf_test_case plot cleanup
plot_head()
{
	atf_set descr "history plot writes well-formed SVG with axes, a" \
	    "title, a legend and one line a field"
	atf_set require.progs "jq xmllint"
}
plot_body()
{
	record 5
	run 0 history plot -o m.svg
	contains "plot" "$out" "wrote m.svg: machine, run 1"
	xmllint --noout m.svg || fail "m.svg is not well-formed XML"
	[ "$(grep -c '<path ' m.svg)" -eq 2 ] || fail "not two lines"
	contains "plot" "$(cat m.svg)" "seconds since boot" "machine, run 1" \
	    ">free (free pages)<" ">wired (wired pages)<" "pages</text>"
	run 0 history plot --run 1 --field pdwoke --field free --field \
	    kmempages --rate -o r.svg
	xmllint --noout r.svg || fail "r.svg is not well-formed XML"
	[ "$(grep -c '<path ' r.svg)" -eq 3 ] || fail "not three lines"
	run 1 history plot --run 7 -o x.svg
	contains "no run" "$err" "history runs"
	[ ! -e x.svg ] && [ ! -e x.svg.tmp ] || fail "a failed plot left a file"
	stop_daemon
}
plot_cleanup() { common_cleanup; }

atf_test_case diff cleanup
diff_head()
{
	atf_set descr "history diff compares the last samples of two runs"
	atf_set require.progs "jq"
}
diff_body()
{
	record 3
	run 0 machine boot --physmem 32M
	wait_for "samples of run 2" samples_at_least 3
	run 0 machine shutdown
	run 0 history diff 1 2
	contains "diff" "$out" "run 1 (A) against run 2 (B)" "NAME" \
	    "npages" "16384" "8192" "-8192" "-50.0%"
	run 0 -v history diff 1 2
	contains "diff -v" "$out" "pagesize"
	run 1 history diff 1 9
	contains "diff 1 9" "$err" "no run 9"
	stop_daemon
}
diff_cleanup() { common_cleanup; }

atf_init_test_cases()
{
	atf_add_test_case export_machine
	atf_add_test_case export_pools
	atf_add_test_case plot
	atf_add_test_case diff
}
