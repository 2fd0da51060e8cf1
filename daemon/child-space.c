/*
 * child-space.c: vmem arenas and extents in the machine process --
 * vmem.list, vmem.show (with the segment map), extent.list and
 * extent.show (with the regions and extent_print's text).
 *
 * The maps come from <nbmem/inspect.h>, read at one instant under the
 * object's lock.  A segment map can be long (kmem_va_arena holds a busy
 * segment per large allocation), so vmem.show sends at most "limit"
 * segments and says how many there are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nbmem/vmem_impl.h>

#include "child.h"

#define CHILD_SEGS_DFLT	1000	/* segments vmem.show sends by default */

static void
child_space_list(struct child *c, const struct nbmd_fieldset *fs,
    const char *key)
{
	struct nbm_stats *st;

	if ((st = child_stats(c)) == NULL)
		return;
	c->c_result = json_object_new_object();
	json_object_object_add(c->c_result, key,
	    child_section(c, st, fs, NULL));
	nbm_stats_free(st);
}

/* The record of fs called name, or NULL with reason e. */
static json_object *
child_space_record(struct child *c, const struct nbmd_fieldset *fs,
    const char *name, enum proto_err e, const char *what)
{
	struct nbm_stats *st;
	json_object *a, *r;

	if ((st = child_stats(c)) == NULL)
		return NULL;
	a = child_section(c, st, fs, name);
	nbm_stats_free(st);
	r = json_object_get(json_object_array_get_idx(a, 0));
	json_object_put(a);
	if (r == NULL)
		child_fail(c, e, "no %s \"%.32s\"; %s.list names them", what,
		    name, fs == &nbmd_fs_vmem ? "vmem" : "extent");
	return r;
}

static void
child_op_vmem_list(struct child *c)
{

	child_space_list(c, &nbmd_fs_vmem, "arenas");
}

static const char *
child_bt_type(int type)
{

	switch (type) {
	case BT_TYPE_SPAN:
		return "span";
	case BT_TYPE_SPAN_STATIC:
		return "static-span";
	case BT_TYPE_FREE:
		return "free";
	case BT_TYPE_BUSY:
		return "busy";
	}
	return "?";
}

/* vmem.show: an arena's record and its segment map. */
static void
child_op_vmem_show(struct child *c)
{
	const char *name = proto_get_string(c->c_args, "name", "");
	size_t limit = (size_t)proto_get_int(c->c_args, "limit", CHILD_SEGS_DFLT);
	struct nbm_vmem_seg *segs;
	json_object *rec, *a, *o;
	size_t i, n;
	int error;

	if ((rec = child_space_record(c, &nbmd_fs_vmem, name,
	    PROTO_E_NO_SUCH_ARENA, "vmem arena")) == NULL)
		return;
	if ((error = nbm_vmem_segmap(c->c_m, name, &segs, &n)) != 0) {
		json_object_put(rec);
		child_fail(c, error == ENOENT ? PROTO_E_NO_SUCH_ARENA :
		    PROTO_E_INTERNAL, "arena \"%.32s\": %s", name,
		    strerror(error));
		return;
	}
	a = json_object_new_array_ext((int)(n < limit ? n : limit));
	for (i = 0; i < n && i < limit; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "start",
		    json_object_new_uint64(segs[i].vg_start));
		json_object_object_add(o, "size",
		    json_object_new_uint64(segs[i].vg_size));
		json_object_object_add(o, "type",
		    json_object_new_string(child_bt_type(segs[i].vg_type)));
		json_object_array_add(a, o);
	}
	free(segs);
	c->c_result = json_object_new_object();
	json_object_object_add(c->c_result, "arena", rec);
	json_object_object_add(c->c_result, "nsegments",
	    json_object_new_uint64(n));
	json_object_object_add(c->c_result, "segments", a);
}

static void
child_op_extent_list(struct child *c)
{

	child_space_list(c, &nbmd_fs_extents, "extents");
}

/* extent.show: an extent's record, its regions and extent_print. */
static void
child_op_extent_show(struct child *c)
{
	const char *name = proto_get_string(c->c_args, "name", "");
	struct nbm_extent_reg *regs;
	json_object *rec, *a, *o;
	size_t i, n;
	char *text;
	int error;

	if ((rec = child_space_record(c, &nbmd_fs_extents, name,
	    PROTO_E_NO_SUCH_EXTENT, "extent")) == NULL)
		return;
	if ((error = nbm_extent_regions(c->c_m, name, &regs, &n)) != 0) {
		json_object_put(rec);
		child_fail(c, error == ENOENT ? PROTO_E_NO_SUCH_EXTENT :
		    PROTO_E_INTERNAL, "extent \"%.32s\": %s", name,
		    strerror(error));
		return;
	}
	a = json_object_new_array_ext((int)n);
	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "start",
		    json_object_new_uint64(regs[i].xr_start));
		json_object_object_add(o, "end",
		    json_object_new_uint64(regs[i].xr_end));
		json_object_array_add(a, o);
	}
	free(regs);
	child_capture_begin(c);
	(void)nbm_extent_print_name(c->c_m, name);
	text = child_capture_end(c);
	c->c_result = json_object_new_object();
	json_object_object_add(c->c_result, "extent", rec);
	json_object_object_add(c->c_result, "regions", a);
	json_object_object_add(c->c_result, "print",
	    json_object_new_string(text));
	free(text);
}

const struct child_op child_space_ops[] = {
	{ "vmem.list", 0, child_op_vmem_list },
	{ "vmem.show", 0, child_op_vmem_show },
	{ "extent.list", 0, child_op_extent_list },
	{ "extent.show", 0, child_op_extent_show },
	{ NULL, 0, NULL }
};
