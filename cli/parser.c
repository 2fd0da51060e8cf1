/*
 * parser.c: nbmemctl's command grammar, as token tables (bgpctl's
 * parser.c design).
 *
 * A table is an array of struct token ending in a T_ENDTABLE entry; each
 * entry is a word that may come next and the table that follows it:
 *
 *	T_END		the command may end here
 *	T_KEYWORD	a fixed word; its value, when not ACT_NONE, is the action
 *	T_FLAG		a fixed word (--rate) that sets an argument
 *	T_OPTION	a fixed word (--cpus) followed by the argument's value
 *	T_VALUE		a positional argument (a pool's name); the keyword
 *			field holds its placeholder for help texts
 *	T_REST		the rest of the words belong to the command (vmstat's
 *			own flags)
 *
 * Matching a word (match_token): an exact keyword wins; otherwise a word
 * that is the prefix of exactly one keyword, flag or option takes it
 * (`sh po' is `show pools'); a prefix of several is an error that names
 * them; a word no keyword takes goes to the table's positional argument,
 * if it has one.  Every value is checked against its argument's spec
 * (argspecs[]) as it is read, so a bad number is reported with the option
 * it was given to and the range that would be right.  On a missing or bad
 * word the parser prints the valid continuations with their synopses,
 * which it builds from the tables themselves (synopsis()), as `nbmemctl
 * help' does for the whole grammar.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parser.h"

enum token_type {
	T_ENDTABLE,
	T_END,
	T_KEYWORD,
	T_FLAG,
	T_OPTION,
	T_VALUE,
	T_REST
};

struct token {
	enum token_type	 t_type;	/* what the entry matches */
	const char	*t_keyword;	/* word, or placeholder of a value */
	int		 t_value;	/* enum action, or enum arg */
	const struct token *t_next;	/* table after this word */
	const char	*t_descr;	/* one line for the help texts */
};

enum value_kind {
	V_STR,		/* any non-empty word */
	V_INT,		/* integer, decimal or 0x hexadecimal */
	V_NUM,		/* a number, from as_min to as_max */
	V_SIZE,		/* bytes: an integer with an optional K/M/G/T */
	V_DUR,		/* seconds: 10, 10s, 500ms, 2m, 1h */
	V_TIME,		/* Unix time, a date, or -DURATION before now */
	V_ENUM,		/* one of as_choices; unique prefixes accepted */
	V_PARAM		/* KEY=VALUE */
};

struct argspec {
	enum value_kind	 as_kind;	/* how the value is read */
	const char	*as_meta;	/* placeholder in help texts */
	int64_t		 as_min;	/* V_INT, V_SIZE: smallest */
	int64_t		 as_max;	/* V_INT, V_SIZE: largest */
	const char *const *as_choices;	/* V_ENUM: NULL-terminated */
	int		 as_repeat;	/* may be given more than once */
};

static const char *const modes[] = { "parallel", "deterministic", NULL };
static const char *const formats[] = { "csv", "json", "ndjson", NULL };
static const char *const tables[] = {
	"machine", "pools", "caches", "vmem", "extents", "events", NULL
};
static const char *const views[] = {
	"pools", "caches", "vmem", "extents", "cpus", "intr", NULL
};
static const char *const ipls[] = {
	"none", "preempt", "softclock", "softbio", "softnet", "softserial",
	"vm", "sched", "high", NULL
};
static const char *const intr_ipls[] = { "vm", "sched", "high", NULL };
static const char *const dists[] = { "periodic", "poisson", "burst", NULL };
static const char *const targets[] = { "cpu", "all", "rr", NULL };
static const char *const prflags[] = {
	"PR_NOTOUCH", "PR_NOALIGN", "PR_LARGECACHE", "PR_PSERIALIZE", NULL
};
static const char *const dbgopts[] = {
	"DIAGNOSTIC", "DEBUG", "KMEM_SIZE", "KMEM_REDZONE", "KMEM_GUARD",
	"POOL_REDZONE", NULL
};

#define I64MAX	INT64_MAX
#define RUNMAX	((int64_t)1 << 53)

static const struct argspec argspecs[ARG_MAX] = {
	[ARG_NAME] =	 { V_STR, "NAME", 0, 0, NULL, 0 },
	[ARG_FILE] =	 { V_STR, "FILE", 0, 0, NULL, 0 },
	[ARG_WORKLOAD] = { V_STR, "WORKLOAD", 0, 0, NULL, 0 },
	[ARG_RUN] =	 { V_INT, "RUN", 1, RUNMAX, NULL, 0 },
	[ARG_RUN_A] =	 { V_INT, "RUN_A", 1, RUNMAX, NULL, 0 },
	[ARG_RUN_B] =	 { V_INT, "RUN_B", 1, RUNMAX, NULL, 0 },
	[ARG_CPUS] =	 { V_INT, "N", 1, 256, NULL, 0 },
	[ARG_DURATION] = { V_DUR, "T", 0, 0, NULL, 0 },
	[ARG_OPS] =	 { V_INT, "N", 1, I64MAX, NULL, 0 },
	[ARG_SEED] =	 { V_INT, "S", 0, I64MAX, NULL, 0 },
	[ARG_PARAM] =	 { V_PARAM, "KEY=VALUE", 0, 0, NULL, 1 },
	[ARG_NCPU] =	 { V_INT, "N", 1, 256, NULL, 0 },
	[ARG_PAGESIZE] = { V_SIZE, "BYTES", 4096, 65536, NULL, 0 },
	[ARG_PHYSMEM] =	 { V_SIZE, "BYTES", 4 << 20, (int64_t)256 << 30,
			   NULL, 0 },
	[ARG_MODE] =	 { V_ENUM, "MODE", 0, 0, modes, 0 },
	[ARG_HZ] =	 { V_INT, "N", 1, 10000, NULL, 0 },
	[ARG_OPTION] =	 { V_ENUM, "OPTION", 0, 0, dbgopts, 1 },
	[ARG_KVASIZE] =	 { V_SIZE, "BYTES", 0, I64MAX, NULL, 0 },
	[ARG_SIZE] =	 { V_SIZE, "SIZE", 1, 65536, NULL, 0 },
	[ARG_ALIGN] =	 { V_SIZE, "BYTES", 0, 65536, NULL, 0 },
	[ARG_IPL] =	 { V_ENUM, "IPL", 0, 0, ipls, 0 },
	[ARG_CACHE] =	 { V_STR, NULL, 0, 0, NULL, 0 },
	[ARG_PRFLAG] =	 { V_ENUM, "FLAG", 0, 0, prflags, 1 },
	[ARG_LOWAT] =	 { V_INT, "N", 0, INT32_MAX, NULL, 0 },
	[ARG_HIWAT] =	 { V_INT, "N", 0, INT32_MAX, NULL, 0 },
	[ARG_HARDLIMIT] = { V_INT, "N", 1, INT32_MAX, NULL, 0 },
	[ARG_COUNT] =	 { V_INT, "N", 0, INT32_MAX, NULL, 0 },
	[ARG_WARN] =	 { V_STR, "MESSAGE", 0, 0, NULL, 0 },
	[ARG_RATECAP] =	 { V_INT, "SECONDS", 0, 86400, NULL, 0 },
	[ARG_INTR_IPL] = { V_ENUM, "IPL", 0, 0, intr_ipls, 0 },
	[ARG_RATE_HZ] =	 { V_NUM, "HZ", 0, 10000000, NULL, 0 },
	[ARG_DIST] =	 { V_ENUM, "DIST", 0, 0, dists, 0 },
	[ARG_BURST] =	 { V_INT, "N", 1, 100000, NULL, 0 },
	[ARG_TARGET] =	 { V_ENUM, "TARGET", 0, 0, targets, 0 },
	[ARG_CPU] =	 { V_INT, "CPU", 0, 255, NULL, 0 },
	[ARG_PAUSE] =	 { V_STR, NULL, 0, 0, NULL, 0 },
	[ARG_RESUME] =	 { V_STR, NULL, 0, 0, NULL, 0 },
	[ARG_POOL] =	 { V_STR, "POOL", 0, 0, NULL, 0 },
	[ARG_SINCE] =	 { V_TIME, "TIME", 0, 0, NULL, 0 },
	[ARG_UNTIL] =	 { V_TIME, "TIME", 0, 0, NULL, 0 },
	[ARG_RATE] =	 { V_STR, NULL, 0, 0, NULL, 0 },
	[ARG_FORMAT] =	 { V_ENUM, "FORMAT", 0, 0, formats, 0 },
	[ARG_OUTPUT] =	 { V_STR, "FILE", 0, 0, NULL, 0 },
	[ARG_FIELD] =	 { V_STR, "FIELD", 0, 0, NULL, 1 },
	[ARG_TABLE] =	 { V_ENUM, "TABLE", 0, 0, tables, 0 },
	[ARG_INTERVAL] = { V_DUR, "T", 0, 0, NULL, 0 },
	[ARG_LIMIT] =	 { V_INT, "N", 1, 1000, NULL, 0 },
	[ARG_VIEW] =	 { V_ENUM, "VIEW", 0, 0, views, 0 },
	[ARG_DETACH] =	 { V_STR, NULL, 0, 0, NULL, 0 },
	[ARG_COUNT_PING] = { V_INT, "N", 1, 1000000, NULL, 0 },
};

#define ENDTABLE	{ T_ENDTABLE, NULL, 0, NULL, NULL }
#define END		{ T_END, NULL, 0, NULL, NULL }

static const struct token t_end[] = { END, ENDTABLE };

static const struct token t_opt_pool[] = {
	END,
	{ T_VALUE, "POOL", ARG_NAME, t_end, "one pool, in detail" },
	ENDTABLE
};

static const struct token t_opt_arena[] = {
	END,
	{ T_VALUE, "ARENA", ARG_NAME, t_end,
	    "one arena: segment map and freelists" },
	ENDTABLE
};

static const struct token t_opt_extent[] = {
	END,
	{ T_VALUE, "EXTENT", ARG_NAME, t_end,
	    "one extent: its regions and a bar of the space" },
	ENDTABLE
};

static const struct token t_events[] = {
	END,
	{ T_OPTION, "--run", ARG_RUN, t_events, "events of this run" },
	{ T_OPTION, "--limit", ARG_LIMIT, t_events,
	    "the last N events (default 100)" },
	ENDTABLE
};

static const struct token t_show[] = {
	{ T_KEYWORD, "machine", ACT_SHOW_MACHINE, t_end,
	    "the machine: state, configuration, uptime" },
	{ T_KEYWORD, "pools", ACT_SHOW_POOLS, t_opt_pool,
	    "pools (vmstat -m columns), or one pool in detail" },
	{ T_KEYWORD, "caches", ACT_SHOW_CACHES, t_opt_pool,
	    "pool caches (vmstat -C columns), or one per CPU" },
	{ T_KEYWORD, "kmem", ACT_SHOW_KMEM, t_end,
	    "kmem(9): size classes and large allocations" },
	{ T_KEYWORD, "vmem", ACT_SHOW_VMEM, t_opt_arena,
	    "vmem(9) arenas, or one in detail" },
	{ T_KEYWORD, "extent", ACT_SHOW_EXTENT, t_opt_extent,
	    "extent(9) maps, or one in detail" },
	{ T_KEYWORD, "intr", ACT_SHOW_INTR, t_end, "interrupt sources" },
	{ T_KEYWORD, "events", ACT_SHOW_EVENTS, t_events,
	    "events: boots, panics, hard limits, workloads" },
	ENDTABLE
};

static const struct token t_vmstat[] = {
	{ T_REST, "[-CmvW] [-c count] [-w wait]", 0, NULL,
	    "vmstat's own flags" },
	ENDTABLE
};

#define RUN_OPTIONS(next)						\
	{ T_OPTION, "--cpus", ARG_CPUS, next, "CPUs the workload runs on" },\
	{ T_OPTION, "--duration", ARG_DURATION, next,			\
	    "stop after T (10, 10s, 500ms, 2m)" },			\
	{ T_OPTION, "--ops", ARG_OPS, next, "stop after N operations" },\
	{ T_OPTION, "--seed", ARG_SEED, next, "the workload's seed" },	\
	{ T_OPTION, "--param", ARG_PARAM, next,				\
	    "a workload parameter (repeatable)" },			\
	{ T_FLAG, "--detach", ARG_DETACH, next,				\
	    "start it and return at once" }

static const struct token t_run_opts[] = {
	END,
	RUN_OPTIONS(t_run_opts),
	ENDTABLE
};

static const struct token t_run[] = {
	{ T_VALUE, "WORKLOAD|FILE", ARG_WORKLOAD, t_run_opts,
	    "a built-in workload (workload list) or a workload file" },
	ENDTABLE
};

static const struct token t_opt_id[] = {
	END,
	{ T_VALUE, "WORKLOAD", ARG_NAME, t_end, "a workload" },
	ENDTABLE
};

static const struct token t_workload[] = {
	{ T_KEYWORD, "list", ACT_WORKLOAD_LIST, t_end,
	    "the built-in workloads and their parameters" },
	{ T_KEYWORD, "show", ACT_WORKLOAD_SHOW, t_opt_id,
	    "a built-in workload, or the running one" },
	{ T_KEYWORD, "status", ACT_WORKLOAD_STATUS, t_end,
	    "the running workload's progress" },
	{ T_KEYWORD, "stop", ACT_WORKLOAD_STOP, t_end,
	    "stop the running workload" },
	ENDTABLE
};

#define BOOT_OPTIONS(next)						\
	{ T_OPTION, "--ncpu", ARG_NCPU, next, "CPUs, 1 to 256" },	\
	{ T_OPTION, "--page-size", ARG_PAGESIZE, next,			\
	    "bytes, a power of two from 4K to 64K" },			\
	{ T_OPTION, "--physmem", ARG_PHYSMEM, next,			\
	    "bytes of RAM (256M)" },					\
	{ T_OPTION, "--mode", ARG_MODE, next,				\
	    "parallel or deterministic" },				\
	{ T_OPTION, "--seed", ARG_SEED, next, "the machine's seed" },	\
	{ T_OPTION, "--hz", ARG_HZ, next, "clock ticks a second" },	\
	{ T_OPTION, "--option", ARG_OPTION, next,			\
	    "a debug option: DIAGNOSTIC, KMEM_GUARD, ... (repeatable)" },\
	{ T_OPTION, "--kva-size", ARG_KVASIZE, next, "kernel VA bytes" }

static const struct token t_boot_opts[] = {
	END,
	BOOT_OPTIONS(t_boot_opts),
	ENDTABLE
};

static const struct token t_boot[] = {
	END,
	{ T_VALUE, "CONFIG", ARG_FILE, t_boot_opts,
	    "a machine configuration file (contrib/machines/)" },
	BOOT_OPTIONS(t_boot_opts),
	ENDTABLE
};

static const struct token t_machine[] = {
	{ T_KEYWORD, "info", ACT_MACHINE_INFO, t_end,
	    "state, configuration and uptime" },
	{ T_KEYWORD, "boot", ACT_MACHINE_BOOT, t_boot,
	    "boot a machine (the configured one, changed by the options)" },
	{ T_KEYWORD, "reboot", ACT_MACHINE_REBOOT, t_boot,
	    "shut the machine down and boot another" },
	{ T_KEYWORD, "shutdown", ACT_MACHINE_SHUTDOWN, t_end,
	    "shut the machine down" },
	ENDTABLE
};

static const struct token t_pool_create_opts[] = {
	END,
	{ T_OPTION, "--align", ARG_ALIGN, t_pool_create_opts,
	    "item alignment, a power of two" },
	{ T_OPTION, "--ipl", ARG_IPL, t_pool_create_opts,
	    "highest IPL the pool is used at (none)" },
	{ T_FLAG, "--cache", ARG_CACHE, t_pool_create_opts,
	    "a pool_cache(9) in front of the pool" },
	{ T_OPTION, "--flag", ARG_PRFLAG, t_pool_create_opts,
	    "PR_NOTOUCH, PR_NOALIGN, PR_LARGECACHE, PR_PSERIALIZE" },
	{ T_OPTION, "--lowat", ARG_LOWAT, t_pool_create_opts,
	    "pool_setlowat(9) at once" },
	{ T_OPTION, "--hiwat", ARG_HIWAT, t_pool_create_opts,
	    "pool_sethiwat(9) at once" },
	{ T_OPTION, "--hardlimit", ARG_HARDLIMIT, t_pool_create_opts,
	    "pool_sethardlimit(9) at once" },
	{ T_OPTION, "--warn", ARG_WARN, t_pool_create_opts,
	    "message when the hard limit fails a get" },
	{ T_OPTION, "--ratecap", ARG_RATECAP, t_pool_create_opts,
	    "seconds between two such messages (60)" },
	ENDTABLE
};

static const struct token t_pool_create_size[] = {
	{ T_VALUE, "SIZE", ARG_SIZE, t_pool_create_opts, "item size" },
	ENDTABLE
};

static const struct token t_pool_create[] = {
	{ T_VALUE, "POOL", ARG_NAME, t_pool_create_size,
	    "the new pool's name, at most 15 characters" },
	ENDTABLE
};

static const struct token t_pool_name[] = {
	{ T_VALUE, "POOL", ARG_NAME, t_end, "a pool" },
	ENDTABLE
};

static const struct token t_pool_count[] = {
	{ T_VALUE, "N", ARG_COUNT, t_end, "a number of items" },
	ENDTABLE
};

static const struct token t_pool_count_name[] = {
	{ T_VALUE, "POOL", ARG_NAME, t_pool_count, "a pool" },
	ENDTABLE
};

static const struct token t_hardlimit_opts[] = {
	END,
	{ T_OPTION, "--warn", ARG_WARN, t_hardlimit_opts,
	    "message logged when the limit is reached" },
	{ T_OPTION, "--ratecap", ARG_RATECAP, t_hardlimit_opts,
	    "seconds between two such messages" },
	ENDTABLE
};

static const struct token t_hardlimit_count[] = {
	{ T_VALUE, "N", ARG_COUNT, t_hardlimit_opts, "items out at most" },
	ENDTABLE
};

static const struct token t_hardlimit[] = {
	{ T_VALUE, "POOL", ARG_NAME, t_hardlimit_count, "a pool" },
	ENDTABLE
};

static const struct token t_pool[] = {
	{ T_KEYWORD, "create", ACT_POOL_CREATE, t_pool_create,
	    "pool_init(9) a pool (with --cache, pool_cache_init)" },
	{ T_KEYWORD, "destroy", ACT_POOL_DESTROY, t_pool_name,
	    "pool_destroy(9) a pool created with pool create" },
	{ T_KEYWORD, "setlowat", ACT_POOL_SETLOWAT, t_pool_count_name,
	    "pool_setlowat(9): keep at least N free items" },
	{ T_KEYWORD, "sethiwat", ACT_POOL_SETHIWAT, t_pool_count_name,
	    "pool_sethiwat(9): keep at most N free items' pages" },
	{ T_KEYWORD, "sethardlimit", ACT_POOL_SETHARDLIMIT, t_hardlimit,
	    "pool_sethardlimit(9): at most N items out" },
	{ T_KEYWORD, "prime", ACT_POOL_PRIME, t_pool_count_name,
	    "pool_prime(9): add pages for N items" },
	{ T_KEYWORD, "reclaim", ACT_POOL_RECLAIM, t_pool_name,
	    "pool_reclaim(9): give idle pages back" },
	ENDTABLE
};

#define INTR_OPTIONS(next)						\
	{ T_OPTION, "--ipl", ARG_INTR_IPL, next,			\
	    "the handler's IPL: vm (default), sched or high" },	\
	{ T_OPTION, "--rate", ARG_RATE_HZ, next,			\
	    "arrivals a second (100)" },				\
	{ T_OPTION, "--distribution", ARG_DIST, next,			\
	    "arrivals: periodic (default), poisson or burst" },	\
	{ T_OPTION, "--burst", ARG_BURST, next,				\
	    "arrivals a burst" },					\
	{ T_OPTION, "--target", ARG_TARGET, next,			\
	    "cpu (default), all, or rr (the CPUs in turn)" },		\
	{ T_OPTION, "--cpu", ARG_CPU, next,				\
	    "the CPU of --target cpu (0)" },				\
	{ T_FLAG, "--pause", ARG_PAUSE, next, "hold its arrivals" }

static const struct token t_intr_opts[] = {
	END,
	INTR_OPTIONS(t_intr_opts),
	ENDTABLE
};

static const struct token t_intr_add[] = {
	{ T_VALUE, "SOURCE", ARG_NAME, t_intr_opts,
	    "the new source's name" },
	ENDTABLE
};

static const struct token t_intr_set_opts[] = {
	END,
	INTR_OPTIONS(t_intr_set_opts),
	{ T_FLAG, "--resume", ARG_RESUME, t_intr_set_opts,
	    "let its arrivals come again" },
	ENDTABLE
};

static const struct token t_intr_set[] = {
	{ T_VALUE, "SOURCE", ARG_NAME, t_intr_set_opts,
	    "an interrupt source" },
	ENDTABLE
};

static const struct token t_intr_remove[] = {
	{ T_VALUE, "SOURCE", ARG_NAME, t_end, "an interrupt source" },
	ENDTABLE
};

static const struct token t_intr[] = {
	{ T_KEYWORD, "list", ACT_INTR_LIST, t_end, "interrupt sources" },
	{ T_KEYWORD, "add", ACT_INTR_ADD, t_intr_add,
	    "add an interrupt source" },
	{ T_KEYWORD, "set", ACT_INTR_SET, t_intr_set,
	    "change an interrupt source" },
	{ T_KEYWORD, "remove", ACT_INTR_REMOVE, t_intr_remove,
	    "remove an interrupt source" },
	ENDTABLE
};

static const struct token t_trace_stop[] = {
	END,
	{ T_OPTION, "-o", ARG_OUTPUT, t_trace_stop,
	    "write the trace to FILE (default: standard output)" },
	ENDTABLE
};

static const struct token t_trace_replay_opts[] = {
	END,
	{ T_FLAG, "--detach", ARG_DETACH, t_trace_replay_opts,
	    "start it and return at once" },
	ENDTABLE
};

static const struct token t_trace_replay[] = {
	{ T_VALUE, "FILE", ARG_FILE, t_trace_replay_opts,
	    "a trace written by trace stop" },
	ENDTABLE
};

static const struct token t_trace[] = {
	{ T_KEYWORD, "record", ACT_TRACE_RECORD, t_end,
	    "record every allocation and free from now on" },
	{ T_KEYWORD, "stop", ACT_TRACE_STOP, t_trace_stop,
	    "stop recording and write the trace" },
	{ T_KEYWORD, "replay", ACT_TRACE_REPLAY, t_trace_replay,
	    "replay a trace as a workload" },
	ENDTABLE
};

static const struct token t_runs[] = {
	END,
	{ T_OPTION, "--limit", ARG_LIMIT, t_runs, "the last N runs" },
	ENDTABLE
};

static const struct token t_export[] = {
	END,
	{ T_OPTION, "--run", ARG_RUN, t_export, "this run (default: all)" },
	{ T_OPTION, "--table", ARG_TABLE, t_export,
	    "machine, pools, caches, vmem, extents or events" },
	{ T_OPTION, "--pool", ARG_POOL, t_export, "only this pool" },
	{ T_OPTION, "--since", ARG_SINCE, t_export,
	    "from TIME: Unix seconds, 2026-11-26T10:00, or -10m" },
	{ T_OPTION, "--until", ARG_UNTIL, t_export, "up to TIME" },
	{ T_FLAG, "--rate", ARG_RATE, t_export,
	    "counters as rates a second" },
	{ T_OPTION, "--format", ARG_FORMAT, t_export,
	    "csv (default), json or ndjson" },
	{ T_OPTION, "-o", ARG_OUTPUT, t_export,
	    "write to FILE (default: standard output)" },
	ENDTABLE
};

static const struct token t_plot[] = {
	END,
	{ T_OPTION, "--run", ARG_RUN, t_plot, "this run (default: last)" },
	{ T_OPTION, "--pool", ARG_POOL, t_plot,
	    "a pool (without: the machine's counters)" },
	{ T_OPTION, "--field", ARG_FIELD, t_plot,
	    "a field to plot, one line each (repeatable)" },
	{ T_OPTION, "--since", ARG_SINCE, t_plot, "from TIME" },
	{ T_OPTION, "--until", ARG_UNTIL, t_plot, "up to TIME" },
	{ T_FLAG, "--rate", ARG_RATE, t_plot, "counters as rates a second" },
	{ T_OPTION, "-o", ARG_OUTPUT, t_plot, "the SVG file to write" },
	ENDTABLE
};

static const struct token t_diff_opts[] = {
	END,
	{ T_OPTION, "--pool", ARG_POOL, t_diff_opts, "only this pool" },
	ENDTABLE
};

static const struct token t_diff_b[] = {
	{ T_VALUE, "RUN_B", ARG_RUN_B, t_diff_opts, "the second run" },
	ENDTABLE
};

static const struct token t_diff[] = {
	{ T_VALUE, "RUN_A", ARG_RUN_A, t_diff_b, "the first run" },
	ENDTABLE
};

static const struct token t_history[] = {
	{ T_KEYWORD, "runs", ACT_HISTORY_RUNS, t_runs,
	    "machines booted, newest first" },
	{ T_KEYWORD, "export", ACT_HISTORY_EXPORT, t_export,
	    "samples as CSV, JSON or NDJSON" },
	{ T_KEYWORD, "plot", ACT_HISTORY_PLOT, t_plot,
	    "an SVG line chart of fields over time" },
	{ T_KEYWORD, "diff", ACT_HISTORY_DIFF, t_diff,
	    "per-pool differences between two runs" },
	ENDTABLE
};

static const struct token t_top[] = {
	END,
	{ T_OPTION, "--interval", ARG_INTERVAL, t_top,
	    "seconds between updates (1)" },
	{ T_OPTION, "--view", ARG_VIEW, t_top,
	    "first view: pools, caches, vmem, extents, cpus or intr" },
	ENDTABLE
};

static const struct token t_ping[] = {
	END,
	{ T_OPTION, "-c", ARG_COUNT_PING, t_ping, "N round trips (1)" },
	{ T_OPTION, "--interval", ARG_INTERVAL, t_ping,
	    "between round trips (1s)" },
	ENDTABLE
};

static const struct token t_main[] = {
	{ T_KEYWORD, "show", ACT_NONE, t_show, "the machine's state" },
	{ T_KEYWORD, "vmstat", ACT_VMSTAT, t_vmstat,
	    "NetBSD's vmstat -m, -mW and -C, byte for byte" },
	{ T_KEYWORD, "run", ACT_RUN, t_run,
	    "run a workload: progress, then a summary" },
	{ T_KEYWORD, "workload", ACT_NONE, t_workload,
	    "built-in workloads, the running one" },
	{ T_KEYWORD, "machine", ACT_NONE, t_machine,
	    "the simulated machine" },
	{ T_KEYWORD, "pool", ACT_NONE, t_pool, "pool(9) operations" },
	{ T_KEYWORD, "intr", ACT_NONE, t_intr, "interrupt sources" },
	{ T_KEYWORD, "trace", ACT_NONE, t_trace,
	    "record and replay allocation traces" },
	{ T_KEYWORD, "history", ACT_NONE, t_history,
	    "the recorded statistics" },
	{ T_KEYWORD, "top", ACT_TOP, t_top, "the live view" },
	{ T_KEYWORD, "ping", ACT_PING, t_ping, "check that nbmemd answers" },
	{ T_KEYWORD, "help", ACT_HELP, t_end, "every command" },
	ENDTABLE
};

static const struct {
	enum action	 an_action;
	const char	*an_name;
} action_names[] = {
	{ ACT_HELP, "help" },
	{ ACT_SHOW_MACHINE, "show machine" },
	{ ACT_SHOW_POOLS, "show pools" },
	{ ACT_SHOW_CACHES, "show caches" },
	{ ACT_SHOW_KMEM, "show kmem" },
	{ ACT_SHOW_VMEM, "show vmem" },
	{ ACT_SHOW_EXTENT, "show extent" },
	{ ACT_SHOW_INTR, "show intr" },
	{ ACT_SHOW_EVENTS, "show events" },
	{ ACT_VMSTAT, "vmstat" },
	{ ACT_RUN, "run" },
	{ ACT_WORKLOAD_LIST, "workload list" },
	{ ACT_WORKLOAD_SHOW, "workload show" },
	{ ACT_WORKLOAD_STATUS, "workload status" },
	{ ACT_WORKLOAD_STOP, "workload stop" },
	{ ACT_MACHINE_INFO, "machine info" },
	{ ACT_MACHINE_BOOT, "machine boot" },
	{ ACT_MACHINE_REBOOT, "machine reboot" },
	{ ACT_MACHINE_SHUTDOWN, "machine shutdown" },
	{ ACT_POOL_CREATE, "pool create" },
	{ ACT_POOL_DESTROY, "pool destroy" },
	{ ACT_POOL_SETLOWAT, "pool setlowat" },
	{ ACT_POOL_SETHIWAT, "pool sethiwat" },
	{ ACT_POOL_SETHARDLIMIT, "pool sethardlimit" },
	{ ACT_POOL_PRIME, "pool prime" },
	{ ACT_POOL_RECLAIM, "pool reclaim" },
	{ ACT_INTR_LIST, "intr list" },
	{ ACT_INTR_ADD, "intr add" },
	{ ACT_INTR_SET, "intr set" },
	{ ACT_INTR_REMOVE, "intr remove" },
	{ ACT_TRACE_RECORD, "trace record" },
	{ ACT_TRACE_STOP, "trace stop" },
	{ ACT_TRACE_REPLAY, "trace replay" },
	{ ACT_HISTORY_RUNS, "history runs" },
	{ ACT_HISTORY_EXPORT, "history export" },
	{ ACT_HISTORY_PLOT, "history plot" },
	{ ACT_HISTORY_DIFF, "history diff" },
	{ ACT_TOP, "top" },
	{ ACT_PING, "ping" },
};

const char *
parse_action_name(enum action a)
{
	size_t i;

	for (i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (action_names[i].an_action == a)
			return action_names[i].an_name;
	return "nbmemctl";
}

/* ------------------------------------------------------------ values */

/*
 * parse_size: bytes, as a decimal or 0x hexadecimal integer with an
 * optional binary suffix K, M, G or T (also KB, KiB; any case).
 */
int
parse_size(const char *s, int64_t *vp)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (*end != '\0') {
		end++;
		if (strcasecmp(end, "iB") == 0 || strcasecmp(end, "B") == 0)
			end += strlen(end);
	}
	if (*end != '\0' || v > (unsigned long long)(INT64_MAX >> shift))
		return -1;
	*vp = (int64_t)(v << shift);
	return 0;
}

/* parse_duration: seconds from 10, 1.5, 10s, 500ms, 2m, 1h. */
int
parse_duration(const char *s, double *vp)
{
	static const struct {
		const char	*u;
		double		 mul;
	} units[] = {
		{ "", 1 }, { "s", 1 }, { "ms", 1e-3 }, { "us", 1e-6 },
		{ "m", 60 }, { "min", 60 }, { "h", 3600 },
	};
	char *end;
	double v;
	size_t i;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(v) || v < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].u) == 0) {
			*vp = v * units[i].mul;
			return 0;
		}
	}
	return -1;
}

/*
 * parse_time: a point in time as Unix seconds: a plain number of seconds,
 * -DURATION (that long before now), or a local date and time
 * YYYY-MM-DD[THH:MM[:SS]].
 */
int
parse_time(const char *s, double now, double *vp)
{
	struct tm tm;
	const char *const fmts[] = {
		"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
		"%Y-%m-%d %H:%M", "%Y-%m-%d",
	};
	char *end;
	double d;
	size_t i;

	if (*s == '-') {
		if (parse_duration(s + 1, &d) != 0)
			return -1;
		*vp = now - d;
		return 0;
	}
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (end != NULL && *end == '\0') {
			tm.tm_isdst = -1;
			*vp = (double)mktime(&tm);
			return 0;
		}
	}
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(d) || d < 0)
		return -1;
	*vp = d;
	return 0;
}

static int
parse_int(const char *s, int64_t *vp)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*vp = v;
	return 0;
}

/*
 * match_choice: the index of s in a NULL-terminated list, taking a unique
 * prefix (case-insensitive, so --option kmem_guard works); -1 if none,
 * -2 if several.
 */
static int
match_choice(const char *const *choices, const char *s)
{
	size_t len = strlen(s);
	int i, found = -1;

	for (i = 0; choices[i] != NULL; i++) {
		if (strcasecmp(choices[i], s) == 0)
			return i;
		if (len > 0 && strncasecmp(choices[i], s, len) == 0)
			found = found == -1 ? i : -2;
	}
	return found;
}

static void
print_choices(const char *const *choices)
{
	int i;

	for (i = 0; choices[i] != NULL; i++)
		fprintf(stderr, "%s%s", i == 0 ? "" : ", ", choices[i]);
}

/* Say what range an integer argument takes. */
static void
print_range(const struct argspec *as)
{

	if (as->as_kind == V_SIZE)
		fprintf(stderr, "a size in bytes from %" PRId64 " to %" PRId64
		    " (suffixes K, M, G, T)", as->as_min, as->as_max);
	else if (as->as_max == I64MAX)
		fprintf(stderr, "an integer of at least %" PRId64, as->as_min);
	else
		fprintf(stderr, "an integer from %" PRId64 " to %" PRId64,
		    as->as_min, as->as_max);
}

/*
 * set_value: check word as the value of argument a, named `what' in
 * messages, and store it.
 */
static int
set_value(struct parse_result *res, enum arg a, const char *what,
    const char *word)
{
	const struct argspec *as = &argspecs[a];
	struct parse_arg *pa = &res->args[a];
	struct timespec ts;
	const char *eq;
	char *end;
	int64_t v = 0;
	double d = 0;
	int c;

	if (pa->pa_set && !as->as_repeat) {
		fprintf(stderr, "nbmemctl: %s given twice (\"%s\", then "
		    "\"%s\"); give it once\n", what, pa->pa_str, word);
		return -1;
	}
	switch (as->as_kind) {
	case V_STR:
		if (*word == '\0' || strlen(word) > 1024) {
			fprintf(stderr, "nbmemctl: %s: expected a word of 1 "
			    "to 1024 characters\n", what);
			return -1;
		}
		break;
	case V_INT:
	case V_SIZE:
		if ((as->as_kind == V_INT ? parse_int(word, &v) :
		    parse_size(word, &v)) != 0) {
			fprintf(stderr, "nbmemctl: %s: \"%s\" is not %s; give ",
			    what, word, as->as_kind == V_INT ? "an integer" :
			    "a size");
			print_range(as);
			fputc('\n', stderr);
			return -1;
		}
		if (v < as->as_min || v > as->as_max) {
			fprintf(stderr, "nbmemctl: %s: %s is out of range; "
			    "give ", what, word);
			print_range(as);
			fputc('\n', stderr);
			return -1;
		}
		break;
	case V_NUM:
		errno = 0;
		d = strtod(word, &end);
		if (errno != 0 || end == word || *end != '\0' ||
		    !isfinite(d) || d < as->as_min || d > as->as_max ||
		    (d == 0 && as->as_min == 0)) {
			fprintf(stderr, "nbmemctl: %s: \"%s\" is not a number "
			    "above %" PRId64 " and at most %" PRId64 "\n", what,
			    word, as->as_min, as->as_max);
			return -1;
		}
		break;
	case V_DUR:
		if (parse_duration(word, &d) != 0) {
			fprintf(stderr, "nbmemctl: %s: \"%s\" is not a "
			    "duration; give seconds, or a number with s, ms, "
			    "m or h (10, 2.5s, 500ms, 2m)\n", what, word);
			return -1;
		}
		break;
	case V_TIME:
		clock_gettime(CLOCK_REALTIME, &ts);
		if (parse_time(word, (double)ts.tv_sec + ts.tv_nsec / 1e9,
		    &d) != 0) {
			fprintf(stderr, "nbmemctl: %s: \"%s\" is not a time; "
			    "give Unix seconds, a local time such as "
			    "2026-11-26T10:00, or -10m for ten minutes ago\n",
			    what, word);
			return -1;
		}
		break;
	case V_ENUM:
		if ((c = match_choice(as->as_choices, word)) < 0) {
			fprintf(stderr, "nbmemctl: %s: \"%s\" is %s; give one "
			    "of ", what, word, c == -2 ? "ambiguous" :
			    "not known");
			print_choices(as->as_choices);
			fputc('\n', stderr);
			return -1;
		}
		v = c;
		word = as->as_choices[c];
		break;
	case V_PARAM:
		if ((eq = strchr(word, '=')) == NULL || eq == word) {
			fprintf(stderr, "nbmemctl: %s: \"%s\" is not "
			    "KEY=VALUE\n", what, word);
			return -1;
		}
		break;
	}
	if (pa->pa_set && pa->pa_nlist >= PARSE_MAXLIST) {
		fprintf(stderr, "nbmemctl: %s: at most %d times\n", what,
		    PARSE_MAXLIST);
		return -1;
	}
	pa->pa_set = true;
	pa->pa_str = word;
	pa->pa_int = v;
	pa->pa_num = d;
	pa->pa_list[pa->pa_nlist++] = word;
	return 0;
}

/* ------------------------------------------------------------ help texts */

static bool
table_has(const struct token *t, enum token_type type)
{

	for (; t->t_type != T_ENDTABLE; t++)
		if (t->t_type == type)
			return true;
	return false;
}

/*
 * meta: an option's value in help texts: its choices when there are at
 * most three (csv|json|ndjson), its placeholder otherwise.
 */
static const char *
meta(const struct argspec *as, char *buf, size_t len)
{
	size_t off = 0;
	int i, n = 0;

	while (as->as_kind == V_ENUM && as->as_choices[n] != NULL)
		n++;
	if (n < 2 || n > 3)
		return as->as_meta;
	buf[0] = '\0';
	for (i = 0; as->as_choices[i] != NULL && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i > 0 ? "|" : "", as->as_choices[i]);
	return buf;
}

/* Append a, then b (if not NULL), to buf. */
static void
cat(char *buf, size_t len, const char *a, const char *b)
{
	size_t n = strlen(buf);

	if (n < len)
		snprintf(buf + n, len - n, "%s%s", a, b != NULL ? b : "");
}

/*
 * positional: the positional part of a table's synopsis -- keywords as
 * a|b|c, or a value's placeholder followed by what comes after it --
 * bracketed when the command may end before it.
 */
static void
positional(const struct token *table, char *buf, size_t len)
{
	const struct token *t;
	bool end = table_has(table, T_END), first = true;

	if (table_has(table, T_KEYWORD)) {
		cat(buf, len, end ? "[" : "", NULL);
		for (t = table; t->t_type != T_ENDTABLE; t++) {
			if (t->t_type != T_KEYWORD)
				continue;
			cat(buf, len, first ? "" : "|", t->t_keyword);
			first = false;
		}
		cat(buf, len, end ? "]" : "", NULL);
		return;
	}
	for (t = table; t->t_type != T_ENDTABLE; t++) {
		if (t->t_type == T_REST) {
			cat(buf, len, *buf != '\0' ? " " : "",
			    t->t_keyword);
			return;
		}
		if (t->t_type != T_VALUE)
			continue;
		cat(buf, len, *buf != '\0' ? " " : "", end ? "[" : "");
		cat(buf, len, t->t_keyword, NULL);
		if (t->t_next != table)
			positional(t->t_next, buf, len);
		cat(buf, len, end ? "]" : "", NULL);
		return;
	}
}

/* The options of a table and of the tables its values lead to. */
static void
options(const struct token *table, char *buf, size_t len,
    const char **seen, int *nseen)
{
	const struct token *t;
	const struct argspec *as;
	char m[128];
	int i;

	for (t = table; t->t_type != T_ENDTABLE; t++) {
		if (t->t_type == T_VALUE && t->t_next != table)
			options(t->t_next, buf, len, seen, nseen);
		if (t->t_type != T_OPTION && t->t_type != T_FLAG)
			continue;
		for (i = 0; i < *nseen; i++)
			if (strcmp(seen[i], t->t_keyword) == 0)
				break;
		if (i < *nseen || *nseen >= 64)
			continue;
		seen[(*nseen)++] = t->t_keyword;
		as = &argspecs[t->t_value];
		cat(buf, len, " [", t->t_keyword);
		if (t->t_type == T_OPTION)
			cat(buf, len, " ", meta(as, m, sizeof(m)));
		cat(buf, len, as->as_repeat ? " ..." : "", "]");
	}
}

/* synopsis: what may follow a word, built from the tables. */
static void
synopsis(const struct token *table, char *buf, size_t len)
{
	const char *seen[64];
	int nseen = 0;

	buf[0] = '\0';
	if (table == NULL)
		return;
	positional(table, buf, len);
	options(table, buf, len, seen, &nseen);
	if (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
}

/* The left column of show_valid's line for an entry. */
static void
valid_left(const struct token *table, const struct token *t, char *left,
    size_t len)
{
	char syn[512];

	switch (t->t_type) {
	case T_END:
		snprintf(left, len, "<end>");
		break;
	case T_KEYWORD:
	case T_FLAG:
		synopsis(t->t_next == table ? NULL : t->t_next, syn,
		    sizeof(syn));
		snprintf(left, len, "%s%s%s", t->t_keyword, *syn != '\0' ?
		    " " : "", syn);
		break;
	case T_OPTION:
		snprintf(left, len, "%s %s", t->t_keyword,
		    meta(&argspecs[t->t_value], syn, sizeof(syn)));
		break;
	default:
		snprintf(left, len, "%s", t->t_keyword);
		break;
	}
}

/* show_valid: the words that may come next, one a line. */
static void
show_valid(const struct token *table)
{
	const struct token *t;
	char left[600];
	int w = 0;

	for (t = table; t->t_type != T_ENDTABLE; t++) {
		valid_left(table, t, left, sizeof(left));
		if ((int)strlen(left) > w)
			w = (int)strlen(left);
	}
	for (t = table; t->t_type != T_ENDTABLE; t++) {
		valid_left(table, t, left, sizeof(left));
		if (w > 40)
			fprintf(stderr, "  %s\n      %s\n", left,
			    t->t_type == T_END ? "(the command may end here)" :
			    t->t_descr);
		else
			fprintf(stderr, "  %-*s  %s\n", w, left,
			    t->t_type == T_END ? "(the command may end here)" :
			    t->t_descr);
	}
}

/*
 * help_line: "  " and text, broken before " [" where it would pass 79
 * columns, continued 8 columns in; then the description, 6 in.
 */
static void
help_line(FILE *f, const char *text, const char *descr)
{
	const char *p = text, *brk;
	int col = 2, n;

	fputs("  ", f);
	while (*p != '\0') {
		brk = strstr(p + 1, " [");
		n = brk != NULL ? (int)(brk - p) : (int)strlen(p);
		if (col + n > 79 && col > 8) {
			fputs("\n        ", f);
			col = 8;
			if (*p == ' ') {
				p++;
				n--;
			}
		}
		fprintf(f, "%.*s", n, p);
		col += n;
		p += n;
	}
	fprintf(f, "\n      %s\n", descr);
}

void
parse_help(FILE *f)
{
	const struct token *m, *s;
	char syn[512], left[600];

	fprintf(f, "usage: nbmemctl [-jnv] [-s socket] command "
	    "[argument ...]\n\ncommands (any unique prefix will do: "
	    "nbmemctl sh po):\n");
	for (m = t_main; m->t_type != T_ENDTABLE; m++) {
		if (!table_has(m->t_next, T_KEYWORD)) {
			synopsis(m->t_next, syn, sizeof(syn));
			snprintf(left, sizeof(left), "%s%s%s", m->t_keyword,
			    *syn != '\0' ? " " : "", syn);
			help_line(f, left, m->t_descr);
			continue;
		}
		for (s = m->t_next; s->t_type != T_ENDTABLE; s++) {
			if (s->t_type != T_KEYWORD)
				continue;
			synopsis(s->t_next, syn, sizeof(syn));
			snprintf(left, sizeof(left), "%s %s%s%s", m->t_keyword,
			    s->t_keyword, *syn != '\0' ? " " : "", syn);
			help_line(f, left, s->t_descr);
		}
	}
	fprintf(f, "\noptions:\n"
	    "  -j         JSON: the daemon's reply, for every show command\n"
	    "  -n         no header lines\n"
	    "  -s socket  nbmemd's control socket (default\n"
	    "             %s)\n"
	    "  -v         more detail; twice, the protocol on stderr\n",
	    "$XDG_RUNTIME_DIR/nbmemd.sock or /tmp/nbmemd-UID/sock");
}

/* ------------------------------------------------------------ matching */

/*
 * match_token: the entry of table that takes word.
 * => NULL with the reason printed when no entry or several do.
 */
static const struct token *
match_token(const struct token *table, const char *word, const char *after,
    bool quiet)
{
	const struct token *t, *match = NULL, *value = NULL;
	size_t len = strlen(word);
	int nmatch = 0, i;

	for (t = table; t->t_type != T_ENDTABLE; t++) {
		switch (t->t_type) {
		case T_KEYWORD:
		case T_FLAG:
		case T_OPTION:
			if (strcmp(word, t->t_keyword) == 0)
				return t;
			if (len > 0 && strncmp(word, t->t_keyword, len) == 0) {
				match = t;
				nmatch++;
			}
			break;
		case T_VALUE:
		case T_REST:
			if (value == NULL)
				value = t;
			break;
		default:
			break;
		}
	}
	if (nmatch == 1)
		return match;
	if (quiet)
		return nmatch == 0 && value != NULL && word[0] != '-' ? value :
		    NULL;
	if (nmatch > 1) {
		fprintf(stderr, "nbmemctl: \"%s\" after \"%s\" is ambiguous: "
		    "it could be ", word, after);
		for (t = table, i = 0; t->t_type != T_ENDTABLE; t++) {
			if ((t->t_type == T_KEYWORD || t->t_type == T_FLAG ||
			    t->t_type == T_OPTION) &&
			    strncmp(word, t->t_keyword, len) == 0) {
				fprintf(stderr, "%s%s", i == 0 ? "" :
				    i == nmatch - 1 ? " or " : ", ",
				    t->t_keyword);
				i++;
			}
		}
		fprintf(stderr, "; type more of it\n");
		return NULL;
	}
	if (value != NULL && (word[0] != '-' || value->t_type == T_REST))
		return value;
	fprintf(stderr, "nbmemctl: unknown %s \"%s\" after \"%s\"; valid "
	    "here:\n", word[0] == '-' ? "option" : "word", word, after);
	show_valid(table);
	return NULL;
}

int
parse(int argc, char **argv, struct parse_result *res)
{
	const struct token *table = t_main, *t;
	static char words[512];
	const char *word;
	int i = 0;

	memset(res, 0, sizeof(*res));
	snprintf(words, sizeof(words), "nbmemctl");
	res->words = words;
	for (;;) {
		word = i < argc ? argv[i] : NULL;
		if (word == NULL) {
			if (table_has(table, T_END) ||
			    table_has(table, T_REST)) {
				if (table_has(table, T_REST))
					res->rest_argv = argv + i;
				return 0;
			}
			fprintf(stderr, "nbmemctl: \"%s\" is incomplete; it "
			    "goes on with:\n", words);
			show_valid(table);
			return -1;
		}
		if ((t = match_token(table, word, words, false)) == NULL)
			return -1;
		i++;
		switch (t->t_type) {
		case T_KEYWORD:
			if (t->t_value != ACT_NONE)
				res->action = (enum action)t->t_value;
			cat(words, sizeof(words), " ", t->t_keyword);
			break;
		case T_FLAG:
			if (set_value(res, (enum arg)t->t_value, t->t_keyword,
			    t->t_keyword) != 0)
				return -1;
			break;
		case T_OPTION:
			if (i >= argc) {
				fprintf(stderr, "nbmemctl: %s needs a value "
				    "(%s %s): %s\n", t->t_keyword,
				    t->t_keyword,
				    argspecs[t->t_value].as_meta, t->t_descr);
				return -1;
			}
			if (set_value(res, (enum arg)t->t_value, t->t_keyword,
			    argv[i]) != 0)
				return -1;
			i++;
			break;
		case T_VALUE:
			if (set_value(res, (enum arg)t->t_value, t->t_keyword,
			    word) != 0)
				return -1;
			break;
		case T_REST:
			res->rest_argc = argc - i + 1;
			res->rest_argv = argv + i - 1;
			return 0;
		default:
			break;
		}
		table = t->t_next;
	}
}

/*
 * parse_complete: the words that may follow argv[0..argc-2] and begin
 * with argv[argc-1], one a line on f, for shell completion.
 * => NULL when the words are all printed; otherwise what the last word
 *    is, to be completed by the caller: a placeholder of names ("POOL",
 *    "ARENA", "EXTENT", "SOURCE", "WORKLOAD"), "FILE", or "KEY=VALUE"
 *    (a workload's parameter).
 */
const char *
parse_complete(int argc, char **argv, FILE *f)
{
	static const char *const vmstat_flags[] = {
		"-C", "-m", "-mW", "-v", "-c", "-w", NULL
	};
	const struct token *table = t_main, *t, *opt = NULL;
	const struct argspec *as;
	const char *cur = argc > 0 ? argv[argc - 1] : "";
	size_t len = strlen(cur);
	int i;

	for (i = 0; i < argc - 1; i++) {
		if (opt != NULL) {
			table = opt->t_next;
			opt = NULL;
			continue;
		}
		if ((t = match_token(table, argv[i], "", true)) == NULL)
			return NULL;
		if (t->t_type == T_REST) {
			table = NULL;
			break;
		}
		if (t->t_type == T_OPTION)
			opt = t;
		else
			table = t->t_next;
	}
	if (table == NULL || (table == t_vmstat && opt == NULL &&
	    cur[0] == '-')) {
		for (i = 0; vmstat_flags[i] != NULL; i++)
			if (strncmp(vmstat_flags[i], cur, len) == 0)
				fprintf(f, "%s\n", vmstat_flags[i]);
		return NULL;
	}
	if (opt != NULL) {
		as = &argspecs[opt->t_value];
		if (as->as_kind == V_ENUM) {
			for (i = 0; as->as_choices[i] != NULL; i++)
				if (strncmp(as->as_choices[i], cur, len) == 0)
					fprintf(f, "%s\n", as->as_choices[i]);
			return NULL;
		}
		if (opt->t_value == ARG_OUTPUT)
			return "FILE";
		if (opt->t_value == ARG_POOL)
			return "POOL";
		if (opt->t_value == ARG_PARAM)
			return "KEY=VALUE";
		return NULL;
	}
	for (t = table; t->t_type != T_ENDTABLE; t++) {
		switch (t->t_type) {
		case T_KEYWORD:
		case T_FLAG:
		case T_OPTION:
			if (strncmp(t->t_keyword, cur, len) == 0)
				fprintf(f, "%s\n", t->t_keyword);
			break;
		default:
			break;
		}
	}
	for (t = table; t->t_type != T_ENDTABLE; t++) {
		if (t->t_type != T_VALUE || cur[0] == '-')
			continue;
		if (t->t_value == ARG_FILE || t->t_value == ARG_WORKLOAD)
			return t->t_value == ARG_FILE ? "FILE" : "WORKLOAD";
		if (t->t_value == ARG_NAME)
			return t->t_keyword;
	}
	return NULL;
}
