/*
 * child-intr.c: interrupt sources -- intr.list, intr.add, intr.set and
 * intr.remove in the machine process.
 *
 * A source is a simulated device raising interrupts on the machine's CPUs
 * (<nbmem/intr.h>).  Sources added here have a handler action; today the
 * only one is "none": the handler does nothing, so the source only counts
 * arrivals and shows how masking delays them.  The allocating actions
 * (allocate from a pool, a pool cache or kmem, hold, free in a soft
 * interrupt, a thread or on another CPU) belong to the workload engine's
 * handlers and arrive with it.  Sources of a workload are listed too, but
 * only those added here may be changed or removed here.
 *
 * Arrivals are handled by a CPU's host thread; while no workload runs,
 * only CPU 0 has one (this process's thread), so arrivals aimed at the
 * other CPUs stay pending until a workload runs them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"

static const char *const intr_dists[] = {
	[NBM_INTR_PERIODIC] = "periodic",
	[NBM_INTR_POISSON] = "poisson",
	[NBM_INTR_BURST] = "burst",
};

static const char *const intr_targets[] = {
	[NBM_INTR_TARGET_CPU] = "cpu",
	[NBM_INTR_TARGET_ALL] = "all",
	[NBM_INTR_TARGET_RR] = "rr",
};

/* Handler actions; see the top of the file. */
static const char *const intr_actions[] = {
	"none",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* The handler of action "none": the arrival is counted, nothing else. */
static int
child_intr_none(void *arg)
{

	return 1;
}

static struct child_intr *
child_intr_find(struct child *c, const char *name)
{
	struct child_intr *ci;

	LIST_FOREACH(ci, &c->c_intrs, ci_entry)
		if (strcmp(ci->ci_name, name) == 0)
			return ci;
	return NULL;
}

/* One of names[] by value; -1 with a bad-params error. */
static int
child_intr_word(struct child *c, const char *key,
    const char *const *names, size_t n, int dflt)
{
	const char *s = proto_get_string(c->c_args, key, NULL);
	char accepted[128];
	size_t i, o = 0;

	if (s == NULL)
		return dflt;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	accepted[0] = '\0';
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(accepted + o, sizeof(accepted) - o,
		    "%s%s", i > 0 ? ", " : "", names[i]);
	child_fail(c, PROTO_E_BAD_PARAMS, "params.%s: \"%.32s\" is not "
	    "accepted; accepted: %s", key, s, accepted);
	return -1;
}

/*
 * child_intr_config: ic updated from the arguments present.
 * => 0, or -1 with a bad-params error.
 */
static int
child_intr_config(struct child *c, struct nbm_intr_config *ic)
{
	int v;

	if (proto_has(c->c_args, "ipl")) {
		if (child_ipl_parse(c, "params.ipl", proto_get_string(c->c_args, "ipl", ""),
		    &v) != 0)
			return -1;
		if (v != IPL_VM && v != IPL_SCHED && v != IPL_HIGH) {
			child_fail(c, PROTO_E_BAD_PARAMS, "params.ipl: "
			    "interrupt sources run at vm, sched or high");
			return -1;
		}
		ic->ic_ipl = v;
	}
	if ((v = child_intr_word(c, "distribution", intr_dists,
	    NITEMS(intr_dists), ic->ic_dist)) < 0)
		return -1;
	ic->ic_dist = v;
	if ((v = child_intr_word(c, "target", intr_targets,
	    NITEMS(intr_targets), ic->ic_target)) < 0)
		return -1;
	ic->ic_target = v;
	ic->ic_rate = proto_get_number(c->c_args, "rate", ic->ic_rate);
	ic->ic_burst = (u_int)proto_get_int(c->c_args, "burst", ic->ic_burst);
	ic->ic_cpu = (u_int)proto_get_int(c->c_args, "cpu", ic->ic_cpu);
	if (proto_has(c->c_args, "cpu") && !proto_has(c->c_args, "target"))
		ic->ic_target = NBM_INTR_TARGET_CPU;
	return 0;
}

/* A library error on a configuration: "params." and its text. */
static void
child_intr_einval(struct child *c, const char *err)
{

	child_fail(c, PROTO_E_BAD_PARAMS, "params.%s", err);
}

struct intr_list_arg {
	struct child	*il_child;
	const char	*il_match;
	json_object	*il_array;
};

static void
child_intr_one(struct nbm_intrsource *is, void *arg)
{
	struct intr_list_arg *il = arg;
	struct child *c = il->il_child;
	struct nbm_intr_config ic;
	struct nbm_intr_cpustat *cs;
	struct child_intr *ci;
	json_object *o, *a, *p;
	uint64_t count = 0, masked = 0, pending = 0, posted = 0;
	u_int i, ncpu = nbm_machine_config(c->c_m)->ncpu;
	bool paused;

	nbm_intr_getconfig(is, &ic, &paused);
	if (il->il_match != NULL && strcmp(ic.ic_name, il->il_match) != 0)
		return;
	ci = child_intr_find(c, ic.ic_name);
	cs = xcalloc(ncpu, sizeof(*cs));
	nbm_intr_getstats(is, cs);
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(ic.ic_name));
	json_object_object_add(o, "ipl",
	    json_object_new_string(child_ipl_name(ic.ic_ipl)));
	json_object_object_add(o, "distribution",
	    json_object_new_string(intr_dists[ic.ic_dist]));
	json_object_object_add(o, "rate", proto_number(ic.ic_rate));
	if (ic.ic_dist == NBM_INTR_BURST)
		json_object_object_add(o, "burst",
		    json_object_new_int64(ic.ic_burst));
	json_object_object_add(o, "target",
	    json_object_new_string(intr_targets[ic.ic_target]));
	if (ic.ic_target == NBM_INTR_TARGET_CPU)
		json_object_object_add(o, "cpu",
		    json_object_new_int64(ic.ic_cpu));
	json_object_object_add(o, "paused", json_object_new_boolean(paused));
	json_object_object_add(o, "owner",
	    json_object_new_string(ci != NULL ? "daemon" : "workload"));
	if (ci != NULL)
		json_object_object_add(o, "action",
		    json_object_new_string(ci->ci_action));
	a = json_object_new_array();
	for (i = 0; i < ncpu; i++) {
		count += cs[i].is_count;
		masked += cs[i].is_masked;
		pending += cs[i].is_pending;
		posted += cs[i].is_posted;
		if (cs[i].is_posted == 0)
			continue;
		p = json_object_new_object();
		json_object_object_add(p, "cpu", json_object_new_int64(i));
		json_object_object_add(p, "count",
		    json_object_new_uint64(cs[i].is_count));
		json_object_object_add(p, "masked",
		    json_object_new_uint64(cs[i].is_masked));
		json_object_object_add(p, "pending",
		    json_object_new_uint64(cs[i].is_pending));
		json_object_object_add(p, "posted",
		    json_object_new_uint64(cs[i].is_posted));
		json_object_array_add(a, p);
	}
	json_object_object_add(o, "count", json_object_new_uint64(count));
	json_object_object_add(o, "masked", json_object_new_uint64(masked));
	json_object_object_add(o, "pending", json_object_new_uint64(pending));
	json_object_object_add(o, "posted", json_object_new_uint64(posted));
	json_object_object_add(o, "cpus", a);
	json_object_array_add(il->il_array, o);
	free(cs);
}

/*
 * child_intr_list: the sources of the machine in creation order (only the
 * one called match, if not NULL), counters summed over the CPUs and per
 * CPU for the CPUs it reached.
 */
json_object *
child_intr_list(struct child *c, const char *match)
{
	struct intr_list_arg il = { c, match, json_object_new_array() };

	nbm_intr_foreach(c->c_m, child_intr_one, &il);
	return il.il_array;
}

static void
child_intr_reply(struct child *c, const char *name)
{
	json_object *a = child_intr_list(c, name), *r;

	r = json_object_new_object();
	json_object_object_add(r, "source", json_object_get(
	    json_object_array_get_idx(a, 0)));
	json_object_put(a);
	c->c_result = r;
}

/* intr.list */
static void
child_op_intr_list(struct child *c)
{

	c->c_result = json_object_new_object();
	json_object_object_add(c->c_result, "sources",
	    child_intr_list(c, NULL));
}

/* intr.add: a source with a handler action, running at once. */
static void
child_op_intr_add(struct child *c)
{
	struct nbm_intr_config ic;
	struct child_intr *ci;
	const char *name = proto_get_string(c->c_args, "name", "");
	char err[256];
	int action, error;

	if (nbm_intr_lookup(c->c_m, name) != NULL) {
		child_fail(c, PROTO_E_EXISTS, "params.name: a source called "
		    "\"%s\" exists", name);
		return;
	}
	if ((action = child_intr_word(c, "action", intr_actions,
	    NITEMS(intr_actions), 0)) < 0)
		return;
	memset(&ic, 0, sizeof(ic));
	snprintf(ic.ic_name, sizeof(ic.ic_name), "%s", name);
	ic.ic_ipl = IPL_VM;
	ic.ic_dist = NBM_INTR_PERIODIC;
	ic.ic_rate = 100;
	ic.ic_burst = 1;
	ic.ic_target = NBM_INTR_TARGET_CPU;
	ic.ic_func = child_intr_none;
	if (child_intr_config(c, &ic) != 0)
		return;
	ci = xcalloc(1, sizeof(*ci));
	snprintf(ci->ci_name, sizeof(ci->ci_name), "%s", name);
	ci->ci_action = intr_actions[action];
	error = nbm_intr_establish(c->c_m, &ic, &ci->ci_src, err, sizeof(err));
	if (error != 0) {
		free(ci);
		if (error == EEXIST)
			child_fail(c, PROTO_E_EXISTS, "params.%s", err);
		else if (error == EINVAL)
			child_intr_einval(c, err);
		else
			child_fail(c, PROTO_E_INTERNAL, "%s", err[0] != '\0' ?
			    err : strerror(error));
		return;
	}
	LIST_INSERT_HEAD(&c->c_intrs, ci, ci_entry);
	if (proto_get_bool(c->c_args, "paused", false))
		nbm_intr_pause(ci->ci_src, true);
	child_intr_reply(c, name);
}

/*
 * A source of the daemon's, by the "name" argument; NULL with
 * no-such-source or not-owned.
 */
static struct child_intr *
child_intr_own(struct child *c)
{
	const char *name = proto_get_string(c->c_args, "name", "");
	struct child_intr *ci;

	if ((ci = child_intr_find(c, name)) != NULL)
		return ci;
	if (nbm_intr_lookup(c->c_m, name) != NULL)
		child_fail(c, PROTO_E_NOT_OWNED, "source \"%s\" belongs to a "
		    "workload; only sources added with intr.add can be "
		    "changed or removed", name);
	else
		child_fail(c, PROTO_E_NO_SUCH_SOURCE, "no interrupt source "
		    "\"%s\"; intr.list names them", name);
	return NULL;
}

/* intr.set: change a source's level, arrivals, target; pause, resume. */
static void
child_op_intr_set(struct child *c)
{
	struct nbm_intr_config ic;
	struct child_intr *ci;
	char err[256];
	bool paused;
	int error;

	if ((ci = child_intr_own(c)) == NULL)
		return;
	nbm_intr_getconfig(ci->ci_src, &ic, &paused);
	if (child_intr_config(c, &ic) != 0)
		return;
	if (proto_has(c->c_args, "ipl") || proto_has(c->c_args, "distribution") ||
	    proto_has(c->c_args, "rate") || proto_has(c->c_args, "burst") ||
	    proto_has(c->c_args, "target") || proto_has(c->c_args, "cpu")) {
		error = nbm_intr_set(ci->ci_src, &ic, err, sizeof(err));
		if (error == EINVAL) {
			child_intr_einval(c, err);
			return;
		} else if (error != 0) {
			child_fail(c, PROTO_E_INTERNAL, "%s", strerror(error));
			return;
		}
	}
	if (proto_has(c->c_args, "paused") && proto_get_bool(c->c_args, "paused", false) !=
	    paused)
		nbm_intr_pause(ci->ci_src, !paused);
	child_intr_reply(c, ci->ci_name);
}

/* intr.remove: the source stops; pending arrivals are dropped. */
static void
child_op_intr_remove(struct child *c)
{
	struct child_intr *ci;

	if ((ci = child_intr_own(c)) == NULL)
		return;
	child_intr_reply(c, ci->ci_name);
	nbm_intr_disestablish(ci->ci_src);
	LIST_REMOVE(ci, ci_entry);
	free(ci);
}

const struct child_op child_intr_ops[] = {
	{ "intr.list", 0, child_op_intr_list },
	{ "intr.add", 0, child_op_intr_add },
	{ "intr.set", 0, child_op_intr_set },
	{ "intr.remove", 0, child_op_intr_remove },
	{ NULL, 0, NULL }
};
