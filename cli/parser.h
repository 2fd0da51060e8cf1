/*
 * parser.h: nbmemctl's command grammar (parser.c).
 *
 * The grammar is a graph of token tables in the manner of bgpctl's
 * parser.c: each table lists the words that may come next, and parse()
 * walks the command line through them, accepting any unique prefix of a
 * keyword.  The outcome is a flat struct parse_result: the action, and
 * the value of each argument already checked against its range, so that
 * the code that runs a command never sees a malformed argument.
 */
#ifndef NBMCTL_PARSER_H
#define NBMCTL_PARSER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum action {
	A_NONE,
	A_HELP,
	A_SHOW_MACHINE,
	A_SHOW_POOLS,
	A_SHOW_CACHES,
	A_SHOW_KMEM,
	A_SHOW_VMEM,
	A_SHOW_EXTENT,
	A_SHOW_INTR,
	A_SHOW_EVENTS,
	A_VMSTAT,
	A_RUN,
	A_WORKLOAD_LIST,
	A_WORKLOAD_SHOW,
	A_WORKLOAD_STATUS,
	A_WORKLOAD_STOP,
	A_MACHINE_INFO,
	A_MACHINE_BOOT,
	A_MACHINE_REBOOT,
	A_MACHINE_SHUTDOWN,
	A_POOL_CREATE,
	A_POOL_DESTROY,
	A_POOL_SETLOWAT,
	A_POOL_SETHIWAT,
	A_POOL_SETHARDLIMIT,
	A_POOL_PRIME,
	A_POOL_RECLAIM,
	A_INTR_LIST,
	A_INTR_ADD,
	A_INTR_SET,
	A_INTR_REMOVE,
	A_TRACE_RECORD,
	A_TRACE_STOP,
	A_TRACE_REPLAY,
	A_HISTORY_RUNS,
	A_HISTORY_EXPORT,
	A_HISTORY_PLOT,
	A_HISTORY_DIFF,
	A_TOP,
	A_PING,
	A_COUNT
};

/*
 * Arguments.  Each has a spec in parser.c (kind of value, range, choices,
 * whether it may repeat) and a slot in struct parse_result.
 */
enum arg {
	ARG_NAME,		/* pool, arena, extent, source, workload */
	ARG_FILE,		/* configuration, workload or trace file */
	ARG_WORKLOAD,		/* run: built-in workload name or file */
	ARG_RUN,		/* --run N */
	ARG_RUN_A,		/* history diff: first run */
	ARG_RUN_B,		/* history diff: second run */
	ARG_CPUS,		/* run --cpus */
	ARG_DURATION,		/* run --duration */
	ARG_OPS,		/* run --ops */
	ARG_SEED,		/* --seed */
	ARG_PARAM,		/* run --param k=v, repeated */
	ARG_NCPU,		/* machine boot --ncpu */
	ARG_PAGESIZE,		/* --page-size */
	ARG_PHYSMEM,		/* --physmem */
	ARG_MODE,		/* --mode */
	ARG_HZ,			/* --hz */
	ARG_OPTION,		/* --option NAME, repeated */
	ARG_KVASIZE,		/* --kva-size */
	ARG_SIZE,		/* pool create SIZE */
	ARG_ALIGN,		/* pool create --align */
	ARG_IPL,		/* --ipl */
	ARG_CACHE,		/* pool create --cache */
	ARG_COUNT,		/* setlowat/sethiwat/sethardlimit/prime N */
	ARG_WARN,		/* sethardlimit --warn MESSAGE */
	ARG_RATECAP,		/* sethardlimit --ratecap SECONDS */
	ARG_RATE_HZ,		/* intr --rate */
	ARG_CPU,		/* intr --cpu N, repeated */
	ARG_ALLOC,		/* intr --alloc BYTES */
	ARG_POOL,		/* --pool NAME */
	ARG_SINCE,		/* --since TIME */
	ARG_UNTIL,		/* --until TIME */
	ARG_RATE,		/* export --rate */
	ARG_FORMAT,		/* export --format */
	ARG_OUTPUT,		/* -o FILE */
	ARG_FIELD,		/* plot --field, repeated */
	ARG_TABLE,		/* export --table */
	ARG_INTERVAL,		/* top/ping --interval */
	ARG_LIMIT,		/* --limit N */
	ARG_VIEW,		/* top --view */
	ARG_ONCE,		/* top --once */
	ARG_WAIT,		/* run --no-wait is ARG_WAIT unset */
	ARG_COUNT_PING,		/* ping -c N */
	ARG_MAX
};

#define PARSE_MAXLIST	32	/* values of a repeated argument */

struct parse_arg {
	bool		 pa_set;		/* given on the command line */
	const char	*pa_str;		/* the (last) word given */
	int64_t		 pa_int;		/* integer, size, enum index */
	double		 pa_num;		/* duration or time, seconds */
	const char	*pa_list[PARSE_MAXLIST]; /* repeated values */
	int		 pa_nlist;		/* entries in pa_list */
};

struct parse_result {
	enum action	 action;		/* what to do */
	struct parse_arg args[ARG_MAX];		/* by enum arg */
	int		 rest_argc;		/* words left to the command */
	char		**rest_argv;		/* (vmstat's own flags) */
	const char	*words;			/* the command, for messages */
};

/*
 * parse: walk argv (the words after the global options) through the
 * grammar into *res.
 * => returns 0, or prints what was wrong and the valid continuations to
 *    stderr and returns -1 (a usage error: exit status 2).
 */
int	parse(int argc, char **argv, struct parse_result *res);

/* Print every command with its arguments, for `nbmemctl help'. */
void	parse_help(FILE *);

/* The keyword of an action ("show pools"), for messages. */
const char *parse_action_name(enum action);

/* Parsers shared with the rest of the tool; each returns 0 or -1. */
int	parse_size(const char *, int64_t *);
int	parse_duration(const char *, double *);
int	parse_time(const char *, double now, double *);

#endif /* NBMCTL_PARSER_H */
