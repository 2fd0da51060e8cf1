#!/bin/sh
# mk/check.sh BUILDDIR: run the ATF test programs through kyua, print the
# report of whatever did not pass, and end with one line "N passed, N failed"
# counted from kyua's results.  Exit status 1 on any failure.
set -u
b=$(cd "$1" && pwd)
db="$b/kyua-results.db"
rm -f "$db"
top=$(pwd)
export LSAN_OPTIONS="suppressions=$top/contrib/sanitizers/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export TSAN_OPTIONS="suppressions=$top/contrib/sanitizers/tsan.supp${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
(cd "$b/tests" && kyua test --kyuafile=Kyuafile --results-file="$db") \
	> "$b/kyua-test.log" 2>&1
# Per-case summary lines look like:  prog:case  ->  passed  [0.012s]
kyua report --results-file="$db" --verbose \
	--results-filter=passed,skipped,xfail,broken,failed > "$b/kyua-report.txt" 2>&1
passed=$(grep -cE -- '->  passed' "$b/kyua-report.txt")
skipped=$(grep -cE -- '->  skipped' "$b/kyua-report.txt")
xfail=$(grep -cE -- '->  expected_failure' "$b/kyua-report.txt")
failed=$(grep -cE -- '->  (failed|broken)' "$b/kyua-report.txt")
total=$((passed + skipped + xfail + failed))
if [ "$failed" -ne 0 ] || [ "$total" -eq 0 ]; then
	kyua report --results-file="$db" --verbose --results-filter=broken,failed
	[ "$total" -eq 0 ] && cat "$b/kyua-test.log"
fi
if [ "$skipped" -ne 0 ]; then
	echo "$((passed + xfail)) passed, $failed failed, $skipped skipped"
else
	echo "$((passed + xfail)) passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$total" -ne 0 ]
