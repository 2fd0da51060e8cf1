/*
 * nbmem/inspect.h: finding a machine's allocator objects by name, and the
 * maps behind their statistics -- a vmem arena's segment map, an extent's
 * regions -- for programs that inspect a running machine (nbmemd).
 *
 * Everything here reads under the allocators' own locks, like the
 * statistics snapshot of <nbmem/stats.h>: the calling thread runs on a CPU
 * of the machine or observes it (nbm_machine_observe), and the CPUs may
 * go on running.  What comes back lives on the host heap (free(3) it) and
 * describes one instant of one object.
 */
#ifndef NBMEM_INSPECT_H
#define NBMEM_INSPECT_H

#include <nbmem/types.h>

struct nbm_machine;
struct pool;
struct pool_cache;

/* A segment of a vmem arena, in segment-list order (vmem_impl.h). */
struct nbm_vmem_seg {
	uint64_t	vg_start;	/* first address */
	uint64_t	vg_size;	/* bytes (units of the arena's space) */
	int		vg_type;	/* BT_TYPE_SPAN, _SPAN_STATIC, _FREE,
					   _BUSY */
};

/* An allocated region of an extent, in address order. */
struct nbm_extent_reg {
	uint64_t	xr_start;	/* first address */
	uint64_t	xr_end;		/* last address, inclusive */
};

/*
 * nbm_pool_lookup: the pool whose wait channel is wchan, or NULL.  Pools
 * of a machine are never freed behind the caller's back except by
 * pool_destroy(), so the pointer stays good until the caller (or a
 * workload it started) destroys that pool.
 */
struct pool *nbm_pool_lookup(struct nbm_machine *, const char *wchan);

/*
 * nbm_pool_cache_lookup: the cache of the pool whose wait channel is
 * wchan; NULL if there is no such pool or it has no cache.  The calling
 * thread is on a CPU of the machine or in nbm_machine_observe.
 */
struct pool_cache *nbm_pool_cache_lookup(struct nbm_machine *,
	    const char *wchan);

/*
 * nbm_vmem_segmap: the boundary tags of the arena called name, spans
 * first and then the segments that tile each, read at one instant under
 * the arena's lock.
 * => returns 0 with a malloc(3)ed array in *segsp (NULL when *np is 0),
 *    ENOENT if there is no such arena, ENOMEM.
 */
int	nbm_vmem_segmap(struct nbm_machine *, const char *name,
	    struct nbm_vmem_seg **segsp, size_t *np);

/*
 * nbm_extent_regions: the allocated regions of the extent called name,
 * at one instant under its lock.
 * => returns 0 with a malloc(3)ed array in *regsp (NULL when *np is 0),
 *    ENOENT, ENOMEM.
 */
int	nbm_extent_regions(struct nbm_machine *, const char *name,
	    struct nbm_extent_reg **regsp, size_t *np);

/*
 * nbm_extent_print_name: extent_print() of the extent called name, through
 * the machine's print hook.  Returns 0 or ENOENT.
 */
int	nbm_extent_print_name(struct nbm_machine *, const char *name);

#endif /* NBMEM_INSPECT_H */
