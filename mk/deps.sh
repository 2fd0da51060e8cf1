#!/bin/sh
# mk/deps.sh: make sure the build and test dependencies are installed.
#
# Each dependency is a pkg-config module or a program, with the Debian
# package that provides it.  When something is missing and we are root on
# Debian, install it with apt-get (after one apt-get update); otherwise print
# the exact command to run and fail.
set -u

missing=""
check_pc() {	# module package
	pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"
}
check_prog() {	# program package
	command -v "$1" >/dev/null 2>&1 || missing="$missing $2"
}

check_prog pkg-config pkg-config
if command -v pkg-config >/dev/null 2>&1; then
	check_pc libevent libevent-dev
	check_pc json-c libjson-c-dev
	check_pc sqlite3 libsqlite3-dev
	check_pc ncursesw libncurses-dev
	check_pc atf-c libatf-dev
fi
check_prog kyua kyua
# nbmemd's integration tests (tests/daemon/): ATF shell programs, jq to
# pick replies apart, the sqlite3 shell for integrity checks, and the
# Debian python3 with jsonschema to validate replies against schema/.
check_prog atf-sh atf-sh
check_prog jq jq
check_prog sqlite3 sqlite3
/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1 ||
	missing="$missing python3-jsonschema"
# nbmemctl's tests (tests/cli/): tmux drives the live view, xmllint checks
# that plots are well-formed SVG.
check_prog tmux tmux
check_prog xmllint libxml2-utils

[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	stamp=/var/lib/apt/periodic/nbmem-update-stamp
	if [ ! -e "$stamp" ]; then
		apt-get update -q >/dev/null && mkdir -p "${stamp%/*}" && touch "$stamp"
	fi
	if ! $cmd >/dev/null; then
		apt-get update -q >/dev/null && $cmd >/dev/null || {
			echo "deps: apt-get failed; run: $cmd" >&2
			exit 1
		}
	fi
	exit 0
fi
echo "deps: missing:$missing" >&2
echo "deps: as root, run: apt-get update && $cmd" >&2
exit 1
