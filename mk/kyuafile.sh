#!/bin/sh
# mk/kyuafile.sh DIR PROGRAM...: write DIR/Kyuafile and one Kyuafile per
# test directory (kyua test programs may not contain path components), from
# the programs' paths relative to DIR.
set -e
dir=$1; shift
subdirs=$(for p in "$@"; do echo "${p%/*}"; done | sort -u)
{
	echo 'syntax(2)'
	echo 'test_suite("nbmem")'
	for d in $subdirs; do
		echo "include(\"$d/Kyuafile\")"
	done
} > "$dir/Kyuafile"
for d in $subdirs; do
	mkdir -p "$dir/$d"
	{
		echo 'syntax(2)'
		echo 'test_suite("nbmem")'
		for p in "$@"; do
			[ "${p%/*}" = "$d" ] || continue
			case "$p" in
			*.sh)	echo "atf_test_program{name=\"${p##*/}\"}" | sed 's/\.sh"/"/' ;;
			*)	echo "atf_test_program{name=\"${p##*/}\"}" ;;
			esac
		done
	} > "$dir/$d/Kyuafile"
done
