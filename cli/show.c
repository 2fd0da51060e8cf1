/*
 * show.c: the commands that read the machine's state -- show ...,
 * machine info -- and the ones that change the machine as a whole:
 * machine boot, reboot and shutdown; and ping.
 *
 * Each show command makes one request (events: one a page) and hands the
 * reply to the renderer (x_out), which prints a table or, with -j, the
 * reply as it came; so the request path never cares about the format.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbmemctl.h"

/*
 * The show commands: the action, the method for all objects, the method
 * for one named object (NULL: none), and the renderers of each reply.
 */
#define OUT(f)	offsetof(struct output, f)

static const struct show_entry {
	enum action	 se_action;
	const char	*se_list;
	const char	*se_one;
	size_t		 se_out_list;
	size_t		 se_out_one;
} show_table[] = {
	{ ACT_SHOW_MACHINE, "machine.info", NULL, OUT(o_machine), 0 },
	{ ACT_MACHINE_INFO, "machine.info", NULL, OUT(o_machine), 0 },
	{ ACT_SHOW_POOLS, "pool.list", "pool.show", OUT(o_pools), OUT(o_pool) },
	{ ACT_SHOW_CACHES, "cache.list", "cache.show", OUT(o_caches),
	    OUT(o_cache) },
	{ ACT_SHOW_KMEM, "kmem.stats", NULL, OUT(o_kmem), 0 },
	{ ACT_SHOW_VMEM, "vmem.list", "vmem.show", OUT(o_vmems), OUT(o_vmem) },
	{ ACT_SHOW_EXTENT, "extent.list", "extent.show", OUT(o_extents),
	    OUT(o_extent) },
	{ ACT_SHOW_INTR, "intr.list", NULL, OUT(o_intr), 0 },
	{ ACT_INTR_LIST, "intr.list", NULL, OUT(o_intr), 0 },
};

typedef void output_fn(struct ctl *, json_object *);

static output_fn *
renderer(struct ctl *x, size_t off)
{
	output_fn *const *fp = (output_fn *const *)(const void *)
	    ((const char *)x->x_out + off);

	return *fp;
}

/*
 * show_events: events.list, page by page (it answers oldest first, at
 * most 1000 a call), keeping the last --limit (100) events.
 */
static int
show_events(struct ctl *x)
{
	json_object *p, *r, *ev, *all = json_object_new_array(), *out;
	int64_t since = 0, limit = ARGSET(x, ARG_LIMIT) ?
	    ARG(x, ARG_LIMIT)->pa_int : 100;
	size_t i, n;

	for (;;) {
		p = json_object_new_object();
		json_object_object_add(p, "since", json_object_new_int64(since));
		json_object_object_add(p, "limit", json_object_new_int(1000));
		if (ARGSET(x, ARG_RUN))
			json_object_object_add(p, "run",
			    json_object_new_int64(ARG(x, ARG_RUN)->pa_int));
		r = ctl_call(x, "events.list", p);
		ev = jget(r, "events");
		n = ev != NULL ? json_object_array_length(ev) : 0;
		for (i = 0; i < n; i++)
			json_object_array_add(all, json_object_get(
			    json_object_array_get_idx(ev, i)));
		since = jint(r, "last", since);
		json_object_put(r);
		if (n < 1000)
			break;
	}
	n = json_object_array_length(all);
	if (n > (size_t)limit)
		json_object_array_del_idx(all, 0, n - (size_t)limit);
	out = json_object_new_object();
	json_object_object_add(out, "events", all);
	json_object_object_add(out, "last", json_object_new_int64(since));
	x->x_out->o_events(x, out);
	json_object_put(out);
	return EXIT_OK;
}

int
cmd_show(struct ctl *x)
{
	const struct show_entry *se = NULL;
	const char *name = ARGSET(x, ARG_NAME) ? ARG(x, ARG_NAME)->pa_str :
	    NULL;
	json_object *p = NULL, *r;
	size_t i;

	if (x->x_res->action == ACT_SHOW_EVENTS)
		return show_events(x);
	for (i = 0; i < sizeof(show_table) / sizeof(show_table[0]); i++)
		if (show_table[i].se_action == x->x_res->action)
			se = &show_table[i];
	if (se == NULL)
		return EXIT_USAGE;
	if (name != NULL && se->se_one != NULL) {
		ctl_need_method(x, se->se_one);
		p = json_object_new_object();
		json_object_object_add(p, "name", json_object_new_string(name));
		r = ctl_call(x, se->se_one, p);
		renderer(x, se->se_out_one)(x, r);
	} else {
		ctl_need_method(x, se->se_list);
		r = ctl_call(x, se->se_list, NULL);
		renderer(x, se->se_out_list)(x, r);
	}
	json_object_put(r);
	return EXIT_OK;
}

/* ------------------------------------------------------------ machine */

/*
 * boot_config: the machine configuration a boot sends: the CONFIG file
 * (an nbmemd configuration, whose "machine" member counts, or a machine
 * object alone), then the options on top.
 * => NULL after saying what is wrong with the file.
 */
static json_object *
boot_config(struct ctl *x)
{
	static const struct {
		enum arg	 bo_arg;
		const char	*bo_key;
	} opts[] = {
		{ ARG_NCPU, "ncpu" },
		{ ARG_PAGESIZE, "page_size" },
		{ ARG_PHYSMEM, "physmem" },
		{ ARG_SEED, "seed" },
		{ ARG_HZ, "hz" },
		{ ARG_KVASIZE, "kva_size" },
	};
	json_object *cfg, *m, *a;
	const struct parse_arg *pa;
	enum json_tokener_error jerr;
	char *text;
	size_t i;
	int k;

	if (ARGSET(x, ARG_FILE)) {
		pa = ARG(x, ARG_FILE);
		if ((text = read_file(pa->pa_str, 1 << 20, NULL)) == NULL) {
			fprintf(stderr, "nbmemctl: %s: %s; give a machine "
			    "configuration such as contrib/machines/"
			    "amd64-server.json\n", pa->pa_str,
			    strerror(errno));
			return NULL;
		}
		cfg = json_tokener_parse_verbose(text, &jerr);
		free(text);
		if (cfg == NULL || !json_object_is_type(cfg, json_type_object)) {
			fprintf(stderr, "nbmemctl: %s: %s; a machine "
			    "configuration is a JSON object\n", pa->pa_str,
			    cfg == NULL ? json_tokener_error_desc(jerr) :
			    "not an object");
			json_object_put(cfg);
			return NULL;
		}
		if (json_object_object_get_ex(cfg, "machine", &m)) {
			m = json_object_get(m);
			json_object_put(cfg);
			cfg = m;
		}
		json_object_object_del(cfg, "$schema");
		if (!json_object_is_type(cfg, json_type_object)) {
			fprintf(stderr, "nbmemctl: %s: \"machine\" is not an "
			    "object\n", pa->pa_str);
			json_object_put(cfg);
			return NULL;
		}
	} else
		cfg = json_object_new_object();
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (ARGSET(x, opts[i].bo_arg))
			json_object_object_add(cfg, opts[i].bo_key,
			    json_object_new_int64(
			    ARG(x, opts[i].bo_arg)->pa_int));
	if (ARGSET(x, ARG_MODE))
		json_object_object_add(cfg, "mode",
		    json_object_new_string(ARG(x, ARG_MODE)->pa_str));
	if (ARGSET(x, ARG_OPTION)) {
		a = json_object_new_array();
		pa = ARG(x, ARG_OPTION);
		for (k = 0; k < pa->pa_nlist; k++)
			json_object_array_add(a,
			    json_object_new_string(pa->pa_list[k]));
		json_object_object_add(cfg, "options", a);
	}
	return cfg;
}

int
cmd_machine(struct ctl *x)
{
	json_object *p, *r, *cfg;
	struct rpc_error re;
	enum action a = x->x_res->action;
	char b1[32];

	if (a == ACT_MACHINE_SHUTDOWN) {
		r = ctl_call(x, "machine.shutdown", NULL);
		if (x->x_json)
			json_print(stdout, r);
		else
			printf("machine run %" PRId64 " shut down (%s)\n",
			    jint(r, "run", 0), jstr(r, "ended", "?"));
		json_object_put(r);
		return EXIT_OK;
	}
	if ((cfg = boot_config(x)) == NULL)
		return EXIT_USAGE;
	p = json_object_new_object();
	json_object_object_add(p, "config", cfg);
	if (a == ACT_MACHINE_REBOOT)
		json_object_object_add(p, "replace",
		    json_object_new_boolean(1));
	if ((r = ctl_try(x, "machine.boot", p, &re)) == NULL) {
		if (strcmp(re.re_reason, "bad-params") == 0 &&
		    strncmp(re.re_field, "params.config", 13) == 0)
			fprintf(stderr, "nbmemctl: the machine configuration "
			    "is wrong: %s\n", re.re_message);
		else
			ctl_rpc_failed(x, "machine.boot", &re);
		return EXIT_DAEMON;
	}
	if (x->x_json)
		json_print(stdout, r);
	else
		printf("machine booted: run %" PRId64 ", pid %" PRId64 ", %"
		    PRId64 " CPUs, %" PRId64 "-byte pages, %s, %s\n",
		    jint(r, "run", 0), jint(r, "pid", 0),
		    jint(r, "config.ncpu", 0), jint(r, "config.page_size", 0),
		    fmt_bytes((uint64_t)jint(r, "config.physmem", 0), b1,
		    sizeof(b1)), jstr(r, "config.mode", "parallel"));
	json_object_put(r);
	return EXIT_OK;
}

/* ------------------------------------------------------------ ping */

/*
 * cmd_ping: hello round trips, timed; the first line names the daemon.
 */
int
cmd_ping(struct ctl *x)
{
	json_object *h = x->x_cl->c_hello, *r;
	int64_t i, n = ARGSET(x, ARG_COUNT_PING) ?
	    ARG(x, ARG_COUNT_PING)->pa_int : 1;
	double t0, wait = ARGSET(x, ARG_INTERVAL) ?
	    ARG(x, ARG_INTERVAL)->pa_num : 1;

	if (x->x_json) {
		json_print(stdout, h);
		return EXIT_OK;
	}
	printf("%s (library %s, pid %" PRId64 ", protocol %" PRId64 ".%"
	    PRId64 "%s) at %s\n", jstr(h, "daemon", "nbmemd"),
	    jstr(h, "library", "?"), jint(h, "pid", 0), jint(h, "protocol", 0),
	    jint(h, "protocol_minor", 0),
	    jget(h, "readonly") != NULL &&
	    json_object_get_boolean(jget(h, "readonly")) ? ", read-only" : "",
	    x->x_socket);
	for (i = 0; i < n; i++) {
		if (i > 0)
			usleep((useconds_t)(wait * 1e6));
		t0 = now_mono();
		r = ctl_call(x, "hello", NULL);
		printf("reply %" PRId64 ": time=%.3f ms\n", i + 1,
		    (now_mono() - t0) * 1e3);
		fflush(stdout);
		json_object_put(r);
	}
	return EXIT_OK;
}
