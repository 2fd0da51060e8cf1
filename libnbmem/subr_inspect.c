/*
 * subr_inspect.c: lookups by name and the maps behind the statistics
 * (<nbmem/inspect.h>), for programs that inspect a running machine.
 *
 * The machine's lists are walked with their own locks held (the pool list
 * with pool_head_lock, the arena list with vmem_list_lock, the extent list
 * with its mutex), and each object is read under its own lock, exactly as
 * the statistics snapshot does (kern_stats.c).  Nothing allocates while a
 * lock is held: a map is first counted, then copied into a buffer of that
 * size, again if the object grew in between.
 */
#include <errno.h>
#include <stdlib.h>

#include "subr_pool_impl.h"

#include <nbmem/extent.h>
#include <nbmem/inspect.h>
#include <nbmem/vmem_impl.h>

/*
 * nbm_pool_lookup: walk the machine's pool list under pool_head_lock.
 */
struct pool *
nbm_pool_lookup(struct nbm_machine *m, const char *wchan)
{
	struct nbm_pool_state *ps;
	struct pool *pp;

	if (NBM_CURMACHINE() != m)
		panic("nbm_pool_lookup: called from a CPU of another machine");
	ps = pool_state_of(m);
	mutex_enter(&ps->ps_head_lock);
	TAILQ_FOREACH(pp, &ps->ps_pool_head, pr_poollist)
		if (strcmp(pp->pr_wchan, wchan) == 0)
			break;
	mutex_exit(&ps->ps_head_lock);
	return pp;
}

/* nbm_pool_cache_lookup: a pool's cache comes with the pool. */
pool_cache_t
nbm_pool_cache_lookup(struct nbm_machine *m, const char *wchan)
{
	struct pool *pp = nbm_pool_lookup(m, wchan);

	return pp != NULL ? pp->pr_cache : NULL;
}

/* ---- vmem segment maps */

struct segmap_arg {
	const char		*sm_name;	/* arena wanted */
	bool			 sm_found;	/* it exists */
	struct nbm_vmem_seg	*sm_buf;	/* room for sm_cap tags */
	size_t			 sm_cap;
	size_t			 sm_n;		/* tags seen */
};

static void
segmap_tag(vmem_addr_t start, vmem_size_t size, int type, void *arg)
{
	struct segmap_arg *sm = arg;
	struct nbm_vmem_seg *sg;

	if (sm->sm_n < sm->sm_cap) {
		sg = &sm->sm_buf[sm->sm_n];
		sg->vg_start = start;
		sg->vg_size = size;
		sg->vg_type = type;
	}
	sm->sm_n++;
}

static void
segmap_arena(vmem_t *vm, void *arg)
{
	struct segmap_arg *sm = arg;

	if (sm->sm_found || strcmp(vm->vm_name, sm->sm_name) != 0)
		return;
	sm->sm_found = true;
	nbm_vmem_walk(vm, segmap_tag, sm);
}

int
nbm_vmem_segmap(struct nbm_machine *m, const char *name,
    struct nbm_vmem_seg **segsp, size_t *np)
{
	struct segmap_arg sm;
	struct nbm_vmem_seg *nb;

	memset(&sm, 0, sizeof(sm));
	sm.sm_name = name;
	for (;;) {
		sm.sm_found = false;
		sm.sm_n = 0;
		nbm_vmem_foreach(m, segmap_arena, &sm);
		if (!sm.sm_found) {
			free(sm.sm_buf);
			return ENOENT;
		}
		if (sm.sm_n <= sm.sm_cap)
			break;
		sm.sm_cap = sm.sm_n + 16;
		if ((nb = realloc(sm.sm_buf, sm.sm_cap * sizeof(*nb))) ==
		    NULL) {
			free(sm.sm_buf);
			return ENOMEM;
		}
		sm.sm_buf = nb;
	}
	if (sm.sm_n == 0) {
		free(sm.sm_buf);
		sm.sm_buf = NULL;
	}
	*segsp = sm.sm_buf;
	*np = sm.sm_n;
	return 0;
}

/* ---- extent regions */

struct regions_arg {
	const char		*ra_name;	/* extent wanted */
	bool			 ra_found;
	bool			 ra_print;	/* extent_print it */
	struct nbm_extent_reg	*ra_buf;	/* room for ra_cap regions */
	size_t			 ra_cap;
	size_t			 ra_n;		/* regions seen */
};

static void
regions_extent(struct extent *ex, void *arg)
{
	struct regions_arg *ra = arg;
	struct extent_region *rp;
	bool locked = (ex->ex_flags & EXF_EARLY) == 0;

	if (ra->ra_found || strcmp(ex->ex_name, ra->ra_name) != 0)
		return;
	ra->ra_found = true;
	if (ra->ra_print) {
		extent_print(ex);
		return;
	}
	if (locked)
		mutex_enter(&ex->ex_lock);
	LIST_FOREACH(rp, &ex->ex_regions, er_link) {
		if (ra->ra_n < ra->ra_cap) {
			ra->ra_buf[ra->ra_n].xr_start = rp->er_start;
			ra->ra_buf[ra->ra_n].xr_end = rp->er_end;
		}
		ra->ra_n++;
	}
	if (locked)
		mutex_exit(&ex->ex_lock);
}

int
nbm_extent_regions(struct nbm_machine *m, const char *name,
    struct nbm_extent_reg **regsp, size_t *np)
{
	struct regions_arg ra;
	struct nbm_extent_reg *nb;

	memset(&ra, 0, sizeof(ra));
	ra.ra_name = name;
	for (;;) {
		ra.ra_found = false;
		ra.ra_n = 0;
		nbm_extent_foreach(m, regions_extent, &ra);
		if (!ra.ra_found) {
			free(ra.ra_buf);
			return ENOENT;
		}
		if (ra.ra_n <= ra.ra_cap)
			break;
		ra.ra_cap = ra.ra_n + 16;
		if ((nb = realloc(ra.ra_buf, ra.ra_cap * sizeof(*nb))) ==
		    NULL) {
			free(ra.ra_buf);
			return ENOMEM;
		}
		ra.ra_buf = nb;
	}
	if (ra.ra_n == 0) {
		free(ra.ra_buf);
		ra.ra_buf = NULL;
	}
	*regsp = ra.ra_buf;
	*np = ra.ra_n;
	return 0;
}

int
nbm_extent_print_name(struct nbm_machine *m, const char *name)
{
	struct regions_arg ra;

	memset(&ra, 0, sizeof(ra));
	ra.ra_name = name;
	ra.ra_print = true;
	nbm_extent_foreach(m, regions_extent, &ra);
	return ra.ra_found ? 0 : ENOENT;
}
