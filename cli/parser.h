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
	ACT_NONE,
	ACT_HELP,
	ACT_SHOW_MACHINE,
	ACT_SHOW_POOLS,
	ACT_SHOW_CACHES,
	ACT_SHOW_KMEM,
	ACT_SHOW_VMEM,
	ACT_SHOW_EXTENT,
	ACT_SHOW_INTR,
	ACT_SHOW_EVENTS,
	ACT_VMSTAT,
	ACT_RUN,
	ACT_WORKLOAD_LIST,
	ACT_WORKLOAD_SHOW,
	ACT_WORKLOAD_STATUS,
	ACT_WORKLOAD_STOP,
	ACT_MACHINE_INFO,
	ACT_MACHINE_BOOT,
	ACT_MACHINE_REBOOT,
	ACT_MACHINE_SHUTDOWN,
	ACT_POOL_CREATE,
	ACT_POOL_DESTROY,
	ACT_POOL_SETLOWAT,
	ACT_POOL_SETHIWAT,
	ACT_POOL_SETHARDLIMIT,
	ACT_POOL_PRIME,
	ACT_POOL_RECLAIM,
	ACT_INTR_LIST,
	ACT_INTR_ADD,
	ACT_INTR_SET,
	ACT_INTR_REMOVE,
	ACT_TRACE_RECORD,
	ACT_TRACE_STOP,
	ACT_TRACE_REPLAY,
	ACT_HISTORY_RUNS,
	ACT_HISTORY_EXPORT,
	ACT_HISTORY_PLOT,
	ACT_HISTORY_DIFF,
	ACT_TOP,
	ACT_PING,
	ACT_COUNT
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
	ARG_IPL,		/* pool create --ipl */
	ARG_CACHE,		/* pool create --cache */
	ARG_PRFLAG,		/* pool create --flag PR_..., repeated */
	ARG_LOWAT,		/* pool create --lowat */
	ARG_HIWAT,		/* pool create --hiwat */
	ARG_HARDLIMIT,		/* pool create --hardlimit */
	ARG_COUNT,		/* setlowat/sethiwat/sethardlimit/prime N */
	ARG_WARN,		/* --warn MESSAGE */
	ARG_RATECAP,		/* --ratecap SECONDS */
	ARG_INTR_IPL,		/* intr --ipl */
	ARG_RATE_HZ,		/* intr --rate */
	ARG_DIST,		/* intr --distribution */
	ARG_BURST,		/* intr --burst */
	ARG_TARGET,		/* intr --target */
	ARG_CPU,		/* intr --cpu */
	ARG_PAUSE,		/* intr --pause */
	ARG_RESUME,		/* intr set --resume */
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
	ARG_DETACH,		/* run --detach */
	ARG_COUNT_PING,		/* ping -c N */
	ARG_MAX
};

#define PARSE_MAXLIST	32	/* values of a repeated argument */

struct parse_arg {
	bool		 pa_set;		/* given on the command line */
	const char	*pa_str;		/* the (last) word given */
	int64_t		 pa_int;		/* integer, size, enum index */
	double		 pa_num;		/* number; duration or time, s */
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

/* Shell completion: see parser.c. */
const char *parse_complete(int argc, char **argv, FILE *);

/* The keyword of an action ("show pools"), for messages. */
const char *parse_action_name(enum action);

/* Parsers shared with the rest of the tool; each returns 0 or -1. */
int	parse_size(const char *, int64_t *);
int	parse_duration(const char *, double *);
int	parse_time(const char *, double now, double *);

#endif /* NBMCTL_PARSER_H */
