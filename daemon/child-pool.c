/*
 * child-pool.c: pools, pool caches and kmem in the machine process --
 * pool.*, cache.* and kmem.stats, and the debug operations that hold
 * items and free kmem memory with the wrong size.
 *
 * Pools made by pool.create belong to the daemon: their storage and name
 * live here (struct child_pool), and only they can be destroyed.  The
 * watermarks, the hard limit, priming and reclaiming apply to any pool,
 * as kernel code can apply them to its own; a hard-limit warning text is
 * kept here too, because the pool keeps a pointer to it.  A pool with
 * items out (a workload's, or debug.hold's) is not destroyed: pool_destroy
 * would panic the machine ("pool busy"), so the daemon refuses first.
 *
 * Everything that may allocate pages -- creating a pool, priming, raising
 * the low watermark, reclaiming, holding -- needs a CPU (child.h): pages
 * come through vmem's quantum caches, which are pool caches.  Such an
 * operation is refused when it would need more pages than the machine has
 * free above its page daemon's target, rather than sleep for memory that
 * only the page daemon could bring back.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"

/* pool_init flags a client may give, by their NetBSD names. */
static const struct {
	const char	*pf_name;
	int		 pf_flag;
	bool		 pf_create;	/* accepted by pool.create */
} child_pool_flags[] = {
	{ "PR_WANTED", PR_WANTED, false },
	{ "PR_PHINPAGE", PR_PHINPAGE, false },
	{ "PR_LIMITFAIL", PR_LIMITFAIL, false },
	{ "PR_RECURSIVE", PR_RECURSIVE, false },
	{ "PR_NOTOUCH", PR_NOTOUCH, true },
	{ "PR_NOALIGN", PR_NOALIGN, true },
	{ "PR_LARGECACHE", PR_LARGECACHE, true },
	{ "PR_GROWING", PR_GROWING, false },
	{ "PR_GROWINGNOWAIT", PR_GROWINGNOWAIT, false },
	{ "PR_ZERO", PR_ZERO, false },
	{ "PR_USEBMAP", PR_USEBMAP, false },
	{ "PR_PSERIALIZE", PR_PSERIALIZE, true },
};

#define NPOOLFLAGS	(sizeof(child_pool_flags) / sizeof(child_pool_flags[0]))
#define CHILD_RATECAP	60	/* seconds between hard-limit warnings */

static struct child_pool *
child_pool_find(struct child *c, const char *name)
{
	struct child_pool *cp;

	LIST_FOREACH(cp, &c->c_pools, cp_entry)
		if (strcmp(cp->cp_name, name) == 0)
			return cp;
	return NULL;
}

/*
 * child_pool_get: the pool named by argument key; its record here is
 * created for a pool of the kernel's (owned false).  NULL with
 * no-such-pool.
 */
static struct child_pool *
child_pool_get(struct child *c, const char *key)
{
	const char *name = proto_get_string(c->c_args, key, "");
	struct child_pool *cp;
	struct pool *pp;

	if ((cp = child_pool_find(c, name)) != NULL)
		return cp;
	if ((pp = nbm_pool_lookup(c->c_m, name)) == NULL) {
		child_fail(c, PROTO_E_NO_SUCH_POOL, "no pool \"%.32s\"; "
		    "pool.list names them", name);
		return NULL;
	}
	cp = xcalloc(1, sizeof(*cp));
	snprintf(cp->cp_name, sizeof(cp->cp_name), "%s", name);
	cp->cp_pool = pp;
	cp->cp_cache = pp->pr_cache;
	cp->cp_owned = false;
	LIST_INSERT_HEAD(&c->c_pools, cp, cp_entry);
	return cp;
}

static json_object *
child_pool_flagnames(u_int flags)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < NPOOLFLAGS; i++)
		if (flags & (u_int)child_pool_flags[i].pf_flag)
			json_object_array_add(a, json_object_new_string(
			    child_pool_flags[i].pf_name));
	return a;
}

static const char *
child_pool_allocator(struct pool *pp)
{

	if (pp->pr_alloc == &pool_allocator_kmem)
		return "kmem";
	if (pp->pr_alloc == &pool_allocator_nointr)
		return "nointr";
	if (pp->pr_alloc == &pool_allocator_meta)
		return "meta";
	return "other";
}

/* The layout of a pool's pages, read under its lock. */
static json_object *
child_pool_geometry(struct pool *pp)
{
	json_object *g = json_object_new_object();

	mutex_enter(&pp->pr_lock);
#define G(k, v)	json_object_object_add(g, k, v)
	G("size", json_object_new_int64(pp->pr_size));
	G("reqsize", json_object_new_int64((int64_t)pp->pr_reqsize));
	G("align", json_object_new_int64(pp->pr_align));
	G("itemoffset", json_object_new_int64(pp->pr_itemoffset));
	G("itemsperpage", json_object_new_int64(pp->pr_itemsperpage));
	G("pagesize", json_object_new_int64(pp->pr_alloc->pa_pagesz));
	G("allocator", json_object_new_string(child_pool_allocator(pp)));
	G("header", json_object_new_string(pp->pr_roflags & PR_PHINPAGE ?
	    "in-page" : "off-page"));
	G("freelist", json_object_new_string(pp->pr_roflags & PR_USEBMAP ?
	    "bitmap" : "list"));
	G("maxcolor", json_object_new_int64(pp->pr_maxcolor));
	G("ipl", json_object_new_string(child_ipl_name(pp->pr_ipl)));
	G("flags", child_pool_flagnames(pp->pr_roflags | pp->pr_flags));
	G("minitems", json_object_new_int64(pp->pr_minitems));
	G("maxitems", json_object_new_int64(pp->pr_maxitems));
	G("minpages", json_object_new_int64(pp->pr_minpages));
	G("maxpages", json_object_new_int64(pp->pr_maxpages));
	G("hardlimit", json_object_new_int64(pp->pr_hardlimit));
	G("warning", pp->pr_hardlimit_warning != NULL ?
	    json_object_new_string(pp->pr_hardlimit_warning) : NULL);
	G("ratecap", json_object_new_int64(
	    pp->pr_hardlimit_ratecap.tv_sec));
#undef G
	mutex_exit(&pp->pr_lock);
	return g;
}

/*
 * child_pool_show: pool.show's answer for cp: its kern.pool record, the
 * layout, and the cache with its per-CPU records.
 */
static json_object *
child_pool_show(struct child *c, struct child_pool *cp)
{
	struct nbm_stats *st;
	json_object *r, *a, *o;

	if ((st = child_stats(c)) == NULL)
		return NULL;
	r = json_object_new_object();
	a = child_section(c, st, &nbmd_fs_pools, cp->cp_name);
	json_object_object_add(r, "pool",
	    json_object_get(json_object_array_get_idx(a, 0)));
	json_object_put(a);
	json_object_object_add(r, "owned",
	    json_object_new_boolean(cp->cp_owned));
	json_object_object_add(r, "geometry",
	    child_pool_geometry(cp->cp_pool));
	if (cp->cp_cache != NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "groupsize", json_object_new_int(
		    cp->cp_cache->pc_pcgsize));
		json_object_object_add(o, "ncpu", json_object_new_int(
		    cp->cp_cache->pc_ncpu));
		json_object_object_add(r, "cache", o);
	} else
		json_object_object_add(r, "cache", NULL);
	json_object_object_add(r, "cpus",
	    child_section(c, st, &nbmd_fs_caches, cp->cp_name));
	nbm_stats_free(st);
	return r;
}

static void
child_pool_reply(struct child *c, struct child_pool *cp)
{

	c->c_result = child_pool_show(c, cp);
}

/* pool.list: every kern.pool record, and the names the daemon made. */
static void
child_op_pool_list(struct child *c)
{
	struct child_pool *cp;
	struct nbm_stats *st;
	json_object *a;

	if ((st = child_stats(c)) == NULL)
		return;
	c->c_result = json_object_new_object();
	child_blob(c, "pools", &nbmd_fs_pools, st->st_pools, st->st_npools);
	nbm_stats_free(st);
	a = json_object_new_array();
	LIST_FOREACH(cp, &c->c_pools, cp_entry)
		if (cp->cp_owned)
			json_object_array_add(a,
			    json_object_new_string(cp->cp_name));
	json_object_object_add(c->c_result, "owned", a);
}

static void
child_op_pool_show(struct child *c)
{
	struct child_pool *cp;

	if ((cp = child_pool_get(c, "name")) != NULL)
		child_pool_reply(c, cp);
}

/*
 * Whether pages for n more items of pp fit in the free memory above the
 * page daemon's target; if not, a bad-params error on field.
 */
static bool
child_pool_fits(struct child *c, struct pool *pp, uint64_t n,
    const char *field)
{
	struct nbm_uvmexp ux;
	uint64_t pages, have;

	nbm_machine_uvmexp(c->c_m, &ux);
	pages = (n + pp->pr_itemsperpage - 1) / pp->pr_itemsperpage *
	    (pp->pr_alloc->pa_pagesz / ux.pagesize);
	have = ux.free > ux.freetarg ? ux.free - ux.freetarg : 0;
	if (pages <= have)
		return true;
	child_fail(c, PROTO_E_BAD_PARAMS, "%s: %llu items of pool %s need "
	    "%llu pages, and the machine has %llu free above its page "
	    "daemon target", field, (unsigned long long)n, pp->pr_wchan,
	    (unsigned long long)pages, (unsigned long long)have);
	return false;
}

/* The watermarks and hard limit among the arguments; 0 or -1. */
static int
child_pool_limits(struct child *c, struct child_pool *cp)
{
	struct pool *pp = cp->cp_pool;
	const char *w;
	int n;

	if (proto_has(c->c_args, "lowat") &&
	    !child_pool_fits(c, pp, (uint64_t)proto_get_int(c->c_args, "lowat", 0),
	    "params.lowat"))
		return -1;
	if (proto_has(c->c_args, "hardlimit")) {
		n = (int)proto_get_int(c->c_args, "hardlimit", INT_MAX);
		w = proto_get_string(c->c_args, "warning", NULL);
		if (w != NULL)
			snprintf(cp->cp_warning, sizeof(cp->cp_warning), "%s",
			    w);
		pool_sethardlimit(pp, n, w != NULL ? cp->cp_warning : NULL,
		    (int)proto_get_int(c->c_args, "ratecap", CHILD_RATECAP));
	}
	if (proto_has(c->c_args, "hiwat"))
		pool_sethiwat(pp, (int)proto_get_int(c->c_args, "hiwat", 0));
	if (proto_has(c->c_args, "lowat"))
		pool_setlowat(pp, (int)proto_get_int(c->c_args, "lowat", 0));
	return 0;
}

/* pool.create: a pool or a pool cache, owned by the daemon. */
static void
child_op_pool_create(struct child *c)
{
	const char *name = proto_get_string(c->c_args, "name", "");
	struct child_pool *cp;
	struct pool *pp;
	json_object *a, *v;
	size_t size, align, i, j, n, pagesz;
	int flags = 0, ipl = IPL_NONE;
	bool cache;

	if (nbm_pool_lookup(c->c_m, name) != NULL) {
		child_fail(c, PROTO_E_EXISTS, "params.name: a pool called "
		    "\"%s\" exists", name);
		return;
	}
	if (*name == '\0') {
		child_fail(c, PROTO_E_BAD_PARAMS, "params.name: must not be "
		    "empty");
		return;
	}
	pagesz = nbm_machine_config(c->c_m)->page_size;
	size = (size_t)proto_get_int(c->c_args, "size", 0);
	align = (size_t)proto_get_int(c->c_args, "align", 0);
	if (align != 0 && (align & (align - 1)) != 0) {
		child_fail(c, PROTO_E_BAD_PARAMS, "params.align: %zu is not a "
		    "power of two (0: the default, %zu)", align,
		    sizeof(void *));
		return;
	}
	if ((align == 0 ? (size + 7) & ~(size_t)7 :
	    (size + align - 1) & ~(align - 1)) > pagesz) {
		child_fail(c, PROTO_E_BAD_PARAMS, "params.size: %zu rounded "
		    "to the alignment must fit in a page (%zu bytes)", size,
		    pagesz);
		return;
	}
	if (proto_has(c->c_args, "ipl") && child_ipl_parse(c, "params.ipl",
	    proto_get_string(c->c_args, "ipl", ""), &ipl) != 0)
		return;
	if (json_object_object_get_ex(c->c_args, "flags", &a)) {
		n = json_object_array_length(a);
		for (i = 0; i < n; i++) {
			v = json_object_array_get_idx(a, i);
			for (j = 0; j < NPOOLFLAGS; j++)
				if (child_pool_flags[j].pf_create &&
				    strcmp(child_pool_flags[j].pf_name,
				    json_object_get_string(v)) == 0)
					break;
			if (j == NPOOLFLAGS) {
				child_fail(c, PROTO_E_BAD_PARAMS,
				    "params.flags[%zu]: \"%.32s\" is not "
				    "accepted; accepted: PR_NOTOUCH, "
				    "PR_NOALIGN, PR_LARGECACHE, PR_PSERIALIZE",
				    i, json_object_get_string(v));
				return;
			}
			flags |= child_pool_flags[j].pf_flag;
		}
	}
	cache = proto_get_bool(c->c_args, "cache", false);
	if ((flags & PR_LARGECACHE) && !cache) {
		child_fail(c, PROTO_E_BAD_PARAMS, "params.flags: PR_LARGECACHE "
		    "needs \"cache\": true");
		return;
	}
	cp = xcalloc(1, sizeof(*cp));
	snprintf(cp->cp_name, sizeof(cp->cp_name), "%s", name);
	cp->cp_owned = true;
	if (cache) {
		cp->cp_cache = pool_cache_init(size, (u_int)align, 0,
		    (u_int)flags, cp->cp_name, NULL, ipl, NULL, NULL, NULL);
		pp = &cp->cp_cache->pc_pool;
	} else {
		pp = cp->cp_storage = xcalloc(1, sizeof(struct pool));
		pool_init(pp, size, (u_int)align, 0, flags, cp->cp_name, NULL,
		    ipl);
	}
	cp->cp_pool = pp;
	if (child_pool_limits(c, cp) != 0) {
		/* Leave nothing behind a request that failed. */
		if (cp->cp_cache != NULL)
			pool_cache_destroy(cp->cp_cache);
		else
			pool_destroy(pp);
		free(cp->cp_storage);
		free(cp);
		return;
	}
	LIST_INSERT_HEAD(&c->c_pools, cp, cp_entry);
	child_pool_reply(c, cp);
}

/* Give back what debug.hold took from cp. */
static void
child_pool_release(struct child_pool *cp)
{
	size_t i;

	for (i = 0; i < cp->cp_nheld; i++) {
		if (cp->cp_cache != NULL)
			pool_cache_put(cp->cp_cache, cp->cp_held[i]);
		else
			pool_put(cp->cp_pool, cp->cp_held[i]);
	}
	free(cp->cp_held);
	cp->cp_held = NULL;
	cp->cp_nheld = 0;
}

/*
 * pool.destroy: only a pool the daemon made, and only with no item out
 * (a cache is invalidated first: cached objects are not "out").
 */
static void
child_op_pool_destroy(struct child *c)
{
	struct child_pool *cp;
	struct pool *pp;
	u_int nout;

	if ((cp = child_pool_get(c, "name")) == NULL)
		return;
	if (!cp->cp_owned) {
		child_fail(c, PROTO_E_NOT_OWNED, "pool %s belongs to the "
		    "kernel or a workload; only pools made with pool.create "
		    "can be destroyed", cp->cp_name);
		return;
	}
	pp = cp->cp_pool;
	if (cp->cp_cache != NULL)
		pool_cache_invalidate(cp->cp_cache);
	mutex_enter(&pp->pr_lock);
	nout = pp->pr_nout;
	mutex_exit(&pp->pr_lock);
	if (nout > 0) {
		child_fail(c, PROTO_E_POOL_BUSY, "pool %s has %u item%s out%s; "
		    "pool_destroy would panic (\"pool busy\")", cp->cp_name,
		    nout, nout == 1 ? "" : "s", cp->cp_nheld > 0 ?
		    " (held by debug.hold)" : "");
		return;
	}
	c->c_result = child_pool_show(c, cp);
	if (cp->cp_cache != NULL)
		pool_cache_destroy(cp->cp_cache);
	else
		pool_destroy(pp);
	LIST_REMOVE(cp, cp_entry);
	free(cp->cp_storage);
	free(cp);
}

/* pool.setlowat, pool.sethiwat, pool.sethardlimit */
static void
child_op_pool_limits(struct child *c)
{
	struct child_pool *cp;

	if ((cp = child_pool_get(c, "name")) != NULL &&
	    child_pool_limits(c, cp) == 0)
		child_pool_reply(c, cp);
}

/* pool.prime: pages for n more items, kept (pool_prime). */
static void
child_op_pool_prime(struct child *c)
{
	struct child_pool *cp;
	int n = (int)proto_get_int(c->c_args, "items", 0);

	if ((cp = child_pool_get(c, "name")) == NULL ||
	    !child_pool_fits(c, cp->cp_pool, (uint64_t)n, "params.items"))
		return;
	if (cp->cp_cache != NULL)
		pool_cache_prime(cp->cp_cache, n);
	else
		pool_prime(cp->cp_pool, n);
	child_pool_reply(c, cp);
}

/* pool.reclaim: give idle pages back (pool_reclaim, pool_cache_reclaim). */
static void
child_op_pool_reclaim(struct child *c)
{
	struct child_pool *cp;
	bool freed;

	if ((cp = child_pool_get(c, "name")) == NULL)
		return;
	if (cp->cp_cache != NULL)
		freed = pool_cache_reclaim(cp->cp_cache);
	else
		freed = pool_reclaim(cp->cp_pool) != 0;
	child_pool_reply(c, cp);
	if (c->c_result != NULL)
		json_object_object_add(c->c_result, "reclaimed",
		    json_object_new_boolean(freed));
}

/* cache.list: the records of the pools with a cache, and their CPUs. */
static void
child_op_cache_list(struct child *c)
{
	struct nbm_stats *st;
	size_t i, n;

	if ((st = child_stats(c)) == NULL)
		return;
	/* Keep the pools with a cache, in place. */
	for (i = n = 0; i < st->st_npools; i++)
		if (st->st_pools[i].pr_cache_meta_size != 0)
			st->st_pools[n++] = st->st_pools[i];
	c->c_result = json_object_new_object();
	child_blob(c, "caches", &nbmd_fs_pools, st->st_pools, n);
	child_blob(c, "cpus", &nbmd_fs_caches, st->st_cachecpu,
	    st->st_ncachecpu);
	nbm_stats_free(st);
}

/* The pool cache named by "name"; NULL with no-such-pool or no-cache. */
static struct child_pool *
child_cache_get(struct child *c)
{
	struct child_pool *cp;

	if ((cp = child_pool_get(c, "name")) == NULL)
		return NULL;
	if (cp->cp_cache == NULL) {
		child_fail(c, PROTO_E_NO_CACHE, "pool %s has no cache; "
		    "cache.list names the pools that have one", cp->cp_name);
		return NULL;
	}
	return cp;
}

static void
child_op_cache_show(struct child *c)
{
	struct child_pool *cp;

	if ((cp = child_cache_get(c)) != NULL)
		child_pool_reply(c, cp);
}

/* cache.invalidate: every cached object back to the pool, every CPU. */
static void
child_op_cache_invalidate(struct child *c)
{
	struct child_pool *cp;

	if ((cp = child_cache_get(c)) == NULL)
		return;
	pool_cache_invalidate(cp->cp_cache);
	child_pool_reply(c, cp);
}

/*
 * kmem.stats: the size classes (the kern.pool records of the "kmem-"
 * pools) and the counters of the paths no pool shows.
 */
static void
child_op_kmem_stats(struct child *c)
{
	struct nbm_kmem_stats ks;
	struct nbm_stats *st;
	json_object *o;
	size_t i, n;

	if ((st = child_stats(c)) == NULL)
		return;
	for (i = n = 0; i < st->st_npools; i++)
		if (strncmp(st->st_pools[i].pr_wchan, "kmem-", 5) == 0)
			st->st_pools[n++] = st->st_pools[i];
	child_blob(c, "classes", &nbmd_fs_pools, st->st_pools, n);
	nbm_stats_free(st);
	nbm_kmem_getstats(&ks);
	o = json_object_new_object();
#define K(f)	json_object_object_add(o, #f, json_object_new_uint64(ks.ks_##f))
	K(nlarge_alloc);
	K(nlarge_free);
	K(large_inuse);
	K(nguard_alloc);
	K(nguard_free);
	K(guard_quarantine);
	K(nclasses);
#undef K
	c->c_result = json_object_new_object();
	json_object_object_add(c->c_result, "large", o);
}

/*
 * debug.hold: take count items from a pool (PR_NOWAIT) and keep them, so
 * that tests can see items out, a busy pool, a hard limit reached.
 */
static void
child_op_debug_hold(struct child *c)
{
	struct child_pool *cp;
	int64_t i, n = proto_get_int(c->c_args, "count", 1);
	uint64_t failed = 0;
	void *p;

	if ((cp = child_pool_get(c, "pool")) == NULL ||
	    !child_pool_fits(c, cp->cp_pool, (uint64_t)n, "params.count"))
		return;
	cp->cp_held = xreallocarray(cp->cp_held, cp->cp_nheld + (size_t)n,
	    sizeof(void *));
	for (i = 0; i < n; i++) {
		if (cp->cp_cache != NULL)
			p = pool_cache_get(cp->cp_cache, PR_NOWAIT);
		else
			p = pool_get(cp->cp_pool, PR_NOWAIT);
		if (p == NULL)
			failed++;
		else
			cp->cp_held[cp->cp_nheld++] = p;
	}
	c->c_result = json_object_new_object();
	json_object_object_add(c->c_result, "held",
	    json_object_new_uint64(cp->cp_nheld));
	json_object_object_add(c->c_result, "failed",
	    json_object_new_uint64(failed));
}

/* debug.release: give back what debug.hold took from a pool. */
static void
child_op_debug_release(struct child *c)
{
	struct child_pool *cp;
	size_t n;

	if ((cp = child_pool_get(c, "pool")) == NULL)
		return;
	n = cp->cp_nheld;
	child_pool_release(cp);
	c->c_result = json_object_new_object();
	json_object_object_add(c->c_result, "released",
	    json_object_new_uint64(n));
}

/*
 * debug.kmem_wrongfree: kmem_alloc(size) and kmem_free() with size - 1,
 * the mistake KMEM_SIZE exists to catch: the machine panics with
 * subr_kmem.c's "kmem_free(%p, %zu) != allocated size %zu; overwrote?".
 * Refused on a machine booted without KMEM_SIZE, where it would corrupt
 * the size classes silently instead.
 */
static void
child_op_debug_kmem_wrongfree(struct child *c)
{
	size_t size = (size_t)proto_get_int(c->c_args, "size", 64);
	void *p;

	if ((nbm_machine_config(c->c_m)->options & NBM_OPT_KMEM_SIZE) == 0) {
		child_fail(c, PROTO_E_BAD_PARAMS, "params.size: the machine "
		    "was booted without KMEM_SIZE, which this needs; boot it "
		    "with \"options\": [\"KMEM_SIZE\"]");
		return;
	}
	p = kmem_alloc(size, KM_SLEEP);
	kmem_free(p, size - 1);
	c->c_result = json_object_new_object();
}

const struct child_op child_pool_ops[] = {
	{ "pool.list", 0, child_op_pool_list },
	{ "pool.show", 0, child_op_pool_show },
	{ "pool.create", CHILD_OP_CPU, child_op_pool_create },
	{ "pool.destroy", CHILD_OP_CPU | CHILD_OP_FLUSH,
	    child_op_pool_destroy },
	{ "pool.setlowat", CHILD_OP_CPU, child_op_pool_limits },
	{ "pool.sethiwat", 0, child_op_pool_limits },
	{ "pool.sethardlimit", 0, child_op_pool_limits },
	{ "pool.prime", CHILD_OP_CPU, child_op_pool_prime },
	{ "pool.reclaim", CHILD_OP_CPU | CHILD_OP_FLUSH,
	    child_op_pool_reclaim },
	{ "cache.list", 0, child_op_cache_list },
	{ "cache.show", 0, child_op_cache_show },
	{ "cache.invalidate", CHILD_OP_FLUSH, child_op_cache_invalidate },
	{ "kmem.stats", 0, child_op_kmem_stats },
	{ "debug.hold", CHILD_OP_DEBUG | CHILD_OP_CPU, child_op_debug_hold },
	{ "debug.release", CHILD_OP_DEBUG | CHILD_OP_CPU,
	    child_op_debug_release },
	{ "kmem_wrongfree", CHILD_OP_DEBUG | CHILD_OP_CPU,
	    child_op_debug_kmem_wrongfree },
	{ NULL, 0, NULL }
};
