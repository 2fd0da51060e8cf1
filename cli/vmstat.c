/*
 * vmstat.c: nbmemctl vmstat -m, -mW and -C -- NetBSD's tables, byte for
 * byte, from the daemon's kern.pool records.
 *
 * The records come from a stats.snapshot (its "pools" section: one
 * object per pool, members named after libnbmem's nbm_pool_fields) and
 * are turned back into struct pool_sysctl by walking that field table,
 * so that libnbmem's renderer (nbmem/vmstat.h) prints them exactly as
 * vmstat(1) prints kern.pool.  Flags and repetition follow vmstat(1):
 * -c count repeats the display count times, -w wait pauses wait seconds
 * between displays (1 when only -c is given, forever when only -w is),
 * each display of absolute counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nbmem/stats.h>
#include <nbmem/vmstat.h>

#include "nbmemctl.h"

static void
vmstat_out(void *arg, const char *text)
{

	fputs(text, arg);
}

/*
 * pools_from_json: an array of pool objects as kern.pool records.
 * => the number of records in *recsp (the caller frees it).
 */
size_t
pools_from_json(json_object *a, struct pool_sysctl **recsp)
{
	const struct nbm_stat_field *f;
	struct pool_sysctl *recs;
	json_object *o, *v;
	size_t i, k, n = a != NULL && json_object_is_type(a,
	    json_type_array) ? json_object_array_length(a) : 0;
	uint64_t u;
	const char *s;

	recs = xcalloc(n + 1, sizeof(*recs));
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(a, i);
		for (k = 0; k < nbm_pool_nfields; k++) {
			f = &nbm_pool_fields[k];
			if (!json_object_object_get_ex(o, f->sf_name, &v))
				continue;
			if (f->sf_type == NBM_STAT_STR) {
				s = json_object_get_string(v);
				snprintf((char *)&recs[i] + f->sf_offset,
				    f->sf_size, "%s", s != NULL ? s : "");
				continue;
			}
			u = (uint64_t)json_object_get_int64(v);
			if (json_object_is_type(v, json_type_int) &&
			    json_object_get_int64(v) == INT64_MAX)
				u = json_object_get_uint64(v);
			memcpy((char *)&recs[i] + f->sf_offset, &u, sizeof(u));
		}
	}
	*recsp = recs;
	return n;
}

/* The kern.pool records of the running machine. */
static size_t
fetch_pools(struct ctl *x, struct pool_sysctl **recsp)
{
	json_object *p = json_object_new_object(), *a, *r;
	size_t n;

	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("pools"));
	json_object_object_add(p, "sections", a);
	r = ctl_call(x, "stats.snapshot", p);
	n = pools_from_json(jget(r, "pools"), recsp);
	json_object_put(r);
	return n;
}

static NBMD_DEAD void
vmstat_usage(const char *why)
{

	fprintf(stderr, "nbmemctl: vmstat: %s\n"
	    "usage: nbmemctl vmstat [-CmvW] [-c count] [-w wait]\n"
	    "  -m  pool statistics     -W  wide -m table\n"
	    "  -C  pool cache statistics\n"
	    "  -v  idle pools and caches too\n"
	    "  -c  repeat count times  -w  wait seconds between repetitions\n",
	    why);
	exit(EXIT_USAGE);
}

int
cmd_vmstat(struct ctl *x)
{
	struct parse_result *res = x->x_res;
	static char progname[] = "vmstat";
	struct pool_sysctl *recs;
	char **av, *end, msg[128];
	double wait = 1;
	int64_t count = 1, i;
	size_t n;
	int ac, ch, flags = 0;
	bool cflag = false, wflag = false;

	ac = res->rest_argc + 1;
	av = xcalloc((size_t)ac + 1, sizeof(*av));
	av[0] = progname;
	for (ch = 0; ch < res->rest_argc; ch++)
		av[ch + 1] = res->rest_argv[ch];
#ifdef __GLIBC__
	optind = 0;
#else
	optind = 1;
	optreset = 1;
#endif
	opterr = 0;
	while ((ch = getopt(ac, av, ":Cc:mvWw:")) != -1) {
		switch (ch) {
		case 'C':
			flags |= NBM_VMSTAT_CACHES;
			break;
		case 'm':
			flags |= NBM_VMSTAT_POOLS;
			break;
		case 'v':
			flags |= NBM_VMSTAT_VERBOSE;
			break;
		case 'W':
			flags |= NBM_VMSTAT_WIDE;
			break;
		case 'c':
			errno = 0;
			count = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || count < 1) {
				snprintf(msg, sizeof(msg), "-c %.40s: give a "
				    "repeat count of at least 1", optarg);
				vmstat_usage(msg);
			}
			cflag = true;
			break;
		case 'w':
			if (parse_duration(optarg, &wait) != 0 || wait <= 0) {
				snprintf(msg, sizeof(msg), "-w %.40s: give the "
				    "seconds to wait, more than 0", optarg);
				vmstat_usage(msg);
			}
			wflag = true;
			break;
		case ':':
			snprintf(msg, sizeof(msg), "-%c needs a value",
			    optopt);
			vmstat_usage(msg);
		default:
			snprintf(msg, sizeof(msg), "-%c is not simulated; "
			    "nbmemctl's vmstat prints the pool tables", optopt);
			vmstat_usage(msg);
		}
	}
	if (optind < ac) {
		snprintf(msg, sizeof(msg), "unexpected argument \"%.40s\"",
		    av[optind]);
		vmstat_usage(msg);
	}
	free(av);
	if ((flags & (NBM_VMSTAT_POOLS | NBM_VMSTAT_CACHES)) == 0)
		vmstat_usage("give -m (pools), -mW (wide) or -C (caches)");
	if (wflag && !cflag)
		count = INT64_MAX;
	if ((i = ctl_connect(x)) != 0)
		return (int)i;
	ctl_catch_interrupt(true);
	for (i = 0; i < count && !ctl_interrupted(); i++) {
		if (i > 0) {
			fflush(stdout);
			usleep((useconds_t)(wait * 1e6));
			if (ctl_interrupted())
				break;
		}
		n = fetch_pools(x, &recs);
		nbm_vmstat(recs, n, flags, vmstat_out, stdout);
		free(recs);
	}
	ctl_catch_interrupt(false);
	return EXIT_OK;
}
