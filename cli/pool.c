/*
 * pool.c: the commands that change pools and interrupt sources -- pool
 * create, destroy, setlowat, sethiwat, sethardlimit, prime, reclaim;
 * intr add, set, remove -- each one request built from the command line
 * through a table of argument-to-parameter mappings.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbmemctl.h"

/* How an argument becomes a request parameter. */
enum pm_kind { PM_STR, PM_INT, PM_NUM, PM_TRUE, PM_FALSE, PM_LIST };

struct param_map {
	enum arg	 pm_arg;	/* the argument */
	const char	*pm_key;	/* the parameter */
	enum pm_kind	 pm_kind;	/* its JSON type */
};

static const struct param_map pm_create[] = {
	{ ARG_NAME, "name", PM_STR },
	{ ARG_SIZE, "size", PM_INT },
	{ ARG_ALIGN, "align", PM_INT },
	{ ARG_IPL, "ipl", PM_STR },
	{ ARG_CACHE, "cache", PM_TRUE },
	{ ARG_PRFLAG, "flags", PM_LIST },
	{ ARG_LOWAT, "lowat", PM_INT },
	{ ARG_HIWAT, "hiwat", PM_INT },
	{ ARG_HARDLIMIT, "hardlimit", PM_INT },
	{ ARG_WARN, "warning", PM_STR },
	{ ARG_RATECAP, "ratecap", PM_INT },
	{ ARG_MAX, NULL, 0 }
};
static const struct param_map pm_name[] = {
	{ ARG_NAME, "name", PM_STR },
	{ ARG_MAX, NULL, 0 }
};
static const struct param_map pm_lowat[] = {
	{ ARG_NAME, "name", PM_STR },
	{ ARG_COUNT, "lowat", PM_INT },
	{ ARG_MAX, NULL, 0 }
};
static const struct param_map pm_hiwat[] = {
	{ ARG_NAME, "name", PM_STR },
	{ ARG_COUNT, "hiwat", PM_INT },
	{ ARG_MAX, NULL, 0 }
};
static const struct param_map pm_hardlimit[] = {
	{ ARG_NAME, "name", PM_STR },
	{ ARG_COUNT, "hardlimit", PM_INT },
	{ ARG_WARN, "warning", PM_STR },
	{ ARG_RATECAP, "ratecap", PM_INT },
	{ ARG_MAX, NULL, 0 }
};
static const struct param_map pm_prime[] = {
	{ ARG_NAME, "name", PM_STR },
	{ ARG_COUNT, "items", PM_INT },
	{ ARG_MAX, NULL, 0 }
};
static const struct param_map pm_intr[] = {
	{ ARG_NAME, "name", PM_STR },
	{ ARG_INTR_IPL, "ipl", PM_STR },
	{ ARG_RATE_HZ, "rate", PM_NUM },
	{ ARG_DIST, "distribution", PM_STR },
	{ ARG_BURST, "burst", PM_INT },
	{ ARG_TARGET, "target", PM_STR },
	{ ARG_CPU, "cpu", PM_INT },
	{ ARG_PAUSE, "paused", PM_TRUE },
	{ ARG_RESUME, "paused", PM_FALSE },
	{ ARG_MAX, NULL, 0 }
};

/*
 * The commands: action, method, parameters, and what the human output
 * says after the name ("pool foo created").
 */
static const struct change_entry {
	enum action	 ce_action;
	const char	*ce_method;
	const struct param_map *ce_params;
	const char	*ce_noun;
	const char	*ce_done;
} change_table[] = {
	{ ACT_POOL_CREATE, "pool.create", pm_create, "pool", "created" },
	{ ACT_POOL_DESTROY, "pool.destroy", pm_name, "pool", "destroyed" },
	{ ACT_POOL_SETLOWAT, "pool.setlowat", pm_lowat, "pool",
	    "low water mark set" },
	{ ACT_POOL_SETHIWAT, "pool.sethiwat", pm_hiwat, "pool",
	    "high water mark set" },
	{ ACT_POOL_SETHARDLIMIT, "pool.sethardlimit", pm_hardlimit, "pool",
	    "hard limit set" },
	{ ACT_POOL_PRIME, "pool.prime", pm_prime, "pool", "primed" },
	{ ACT_POOL_RECLAIM, "pool.reclaim", pm_name, "pool", NULL },
	{ ACT_INTR_ADD, "intr.add", pm_intr, "interrupt source", "added" },
	{ ACT_INTR_SET, "intr.set", pm_intr, "interrupt source", "changed" },
	{ ACT_INTR_REMOVE, "intr.remove", pm_name, "interrupt source",
	    "removed" },
};

static json_object *
change_params(struct ctl *x, const struct param_map *pm)
{
	json_object *p = json_object_new_object(), *a;
	const struct parse_arg *pa;
	int i;

	for (; pm->pm_key != NULL; pm++) {
		pa = ARG(x, pm->pm_arg);
		if (!pa->pa_set)
			continue;
		switch (pm->pm_kind) {
		case PM_STR:
			json_object_object_add(p, pm->pm_key,
			    json_object_new_string(pa->pa_str));
			break;
		case PM_INT:
			json_object_object_add(p, pm->pm_key,
			    json_object_new_int64(pa->pa_int));
			break;
		case PM_NUM:
			json_object_object_add(p, pm->pm_key,
			    proto_number(pa->pa_num));
			break;
		case PM_TRUE:
		case PM_FALSE:
			json_object_object_add(p, pm->pm_key,
			    json_object_new_boolean(pm->pm_kind == PM_TRUE));
			break;
		case PM_LIST:
			a = json_object_new_array();
			for (i = 0; i < pa->pa_nlist; i++)
				json_object_array_add(a,
				    json_object_new_string(pa->pa_list[i]));
			json_object_object_add(p, pm->pm_key, a);
			break;
		}
	}
	return p;
}

int
cmd_change(struct ctl *x)
{
	const struct change_entry *ce = NULL;
	const char *name = ARG(x, ARG_NAME)->pa_str;
	json_object *r;
	char what[256];
	size_t i;

	for (i = 0; i < sizeof(change_table) / sizeof(change_table[0]); i++)
		if (change_table[i].ce_action == x->x_res->action)
			ce = &change_table[i];
	if (ce == NULL)
		return EXIT_USAGE;
	if (ARGSET(x, ARG_PAUSE) && ARGSET(x, ARG_RESUME)) {
		fprintf(stderr, "nbmemctl: --pause and --resume together; "
		    "give one\n");
		return EXIT_USAGE;
	}
	ctl_need_method(x, ce->ce_method);
	r = ctl_call(x, ce->ce_method, change_params(x, ce->ce_params));
	if (ce->ce_done != NULL)
		snprintf(what, sizeof(what), "%s %s %s", ce->ce_noun, name,
		    ce->ce_done);
	else
		snprintf(what, sizeof(what), "%s %s: %s", ce->ce_noun, name,
		    json_object_get_boolean(jget(r, "reclaimed")) ?
		    "idle pages given back" : "no idle pages to give back");
	x->x_out->o_done(x, what, r);
	json_object_put(r);
	return EXIT_OK;
}
