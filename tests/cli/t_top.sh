#! /usr/bin/env atf-sh
# t_top.sh: nbmemctl top, driven through tmux: each case runs the live
# view in a detached tmux session of its own (a private tmux server on a
# socket in the work directory), sends keys with send-keys and reads the
# screen with capture-pane, polling with a deadline for what it expects.

srcdir=$(atf_get_srcdir)
top=$(cd "$srcdir/../../.." && pwd)
. "$top/tests/cli/h_cli.sh"

# A tmux server of the case's own.  A server that was told to exit may
# still hold its socket for a moment: the next session gets a new one.
tm()
{
	tmux -S "$PWD/tmux${tmn:-0}.sock" -f /dev/null "$@"
}

tm_restart()
{
	tm kill-server
	tmn=$((${tmn:-0} + 1))
}

# start_top [ENV=VALUE...] [-- top option...]: nbmemctl top in an 80x24
# pane; when it ends the pane records its status and the terminal modes.
start_top()
{
	local env=""

	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		env="$env $1"
		shift
	done
	[ "${1:-}" = -- ] && shift
	tm new-session -d -s top -x 80 -y 24 "echo BEFORE; env$env \
	    '$nbmemctl' -s '$sock' top $*; echo EXITED rc=\$?; \
	    stty -a > stty.out; echo MODES SAVED; sleep 600"
}

screen()
{
	tm capture-pane -p -t top
}

on_screen()
{
	screen | grep -q -- "$1"
}

# wait_screen TEXT: until TEXT (a basic regular expression) shows.
wait_screen()
{
	local i=0

	while ! on_screen "$1"; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			screen
			fail "the screen never showed \"$1\""
		fi
		sleep 0.05
	done
}

# wait_gone TEXT: until TEXT no longer shows.
wait_gone()
{
	local i=0

	while on_screen "$1"; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			screen
			fail "the screen still shows \"$1\""
		fi
		sleep 0.05
	done
}

# line_of TEXT: the screen line TEXT first shows on (0 if nowhere).
line_of()
{
	screen | grep -n -- "$1" | head -1 | cut -d: -f1
}

keys()
{
	tm send-keys -t top "$@"
}

top_cleanup()
{
	local s

	for s in tmux*.sock; do
		[ -S "$s" ] && tmux -S "$PWD/$s" kill-server 2>/dev/null
	done
	kill_daemon
}

atf_test_case header cleanup
header_head()
{
	atf_set descr "the header shows the machine; 80x24 holds the header," \
	    "the tabs and the key line"
	atf_set require.progs "tmux jq"
}
header_body()
{
	start_daemon
	start_top
	wait_screen "nbmemctl top: run 1, 2 CPUs deterministic, 4 KiB pages, 64 MiB"
	wait_screen "^mem 64 MiB free ([0-9]*%), "
	wait_screen "1 pools 2 caches 3 vmem 4 extents 5 cpus 6 intr"
	[ "$(line_of '^q quit  h help')" -eq 24 ] ||
	    fail "the key line is not the 24th: $(screen)"
	keys h
	wait_screen "nbmemctl top: keys"
	keys x
	wait_gone "nbmemctl top: keys"
	keys q
	wait_screen "EXITED rc=0"
	stop_daemon
}
header_cleanup() { top_cleanup; }

atf_test_case sort_filter cleanup
sort_filter_head()
{
	atf_set descr "sorting (r, < >) changes the order of the rows; a" \
	    "filter hides the rows it does not match, Esc clears it"
	atf_set require.progs "tmux jq"
}
sort_filter_body()
{
	start_daemon
	start_top -- --view cpus
	wait_screen "^cpu1 "
	[ "$(line_of '^cpu0 ')" -lt "$(line_of '^cpu1 ')" ] ||
	    fail "cpu0 is not first: $(screen)"
	wait_screen "sort CPU asc"
	keys r
	wait_screen "sort CPU desc"
	[ "$(line_of '^cpu1 ')" -lt "$(line_of '^cpu0 ')" ] ||
	    fail "r did not reverse the order: $(screen)"
	keys '>'
	wait_screen "sort CACHEHITS desc"
	keys '<'
	wait_screen "sort CPU asc"
	keys / c p u 1 Enter
	wait_screen "filter /cpu1"
	wait_gone "^cpu0 "
	on_screen "^cpu1 " || fail "the filter hid cpu1: $(screen)"
	keys Escape
	wait_screen "^cpu0 "
	keys 1
	wait_screen "sort NAME asc"
	keys q
	wait_screen "EXITED rc=0"
	stop_daemon
}
sort_filter_cleanup() { top_cleanup; }

atf_test_case pools cleanup
pools_head()
{
	atf_set descr "the pools and caches views: sort by items in use, a" \
	    "filter, the sparkline of a pool, a cache's CPUs, the vmem," \
	    "extents and intr views"
	atf_set require.progs "tmux jq"
}
pools_body()
{
	start_daemon
	run 0 -j ping
	if ! echo "$out" | jq -e '.methods | index("pool.list")' >/dev/null
	then
		stop_daemon
		atf_skip "this nbmemd has no pool.list (the daemon2 methods)"
	fi
	debug_rpc debug.hold '{"pool":"kmem-00064","count":300}'
	debug_rpc debug.hold '{"pool":"kmem-00128","count":100}'
	run 0 intr add net0 --rate 50
	start_top -- --interval 0.25
	wait_screen "^kmem-00064 "
	[ "$(line_of '^kmem-00008 ')" -lt "$(line_of '^kmem-00064 ')" ] ||
	    fail "not by name: $(screen)"
	keys '>' '>' '>' '>' '>'
	wait_screen "sort INUSE desc"
	[ "$(line_of '^kmem-00064 ')" -eq 6 ] ||
	    fail "kmem-00064 (300 in use) is not first: $(screen)"
	[ "$(line_of '^kmem-00128 ')" -eq 7 ] ||
	    fail "kmem-00128 (100 in use) is not second: $(screen)"
	keys Enter
	wait_screen "^kmem-00064 items in use, last"
	keys Enter / k m e m - 0 0 1 Enter
	wait_screen "filter /kmem-001"
	wait_gone "^kmem-00064 "
	on_screen "^kmem-00128 " || fail "kmem-00128 hidden: $(screen)"
	keys Escape 2
	wait_screen "CPULAYER"
	keys Enter
	wait_screen "^  cpu1 "
	keys 3
	wait_screen "^kmem "
	keys 4
	wait_screen "^ioport "
	wait_screen "^ioport .*++"
	keys 6
	wait_screen "^net0 "
	keys q
	wait_screen "EXITED rc=0"
	stop_daemon
}
pools_cleanup() { top_cleanup; }

atf_test_case resize cleanup
resize_head()
{
	atf_set descr "a resized terminal is drawn again at its new size"
	atf_set require.progs "tmux jq"
}
resize_body()
{
	start_daemon
	start_top
	wait_screen "^q quit"
	[ "$(line_of '^q quit')" -eq 24 ] || fail "80x24: $(screen)"
	tm resize-window -t top -x 120 -y 30
	wait_screen "^q quit  h help  1-6 views  < > sort  r reverse  / filter  space pause  + - interval  Enter details"
	[ "$(line_of '^q quit')" -eq 30 ] ||
	    fail "the key line did not move to line 30: $(screen)"
	tm resize-window -t top -x 80 -y 24
	wait_screen "^q quit  h help  1-6 views  < > sort  r reverse  / filter  space pause  + - inter$"
	keys q
	wait_screen "EXITED rc=0"
	stop_daemon
}
resize_cleanup() { top_cleanup; }

atf_test_case quit cleanup
quit_head()
{
	atf_set descr "q, and SIGINT, end the view and give the terminal" \
	    "back as it was"
	atf_set require.progs "tmux jq"
}
quit_body()
{
	start_daemon
	start_top
	wait_screen "nbmemctl top: run 1"
	keys q
	wait_screen "EXITED rc=0"
	wait_screen "MODES SAVED"
	on_screen "^BEFORE" || fail "the screen before top is gone: $(screen)"
	on_screen "nbmemctl top:" && fail "top's screen stayed: $(screen)"
	grep -q ' icanon' stty.out && grep -q ' echo ' stty.out ||
	    fail "the terminal modes were not restored: $(cat stty.out)"
	tm_restart
	rm -f stty.out
	start_top
	wait_screen "nbmemctl top: run 1"
	keys C-c
	wait_screen "EXITED rc=0"
	wait_screen "MODES SAVED"
	on_screen "nbmemctl top:" && fail "top's screen stayed after ^C"
	grep -q ' icanon' stty.out ||
	    fail "^C: the terminal modes were not restored: $(cat stty.out)"
	stop_daemon
}
quit_cleanup() { top_cleanup; }

atf_test_case daemon_gone cleanup
daemon_gone_head()
{
	atf_set descr "when nbmemd stops the view says \"daemon gone\" and" \
	    "reconnects when it is back"
	atf_set require.progs "tmux jq"
}
daemon_gone_body()
{
	start_daemon
	start_top
	wait_screen "nbmemctl top: run 1"
	stop_daemon
	wait_screen "daemon gone (No such file or directory); reconnecting"
	wait_screen "socket $sock"
	start_daemon
	wait_screen "nbmemctl top: run 2"
	wait_gone "daemon gone"
	keys q
	wait_screen "EXITED rc=0"
	stop_daemon
}
daemon_gone_cleanup() { top_cleanup; }

atf_test_case no_color cleanup
no_color_head()
{
	atf_set descr "NO_COLOR: reverse video and bold only, no colour"
	atf_set require.progs "tmux jq"
}
no_color_body()
{
	start_daemon
	start_top TERM=xterm-256color
	wait_screen "nbmemctl top: run 1"
	tm capture-pane -e -p -t top | grep -q '\[[0-9;]*3[0-7][;m]' ||
	    fail "no colour without NO_COLOR: $(tm capture-pane -e -p -t top)"
	keys q
	wait_screen "EXITED rc=0"
	tm_restart
	start_top TERM=xterm-256color NO_COLOR=1
	wait_screen "nbmemctl top: run 1"
	if tm capture-pane -e -p -t top | grep -q '\[[0-9;]*[34][0-7][;m]'; then
		fail "colour with NO_COLOR: $(tm capture-pane -e -p -t top)"
	fi
	tm capture-pane -e -p -t top | grep -q '\[[0-9;]*7m' ||
	    fail "no reverse video with NO_COLOR"
	keys q
	wait_screen "EXITED rc=0"
	stop_daemon
}
no_color_cleanup() { top_cleanup; }

atf_test_case not_a_tty
not_a_tty_head()
{
	atf_set descr "top without a terminal is a usage error that names" \
	    "the commands that print tables"
}
not_a_tty_body()
{
	run 2 -s "$PWD/nosock" top < /dev/null
	contains "top < /dev/null" "$err" "top needs a terminal" \
	    "show pools"
}

atf_init_test_cases()
{
	atf_add_test_case header
	atf_add_test_case sort_filter
	atf_add_test_case pools
	atf_add_test_case resize
	atf_add_test_case quit
	atf_add_test_case daemon_gone
	atf_add_test_case no_color
	atf_add_test_case not_a_tty
}
