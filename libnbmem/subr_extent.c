/*
 * subr_extent.c: extent(9), the general purpose extent manager.
 *
 * An extent manages a range [ex_start, ex_end] of an integer space (I/O
 * ports, bus addresses).  It records only what is allocated: a list of
 * region descriptors (struct extent_region), sorted by start address, with
 * inclusive bounds.  Free space is the gaps between them.  This file
 * reproduces NetBSD's sys/kern/subr_extent.c 1.86 (spec section 2).
 *
 * Allocation (extent_alloc_subregion1) walks the gaps of [substart, subend]
 * in address order.  In each gap it tries one candidate: the lowest start
 * that is congruent to skew modulo alignment.  If a boundary is given and
 * the candidate would cross a boundary line (base + k * boundary, with base
 * ex_start, or 0 under EX_BOUNDZERO), it is moved to start on that line,
 * without aligning it again; this is NetBSD's behaviour, and its t_extent
 * test depends on it.  With EX_FAST the first candidate that fits wins;
 * otherwise an exact fit wins at once, and the candidate leaving the least
 * trailing waste (gap end minus candidate end) wins at the end, ties going
 * to the lower address.  The search is linear in the number of regions.
 *
 * Regions: on a coalescing extent a new region merges with the regions that
 * touch it, so the list is always the minimal set of disjoint, non-adjacent
 * ranges, and any part of a region can be freed (a free strictly inside a
 * region splits it).  On an EX_NOCOALESCE extent every allocation keeps its
 * own descriptor and only whole regions can be freed.
 *
 * Descriptors: a fixed extent (created with storage) carves descriptors
 * from its storage onto fex_freelist and falls back to the "extent" pool
 * only with EX_MALLOCOK.  Other extents take every descriptor from the
 * pool.  Because a free on a coalescing extent may split a region, it
 * obtains a descriptor before it takes the lock, so such a free can fail
 * with ENOMEM.
 *
 * Memory (spec 2.3, 2.6): descriptors come from the machine's "extent"
 * pool (NetBSD's expool, created by extent_init at boot, after the pools
 * and before the first extent that needs it), with PR_WAITOK under
 * EX_WAITOK and PR_NOWAIT otherwise; the struct extent of extent_create
 * without storage comes from kmem_alloc (KM_SLEEP under EX_WAITOK).  Fixed
 * extents, such as the x86 I/O extents created before kmem_init, need
 * neither.  Both show in the pool statistics like any pool.
 *
 * Locking: each extent has a spin mutex at IPL_VM (ex_lock) and a condition
 * variable (ex_cv) on which threads wait for space (EX_WAITSPACE) or for a
 * descriptor of a fixed extent (EX_WAITOK).  EX_EARLY extents have neither.
 * The machine's list of extents has its own adaptive lock (exs_lock), taken
 * before any ex_lock; expool's lock is taken after ex_lock.
 *
 * Checks: machines booted with DIAGNOSTIC panic on the argument checks of
 * NetBSD's DIAGNOSTIC kernel, with its messages.  Without DIAGNOSTIC the
 * checks are skipped, exactly as in the kernel (and in t_extent, which is
 * built that way): extent_alloc_region outside the extent returns EINVAL,
 * and subregion bounds are not checked (spec 2.10).
 */
#include <stdlib.h>

#include "nbm_impl.h"

struct nbm_extent_state {
	kmutex_t	 exs_lock;	/* exs_extents (adaptive) */
	LIST_HEAD(, extent) exs_extents; /* every extent, newest first */
	bool		 exs_pool_ready; /* extent_init has run */
	struct pool	 exs_pool;	/* expool, "extent" */
};

/* The smallest y >= x with y == skew (mod align), align a power of 2. */
#define EXTENT_ALIGN(_x, _align, _skew)					\
	(((((_x) - (_skew)) + ((_align) - 1)) & -(_align)) + (_skew))

/* x + y <= z, and x + y does not wrap. */
#define LE_OV(x, y, z)	((((x) + (y)) >= (x)) && (((x) + (y)) <= (z)))

#define EXTENT_DIAGNOSTIC(m)	nbm_opt((m), NBM_OPT_DIAGNOSTIC)
#define EXTENT_EARLY(ex)	(((ex)->ex_flags & EXF_EARLY) != 0)

/*
 * extent_alloc_region_descriptor: get a descriptor for ex (spec 2.6).
 *
 * => ex must not be locked; this takes the lock it needs.
 * => fixed extent: from fex_freelist; when that is empty, from the pool
 *    with EX_MALLOCOK, else fail without EX_WAITOK, else wait on ex_cv for a
 *    descriptor to come back (an interrupted EX_CATCH wait fails).
 * => other extents: from the pool, marked ER_ALLOC.
 * => returns NULL on failure; callers turn that into ENOMEM.
 */
static struct extent_region *
extent_alloc_region_descriptor(struct nbm_machine *m, struct extent *ex,
    int flags)
{
	struct extent_fixed *fex;
	struct extent_region *rp;
	bool early = EXTENT_EARLY(ex);
	int error;

	if ((ex->ex_flags & EXF_FIXED) != 0) {
		fex = (struct extent_fixed *)ex;
		if (!early)
			mutex_enter(&ex->ex_lock);
		for (;;) {
			if ((rp = LIST_FIRST(&fex->fex_freelist)) != NULL) {
				/*
				 * Keep er_flags: a pool descriptor handed
				 * to a waiter still says ER_ALLOC.
				 */
				LIST_REMOVE(rp, er_link);
				if (!early)
					mutex_exit(&ex->ex_lock);
				return rp;
			}
			if ((flags & EX_MALLOCOK) != 0) {
				if (!early)
					mutex_exit(&ex->ex_lock);
				break;
			}
			if ((flags & EX_WAITOK) == 0 || early) {
				/* An EX_EARLY extent has no cv to wait on. */
				KASSERTMSG(!early || (flags & EX_WAITOK) == 0,
				    "extent `%s': EX_WAITOK on an EX_EARLY "
				    "extent", ex->ex_name);
				if (!early)
					mutex_exit(&ex->ex_lock);
				return NULL;
			}
			ex->ex_flwanted = true;
			if ((flags & EX_CATCH) != 0)
				error = cv_wait_sig(&ex->ex_cv, &ex->ex_lock);
			else {
				cv_wait(&ex->ex_cv, &ex->ex_lock);
				error = 0;
			}
			if (error != 0) {
				mutex_exit(&ex->ex_lock);
				return NULL;
			}
		}
	}

	rp = pool_get(&m->m_extent->exs_pool,
	    (flags & EX_WAITOK) != 0 ? PR_WAITOK : PR_NOWAIT);
	if (rp != NULL)
		rp->er_flags = ER_ALLOC;
	return rp;
}

/*
 * extent_free_region_descriptor: give back a descriptor of ex.
 *
 * => ex must be locked (unless EX_EARLY) if it is a fixed extent.
 * => fixed extent: a storage descriptor goes back on fex_freelist; a pool
 *    descriptor goes there too if a thread waits for one, else back to
 *    the pool.  Waiters are woken either way.
 */
static void
extent_free_region_descriptor(struct nbm_machine *m, struct extent *ex,
    struct extent_region *rp)
{
	struct extent_fixed *fex;

	if ((ex->ex_flags & EXF_FIXED) == 0) {
		pool_put(&m->m_extent->exs_pool, rp);
		return;
	}
	fex = (struct extent_fixed *)ex;
	if ((rp->er_flags & ER_ALLOC) != 0) {
		if (ex->ex_flwanted) {
			rp->er_flags = ER_ALLOC;
			LIST_INSERT_HEAD(&fex->fex_freelist, rp, er_link);
		} else
			pool_put(&m->m_extent->exs_pool, rp);
	} else {
		rp->er_flags = 0;
		LIST_INSERT_HEAD(&fex->fex_freelist, rp, er_link);
	}
	if (!EXTENT_EARLY(ex)) {
		ex->ex_flwanted = false;
		cv_broadcast(&ex->ex_cv);
	}
}

/*
 * extent_init: create the descriptor pool expool ("extent", IPL_VM).
 *
 * => runs once per machine at boot (extent_bootstrap); later calls, from
 *    kernel code that makes the call itself, change nothing.
 */
void
extent_init(void)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct nbm_extent_state *exs = m->m_extent;

	KASSERT(exs != NULL);
	if (exs->exs_pool_ready)
		return;
	pool_init(&exs->exs_pool, sizeof(struct extent_region), 0, 0, 0,
	    "extent", NULL, IPL_VM);
	exs->exs_pool_ready = true;
}

/*
 * extent_create: make an extent over [start, end].
 *
 * => storage != NULL: a fixed extent inside storage (storagesize bytes,
 *    long-aligned, EXTENT_FIXED_STORAGE_SIZE(n) for n descriptors); never
 *    fails.
 * => storage == NULL: the structure comes from kmem_alloc (KM_SLEEP with
 *    EX_WAITOK, else KM_NOSLEEP); returns NULL if that fails.
 * => flags: EX_NOCOALESCE, EX_EARLY (no lock, no cv), EX_WAITOK.
 */
struct extent *
extent_create(const char *name, u_long start, u_long end, void *storage,
    size_t storagesize, int flags)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct nbm_extent_state *exs = m->m_extent;
	struct extent_fixed *fex;
	struct extent_region *rp;
	struct extent *ex;
	bool fixed = storage != NULL;
	char *cp;
	size_t sz;

	if (EXTENT_DIAGNOSTIC(m)) {
		if (name == NULL)
			panic("extent_create: name == NULL");
		if (end < start) {
			kprintf("extent_create: extent `%s', start 0x%lx, "
			    "end 0x%lx\n", name, start, end);
			panic("extent_create: end < start");
		}
		if (!fixed && storagesize != 0)
			panic("extent_create: storage provided for non-fixed");
	}
	/*
	 * Checked on every machine: a kernel without DIAGNOSTIC would write
	 * its header past the end of the caller's storage.
	 */
	if (fixed && storagesize < ALIGN(sizeof(struct extent_fixed)))
		panic("extent_create: fixed extent, bad storagesize 0x%lx",
		    (u_long)storagesize);

	if (fixed) {
		memset(storage, 0, storagesize);
		fex = storage;
		fex->fex_storage = storage;
		fex->fex_storagesize = storagesize;
		LIST_INIT(&fex->fex_freelist);
		/* Carve the rest into long-aligned descriptors. */
		cp = (char *)storage + ALIGN(sizeof(struct extent_fixed));
		sz = storagesize - ALIGN(sizeof(struct extent_fixed));
		while (sz >= ALIGN(sizeof(struct extent_region))) {
			rp = (struct extent_region *)(void *)cp;
			LIST_INSERT_HEAD(&fex->fex_freelist, rp, er_link);
			cp += ALIGN(sizeof(struct extent_region));
			sz -= ALIGN(sizeof(struct extent_region));
		}
		ex = &fex->fex_extent;
	} else {
		ex = kmem_alloc(sizeof(*ex),
		    (flags & EX_WAITOK) != 0 ? KM_SLEEP : KM_NOSLEEP);
		if (ex == NULL)
			return NULL;
		memset(ex, 0, sizeof(*ex));
	}

	if ((flags & EX_EARLY) == 0) {
		mutex_init(&ex->ex_lock, MUTEX_DEFAULT, IPL_VM);
		cv_init(&ex->ex_cv, "extent");
	}
	LIST_INIT(&ex->ex_regions);
	ex->ex_name = name;
	ex->ex_start = start;
	ex->ex_end = end;
	ex->ex_flags = 0;
	ex->ex_flwanted = false;
	if (fixed)
		ex->ex_flags |= EXF_FIXED;
	if ((flags & EX_NOCOALESCE) != 0)
		ex->ex_flags |= EXF_NOCOALESCE;
	if ((flags & EX_EARLY) != 0)
		ex->ex_flags |= EXF_EARLY;

	mutex_enter(&exs->exs_lock);
	LIST_INSERT_HEAD(&exs->exs_extents, ex, ex_link);
	mutex_exit(&exs->exs_lock);
	return ex;
}

/*
 * extent_destroy: give back every descriptor and free the extent.
 *
 * => nobody else may use ex any more; no locking.
 */
void
extent_destroy(struct extent *ex)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct nbm_extent_state *exs = m->m_extent;
	struct extent_region *rp, *nrp;
	struct extent_fixed *fex;

	if (ex == NULL)
		panic("extent_destroy: NULL extent");

	mutex_enter(&exs->exs_lock);
	LIST_REMOVE(ex, ex_link);
	mutex_exit(&exs->exs_lock);

	LIST_FOREACH_SAFE(rp, &ex->ex_regions, er_link, nrp) {
		LIST_REMOVE(rp, er_link);
		extent_free_region_descriptor(m, ex, rp);
	}
	if ((ex->ex_flags & EXF_FIXED) != 0) {
		/*
		 * Pool descriptors parked on the freelist for a waiter go
		 * back to the pool.  NetBSD leaves them there, and so loses
		 * them when the storage goes away.
		 */
		fex = (struct extent_fixed *)ex;
		LIST_FOREACH_SAFE(rp, &fex->fex_freelist, er_link, nrp) {
			if ((rp->er_flags & ER_ALLOC) == 0)
				continue;
			LIST_REMOVE(rp, er_link);
			pool_put(&m->m_extent->exs_pool, rp);
		}
	}
	if (!EXTENT_EARLY(ex)) {
		cv_destroy(&ex->ex_cv);
		mutex_destroy(&ex->ex_lock);
	}
	if ((ex->ex_flags & EXF_FIXED) == 0)
		kmem_free(ex, sizeof(*ex));
}

/*
 * extent_insert_and_optimize: enter [start, start+size-1] into the region
 * list after `after' (at the head if NULL), merging it with the regions
 * it touches unless the extent is EXF_NOCOALESCE (spec 2.5).
 *
 * => ex locked; rp is a descriptor obtained beforehand, used or given back
 *    here.
 */
static void
extent_insert_and_optimize(struct nbm_machine *m, struct extent *ex,
    u_long start, u_long size, struct extent_region *after,
    struct extent_region *rp)
{
	struct extent_region *next;
	bool coalesce = (ex->ex_flags & EXF_NOCOALESCE) == 0;
	bool appended = false;

	if (after == NULL) {
		next = LIST_FIRST(&ex->ex_regions);
		if (coalesce && next != NULL &&
		    start + size == next->er_start) {
			/* Grow the first region downward. */
			next->er_start = start;
			extent_free_region_descriptor(m, ex, rp);
			return;
		}
		rp->er_start = start;
		rp->er_end = start + (size - 1);
		LIST_INSERT_HEAD(&ex->ex_regions, rp, er_link);
		return;
	}

	if (coalesce) {
		next = LIST_NEXT(after, er_link);
		if (after->er_end + 1 == start) {
			/* Grow the region before upward. */
			after->er_end = start + (size - 1);
			appended = true;
		}
		if (next != NULL && start + size == next->er_start) {
			if (appended) {
				/* The gap is filled: merge next into after. */
				after->er_end = next->er_end;
				LIST_REMOVE(next, er_link);
				extent_free_region_descriptor(m, ex, next);
			} else
				next->er_start = start;
			extent_free_region_descriptor(m, ex, rp);
			return;
		}
		if (appended) {
			extent_free_region_descriptor(m, ex, rp);
			return;
		}
	}
	rp->er_start = start;
	rp->er_end = start + (size - 1);
	LIST_INSERT_AFTER(after, rp, er_link);
}

/*
 * extent_alloc_descriptor_for: the descriptor of a new region; a
 * DIAGNOSTIC machine reports a failure as NetBSD's does, in fn's name.
 */
static struct extent_region *
extent_alloc_descriptor_for(struct nbm_machine *m, struct extent *ex,
    int flags, const char *fn)
{
	struct extent_region *rp;

	rp = extent_alloc_region_descriptor(m, ex, flags);
	if (rp == NULL && EXTENT_DIAGNOSTIC(m))
		kprintf("%s: can't allocate region descriptor\n", fn);
	return rp;
}

/*
 * extent_wait_space: the space asked for is taken; with EX_WAITSPACE,
 * sleep on ex_cv until a free wakes us.
 *
 * => ex locked.
 * => returns 0 after a wakeup (search again), EAGAIN without EX_WAITSPACE,
 *    or the error of an interrupted EX_CATCH sleep.
 */
static int
extent_wait_space(struct extent *ex, int flags)
{

	if ((flags & EX_WAITSPACE) == 0 || EXTENT_EARLY(ex)) {
		/* An EX_EARLY extent has no cv to wait on. */
		KASSERTMSG((flags & EX_WAITSPACE) == 0,
		    "extent `%s': EX_WAITSPACE on an EX_EARLY extent",
		    ex->ex_name);
		return EAGAIN;
	}
	if ((flags & EX_CATCH) != 0)
		return cv_wait_sig(&ex->ex_cv, &ex->ex_lock);
	cv_wait(&ex->ex_cv, &ex->ex_lock);
	return 0;
}

/*
 * extent_alloc_finish: the end of an allocation, ex locked: enter
 * [start, start+size-1] after `after' if error is 0, else give the
 * descriptor obtained beforehand back; then unlock.  Returns error.
 *
 * NetBSD gives the descriptor back after dropping the lock, which races
 * with other users of a fixed extent's freelist; here it is done first.
 */
static int
extent_alloc_finish(struct nbm_machine *m, struct extent *ex, int error,
    u_long start, u_long size, struct extent_region *after,
    struct extent_region *rp)
{

	if (error == 0)
		extent_insert_and_optimize(m, ex, start, size, after, rp);
	else
		extent_free_region_descriptor(m, ex, rp);
	if (!EXTENT_EARLY(ex))
		mutex_exit(&ex->ex_lock);
	return error;
}

/*
 * extent_alloc_region: allocate exactly [start, start+size-1].
 *
 * => returns 0; EAGAIN if any of it is allocated (with EX_WAITSPACE: wait
 *    until it is free; EX_CATCH makes the wait interruptible); ENOMEM if no
 *    descriptor could be had; EINVAL if the range is not inside the extent
 *    (DIAGNOSTIC machines panic instead).
 * => may sleep with EX_WAITOK or EX_WAITSPACE.
 */
int
extent_alloc_region(struct extent *ex, u_long start, u_long size, int flags)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct extent_region *rp, *last, *myrp;
	u_long end = start + (size - 1);
	bool conflict;
	int error;

	if (ex == NULL)
		panic("extent_alloc_region: NULL extent");
	if (EXTENT_DIAGNOSTIC(m)) {
		if (size < 1) {
			kprintf("extent_alloc_region: extent `%s', "
			    "size 0x%lx\n", ex->ex_name, size);
			panic("extent_alloc_region: bad size");
		}
		if (end < start) {
			kprintf("extent_alloc_region: extent `%s', "
			    "start 0x%lx, size 0x%lx\n", ex->ex_name, start,
			    size);
			panic("extent_alloc_region: overflow");
		}
	}
	/* NetBSD checks this under LOCKDEBUG; here DEBUG machines do. */
	if ((flags & EX_WAITSPACE) != 0)
		ASSERT_SLEEPABLE();

	/* ex_start and ex_end never change: no lock needed to check. */
	if (start < ex->ex_start || end > ex->ex_end) {
		if (EXTENT_DIAGNOSTIC(m)) {
			kprintf("extent_alloc_region: extent `%s' "
			    "(0x%lx - 0x%lx)\n", ex->ex_name, ex->ex_start,
			    ex->ex_end);
			kprintf("extent_alloc_region: start 0x%lx, "
			    "end 0x%lx\n", start, end);
			panic("extent_alloc_region: region lies outside "
			    "extent");
		}
		return EINVAL;
	}

	/* Get the descriptor first: this may sleep. */
	if ((myrp = extent_alloc_descriptor_for(m, ex, flags,
	    "extent_alloc_region")) == NULL)
		return ENOMEM;

	if (!EXTENT_EARLY(ex))
		mutex_enter(&ex->ex_lock);
	for (;;) {
		/* last: the region we go after; the list is sorted. */
		last = NULL;
		conflict = false;
		LIST_FOREACH(rp, &ex->ex_regions, er_link) {
			if (rp->er_start > end)
				break;
			if (rp->er_end >= start) {
				conflict = true;
				break;
			}
			last = rp;
		}
		if (!conflict) {
			error = 0;
			break;
		}
		if ((error = extent_wait_space(ex, flags)) != 0)
			break;
	}
	return extent_alloc_finish(m, ex, error, start, size, last, myrp);
}

/* What extent_try_candidate found. */
#define EXC_NOFIT	0	/* nothing fits in this gap; go on */
#define EXC_FIT		1	/* the candidate fits; *ovhp is its waste */
#define EXC_STOP	2	/* stop the whole search */

/*
 * extent_try_candidate: check the candidate *newstartp of one gap (spec
 * 2.4, steps 4 and 5).
 *
 * => tail false: the gap ends before the region starting at limit, and
 *    the waste is counted up to it (wend == limit);
 *    tail true: the last gap, ending at subend (limit); the waste is
 *    counted up to exend (wend == exend + 1).
 * => with a boundary, a candidate that crosses the next line is moved to
 *    start on that line, and *newstartp is updated.  Its alignment is not
 *    restored: the result can be unaligned, as in NetBSD.
 */
static int
extent_try_candidate(const struct extent *ex, u_long *newstartp, u_long size,
    u_long boundary, int flags, bool tail, u_long limit, u_long wend,
    u_long *ovhp)
{
	u_long newstart = *newstartp, newend, dontcross, base;

#define EXC_FITS(s)							\
	(tail ? LE_OV((s), size - 1, limit) : LE_OV((s), size, limit))

	if (!EXC_FITS(newstart))
		return EXC_NOFIT;
	if (boundary != 0) {
		base = (flags & EX_BOUNDZERO) != 0 ? 0 : ex->ex_start;
		newend = newstart + (size - 1);
		/* The last address before the next line after newstart. */
		dontcross = EXTENT_ALIGN(newstart + 1, boundary, base) - 1;
		if (dontcross < ex->ex_start) {
			/* The line lies beyond the top of the space. */
			dontcross = ex->ex_end;
		} else if (newend > dontcross) {
			newstart = dontcross + 1;
			dontcross += boundary;
			*newstartp = newstart;
			if (!EXC_FITS(newstart))
				return EXC_NOFIT;
		}
		/*
		 * Past the end of the extent, or line arithmetic that
		 * wrapped: NetBSD gives up the whole search here (and falls
		 * back on the best candidate seen so far).
		 */
		if (newstart + size - 1 > ex->ex_end || dontcross < newstart)
			return EXC_STOP;
	}
#undef EXC_FITS
	*ovhp = wend - newstart - size;
	return EXC_FIT;
}

/*
 * extent_find_gap: the search of extent_alloc_subregion1 (spec 2.4).
 *
 * => ex locked.
 * => returns 0 with the start in *startp and the region to insert after in
 *    *afterp; EAGAIN if nothing fits; EINVAL if aligning substart wrapped
 *    below ex_start.
 */
static int
extent_find_gap(struct extent *ex, u_long substart, u_long subend,
    u_long size, u_long alignment, u_long skew, u_long boundary, int flags,
    u_long *startp, struct extent_region **afterp)
{
	struct extent_region *rp, *last, *bestlast;
	u_long newstart, exend, beststart, bestovh, ovh;
	int r;

	last = bestlast = NULL;
	/*
	 * bestovh 0 means "no candidate yet": a candidate with no waste is
	 * taken at once, so a remembered one always has some.
	 */
	bestovh = beststart = 0;
	/* Where the last gap's waste ends: ex_end, or a region past subend. */
	exend = ex->ex_end;

	newstart = EXTENT_ALIGN(substart, alignment, skew);
	if (newstart < ex->ex_start)
		return EINVAL;

	/* Skip the regions before newstart; the last may cover it. */
	LIST_FOREACH(rp, &ex->ex_regions, er_link) {
		if (rp->er_start >= newstart)
			break;
		last = rp;
	}
	if (last != NULL && last->er_end >= newstart)
		newstart = EXTENT_ALIGN(last->er_end + 1, alignment, skew);

	for (; rp != NULL; rp = LIST_NEXT(rp, er_link)) {
		if (rp->er_start > subend) {
			exend = rp->er_start;
			break;
		}
		r = extent_try_candidate(ex, &newstart, size, boundary, flags,
		    false, rp->er_start, rp->er_start, &ovh);
		if (r == EXC_STOP)
			goto fail;
		if (r == EXC_FIT) {
			if ((flags & EX_FAST) != 0 || ovh == 0)
				goto found;
			if (bestovh == 0 || ovh < bestovh) {
				bestovh = ovh;
				beststart = newstart;
				bestlast = last;
			}
		}
		newstart = EXTENT_ALIGN(rp->er_end + 1, alignment, skew);
		if (newstart < rp->er_end)
			goto fail;	/* wrapped: no space above */
		last = rp;
	}

	r = extent_try_candidate(ex, &newstart, size, boundary, flags, true,
	    subend, exend + 1, &ovh);
	if (r == EXC_FIT) {
		if ((flags & EX_FAST) != 0 || ovh == 0)
			goto found;
		if (bestovh == 0 || ovh < bestovh) {
			bestovh = ovh;
			beststart = newstart;
			bestlast = last;
		}
	}

 fail:
	if ((flags & EX_FAST) == 0 && bestovh != 0) {
		newstart = beststart;
		last = bestlast;
		goto found;
	}
	return EAGAIN;

 found:
	*startp = newstart;
	*afterp = last;
	return 0;
}

/*
 * extent_alloc_subregion1: allocate size units inside [substart, subend],
 * starting at a multiple of alignment plus skew, not crossing a boundary
 * line (spec 2.4).
 *
 * => EX_FAST: first fit; otherwise least trailing waste.  EX_BOUNDZERO:
 *    boundary lines count from 0 instead of ex_start.
 * => returns 0 and the start in *result; EAGAIN if nothing fits (with
 *    EX_WAITSPACE: wait for a free and search again); ENOMEM if no
 *    descriptor could be had; EINVAL if aligning substart wraps (DIAGNOSTIC
 *    machines panic instead).
 * => DIAGNOSTIC machines check the arguments; others do not, so a subend
 *    beyond ex_end is searched as given (t_extent subregion1).
 * => may sleep with EX_WAITOK or EX_WAITSPACE.
 */
int
extent_alloc_subregion1(struct extent *ex, u_long substart, u_long subend,
    u_long size, u_long alignment, u_long skew, u_long boundary, int flags,
    u_long *result)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct extent_region *myrp, *last = NULL;
	u_long newstart = 0;
	int error;

	/*
	 * NULL pointers are checked on every machine: a kernel without
	 * DIAGNOSTIC would fault on them, the host process must not.
	 */
	if (ex == NULL)
		panic("extent_alloc_subregion: NULL extent");
	if (result == NULL)
		panic("extent_alloc_subregion: NULL result pointer");
	if (EXTENT_DIAGNOSTIC(m)) {
		if (substart < ex->ex_start || substart > ex->ex_end ||
		    subend > ex->ex_end || subend < ex->ex_start) {
			kprintf("extent_alloc_subregion: extent `%s', "
			    "ex_start 0x%lx, ex_end 0x%lx\n", ex->ex_name,
			    ex->ex_start, ex->ex_end);
			kprintf("extent_alloc_subregion: substart 0x%lx, "
			    "subend 0x%lx\n", substart, subend);
			panic("extent_alloc_subregion: bad subregion");
		}
		if (size < 1 || size - 1 > subend - substart) {
			kprintf("extent_alloc_subregion: extent `%s', "
			    "size 0x%lx\n", ex->ex_name, size);
			panic("extent_alloc_subregion: bad size");
		}
		if (alignment == 0)
			panic("extent_alloc_subregion: bad alignment");
		if (boundary != 0 && boundary < size) {
			kprintf("extent_alloc_subregion: extent `%s', "
			    "size 0x%lx, boundary 0x%lx\n", ex->ex_name, size,
			    boundary);
			panic("extent_alloc_subregion: bad boundary");
		}
	}
	if ((flags & EX_WAITSPACE) != 0)
		ASSERT_SLEEPABLE();

	/* Get the descriptor first: this may sleep. */
	if ((myrp = extent_alloc_descriptor_for(m, ex, flags,
	    "extent_alloc_subregion")) == NULL)
		return ENOMEM;

	/*
	 * NetBSD takes ex_lock here even for EX_EARLY extents, whose mutex
	 * was never initialised (a zeroed mutex that a kernel without
	 * LOCKDEBUG happens to accept); the simulated mutexes check, so
	 * EX_EARLY is honoured here as in the other functions.
	 */
	if (!EXTENT_EARLY(ex))
		mutex_enter(&ex->ex_lock);
	for (;;) {
		error = extent_find_gap(ex, substart, subend, size, alignment,
		    skew, boundary, flags, &newstart, &last);
		if (error == 0)
			break;
		if (error == EINVAL) {
			if (EXTENT_DIAGNOSTIC(m)) {
				kprintf("extent_alloc_subregion: extent `%s' "
				    "(0x%lx - 0x%lx), alignment 0x%lx\n",
				    ex->ex_name, ex->ex_start, ex->ex_end,
				    alignment);
				if (!EXTENT_EARLY(ex))
					mutex_exit(&ex->ex_lock);
				panic("extent_alloc_subregion: overflow after "
				    "alignment");
			}
			break;
		}
		/*
		 * Wait for a free, then search again with the lock held.
		 * In NetBSD 1.86 the retry jumps to a label before
		 * mutex_enter(), so a woken waiter would enter the spin
		 * mutex it already holds (an upstream defect, spec 2.4
		 * step 6); the wait-then-retry meant there is what this
		 * does.
		 */
		if ((error = extent_wait_space(ex, flags)) != 0)
			break;
	}
	error = extent_alloc_finish(m, ex, error, newstart, size, last, myrp);
	if (error == 0)
		*result = newstart;
	return error;
}

int
extent_alloc_subregion(struct extent *ex, u_long substart, u_long subend,
    u_long size, u_long alignment, u_long boundary, int flags, u_long *result)
{

	return extent_alloc_subregion1(ex, substart, subend, size, alignment,
	    0, boundary, flags, result);
}

int
extent_alloc(struct extent *ex, u_long size, u_long alignment,
    u_long boundary, int flags, u_long *result)
{

	return extent_alloc_subregion1(ex, ex->ex_start, ex->ex_end, size,
	    alignment, 0, boundary, flags, result);
}

int
extent_alloc1(struct extent *ex, u_long size, u_long alignment, u_long skew,
    u_long boundary, int flags, u_long *result)
{

	return extent_alloc_subregion1(ex, ex->ex_start, ex->ex_end, size,
	    alignment, skew, boundary, flags, result);
}

/*
 * extent_free: free [start, start+size-1] (spec 2.5).
 *
 * => coalescing extents: any part of a region; a descriptor is obtained
 *    first in case the region splits, so this can fail with ENOMEM.
 * => EX_NOCOALESCE extents: only a whole region.
 * => a range that is not allocated panics ("extent_free: region not
 *    found"), after printing the extent.
 * => wakes threads waiting for space.  Returns 0 or ENOMEM.
 */
int
extent_free(struct extent *ex, u_long start, u_long size, int flags)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct extent_region *rp, *nrp = NULL;
	u_long end = start + (size - 1);
	bool coalesce, early;

	if (ex == NULL)
		panic("extent_free: NULL extent");
	if (EXTENT_DIAGNOSTIC(m)) {
		if (start < ex->ex_start || end > ex->ex_end) {
			extent_print(ex);
			kprintf("extent_free: extent `%s', start 0x%lx, "
			    "size 0x%lx\n", ex->ex_name, start, size);
			panic("extent_free: extent `%s', region not within "
			    "extent", ex->ex_name);
		}
		if (end < start) {
			extent_print(ex);
			kprintf("extent_free: extent `%s', start 0x%lx, "
			    "size 0x%lx\n", ex->ex_name, start, size);
			panic("extent_free: overflow");
		}
	}

	coalesce = (ex->ex_flags & EXF_NOCOALESCE) == 0;
	if (coalesce) {
		/* A split needs a descriptor; getting one may sleep. */
		if ((nrp = extent_alloc_region_descriptor(m, ex, flags)) ==
		    NULL)
			return ENOMEM;
	}

	early = EXTENT_EARLY(ex);
	if (!early)
		mutex_enter(&ex->ex_lock);
	LIST_FOREACH(rp, &ex->ex_regions, er_link) {
		if (rp->er_end < start)
			continue;
		if (rp->er_start > end)
			break;
		if (start == rp->er_start && end == rp->er_end) {
			/* The whole region. */
			LIST_REMOVE(rp, er_link);
			extent_free_region_descriptor(m, ex, rp);
			goto done;
		}
		if (!coalesce)
			continue;
		if (start == rp->er_start && end < rp->er_end) {
			/* Its head. */
			rp->er_start = end + 1;
			goto done;
		}
		if (start > rp->er_start && end == rp->er_end) {
			/* Its tail. */
			rp->er_end = start - 1;
			goto done;
		}
		if (start > rp->er_start && end < rp->er_end) {
			/* Its middle: split. */
			nrp->er_start = end + 1;
			nrp->er_end = rp->er_end;
			rp->er_end = start - 1;
			LIST_INSERT_AFTER(rp, nrp, er_link);
			nrp = NULL;
			goto done;
		}
	}

	if (!early)
		mutex_exit(&ex->ex_lock);
	extent_print(ex);
	kprintf("extent_free: start 0x%lx, end 0x%lx\n", start, end);
	panic("extent_free: region not found");

 done:
	if (nrp != NULL)
		extent_free_region_descriptor(m, ex, nrp);
	if (!early) {
		cv_broadcast(&ex->ex_cv);
		mutex_exit(&ex->ex_lock);
	}
	return 0;
}

/*
 * extent_print: print the extent and its regions through the machine's
 * print hook, in NetBSD's format (spec 2.8):
 *	extent `name' (0x<start> - 0x<end>), flags = 0x<ex_flags>
 *	     0x<er_start> - 0x<er_end>
 */
void
extent_print(struct extent *ex)
{
	struct extent_region *rp;

	if (ex == NULL)
		panic("extent_print: NULL extent");

	if (!EXTENT_EARLY(ex))
		mutex_enter(&ex->ex_lock);
	kprintf("extent `%s' (0x%lx - 0x%lx), flags = 0x%x\n", ex->ex_name,
	    ex->ex_start, ex->ex_end, ex->ex_flags);
	LIST_FOREACH(rp, &ex->ex_regions, er_link)
		kprintf("     0x%lx - 0x%lx\n", rp->er_start, rp->er_end);
	if (!EXTENT_EARLY(ex))
		mutex_exit(&ex->ex_lock);
}

/*
 * nbm_extent_foreach: call fn(ex, arg) for every extent of the machine,
 * newest first.
 *
 * => runs on a CPU of m; the list is locked (an adaptive mutex) while fn
 *    runs, so fn may take an extent's lock but must not create or destroy
 *    extents.
 */
void
nbm_extent_foreach(struct nbm_machine *m,
    void (*fn)(struct extent *, void *), void *arg)
{
	struct nbm_extent_state *exs = m->m_extent;
	struct extent *ex;

	mutex_enter(&exs->exs_lock);
	LIST_FOREACH(ex, &exs->exs_extents, ex_link)
		(*fn)(ex, arg);
	mutex_exit(&exs->exs_lock);
}

/*
 * nbm_extent_pool_nout: descriptors currently taken from the "extent"
 * pool (pool_get minus pool_put).
 */
uint64_t
nbm_extent_pool_nout(struct nbm_machine *m)
{
	struct pool *pp = &m->m_extent->exs_pool;
	uint64_t n;

	mutex_enter(&pp->pr_lock);
	n = pp->pr_nout;
	mutex_exit(&pp->pr_lock);
	return n;
}

/*
 * extent_bootstrap: the machine's extent state and expool (boot step,
 * after uvm_km, whose pool_subsystem_init makes pools usable, and before
 * x86_bus_space, which creates the first extents; NetBSD's main() calls
 * extent_init() once pools are up).
 */
static int
extent_bootstrap(struct nbm_machine *m)
{
	struct nbm_extent_state *exs;

	if ((exs = calloc(1, sizeof(*exs))) == NULL)
		return ENOMEM;
	mutex_init(&exs->exs_lock, MUTEX_DEFAULT, IPL_NONE);
	LIST_INIT(&exs->exs_extents);
	m->m_extent = exs;
	extent_init();
	return 0;
}

/*
 * extent_shutdown: free the extent state.  Descriptors and extent
 * structures are pool and kmem memory, which goes with the machine; no
 * locks are taken, as the machine may have panicked holding one.
 */
static void
extent_shutdown(struct nbm_machine *m)
{

	free(m->m_extent);
	m->m_extent = NULL;
}

const struct nbm_bootstep nbm_bootstep_extent = {
	"extent", extent_bootstrap, extent_shutdown
};
