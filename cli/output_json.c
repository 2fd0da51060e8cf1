/*
 * output_json.c: the -j renderer: every reply exactly as nbmemd sent it,
 * indented, one JSON document per command (bgpctl's output_json.c).
 */
#include <stdio.h>

#include "nbmemctl.h"

static void
json_reply(struct ctl *x, json_object *r)
{

	json_print(stdout, r);
}

static void
json_done(struct ctl *x, const char *what, json_object *r)
{

	json_print(stdout, r);
}

const struct output json_output = {
	.o_machine = json_reply,
	.o_pools = json_reply,
	.o_pool = json_reply,
	.o_caches = json_reply,
	.o_cache = json_reply,
	.o_kmem = json_reply,
	.o_vmems = json_reply,
	.o_vmem = json_reply,
	.o_extents = json_reply,
	.o_extent = json_reply,
	.o_intr = json_reply,
	.o_events = json_reply,
	.o_runs = json_reply,
	.o_workloads = json_reply,
	.o_workload = json_reply,
	.o_workload_info = json_reply,
	.o_done = json_done,
};
