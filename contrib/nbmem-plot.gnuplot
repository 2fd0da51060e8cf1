# nbmem-plot.gnuplot: plot a CSV file of `nbmemctl history export' with
# gnuplot (5.2 or later), the CSV form of `nbmemctl history plot'.
#
#   nbmemctl history export --run 3 -o run3.csv
#   gnuplot -e "file='run3.csv'" contrib/nbmem-plot.gnuplot > run3.svg
#
#   nbmemctl history export --run 3 --pool kmem-00064 --rate -o k64.csv
#   gnuplot -e "file='k64.csv'; fields='nget nput'" \
#       contrib/nbmem-plot.gnuplot > k64.svg
#
# Variables (-e "name='value'; ..."):
#   file    the CSV, with its header row (not exported with -n)
#   fields  the columns to plot, blank-separated; default "free wired"
#           for the machine table, "nout nitems" for pools
#   pool    with a table of several pools, only the rows of this one
#   term    gnuplot's terminal (default svg; pngcairo for PNG)
# The x axis is the machine's uptime (uptime_ns) in seconds, as in
# `nbmemctl history plot'; the SVG goes to standard output.

if (!exists("file")) {
	print "nbmem-plot.gnuplot: give the CSV: gnuplot -e \"file='export.csv'\" ..."
	exit status 2
}
if (!exists("pool")) pool = ""
if (!exists("term")) term = "svg"
set datafile separator ","
set datafile columnheaders

# The columns the file has: the pools table has wchan, the machine not.
header = system("head -1 '" . file . "'")
haspool = strstrt(header, "wchan") > 0
if (!exists("fields")) fields = haspool ? "nout nitems" : "free wired"

set terminal term size 900,500 font ",10"
set output
set title (pool ne "" ? "pool " . pool : (haspool ? "pools" : "machine")) . " (" . file . ")" noenhanced
set xlabel "seconds since boot"
set ylabel (pool ne "" || haspool ? "items" : "pages")
set key top right noenhanced
set grid

keep(c) = (pool eq "" || strcol("wchan") eq pool) ? column(c) : NaN

plot for [f in fields] file using (column("uptime_ns") / 1e9):(keep(f)) \
	with lines linewidth 1.5 title f
