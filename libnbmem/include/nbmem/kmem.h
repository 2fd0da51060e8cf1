/*
 * nbmem/kmem.h: kmem(9), the general-purpose kernel memory allocator.
 *
 * Small requests are served by pool caches of fixed size classes
 * ("kmem-00008" ... "kmem-04096", filtered by the coherency unit), larger
 * ones by whole pages from kmem_va_arena.  The names, flags and values are
 * NetBSD's (sys/sys/kmem.h, sys/kern/subr_kmem.c 1.87).
 *
 * kmem_alloc, kmem_zalloc and kmem_free must not be called from interrupt
 * context; kmem_intr_alloc, kmem_intr_zalloc and kmem_intr_free may.  With
 * KM_SLEEP an allocation never fails (it waits for memory); with
 * KM_NOSLEEP it returns NULL when memory is short.  The size given to
 * kmem_free must be the size given to the allocation.
 */
#ifndef NBMEM_KMEM_H
#define NBMEM_KMEM_H

#include <nbmem/types.h>

#define KM_SLEEP	0x00000001	/* may sleep; never fails */
#define KM_NOSLEEP	0x00000002	/* may fail with NULL */

void	*kmem_alloc(size_t, km_flag_t);
void	*kmem_zalloc(size_t, km_flag_t);
void	 kmem_free(void *, size_t);
void	*kmem_intr_alloc(size_t, km_flag_t);
void	*kmem_intr_zalloc(size_t, km_flag_t);
void	 kmem_intr_free(void *, size_t);
char	*kmem_asprintf(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2)));
char	*kmem_strdupsize(const char *, size_t *, km_flag_t);
#define kmem_strdup(s, f)	kmem_strdupsize((s), NULL, (f))
char	*kmem_strndup(const char *, size_t, km_flag_t);
void	 kmem_strfree(char *);
void	*kmem_tmpbuf_alloc(size_t, void *, size_t, km_flag_t);
void	 kmem_tmpbuf_free(void *, size_t, void *);
size_t	 kmem_roundup_size(size_t);

/*
 * Counters of the paths that no pool shows (allocations above the largest
 * size class, KMEM_GUARD allocations and their quarantine).
 */
struct nbm_kmem_stats {
	uint64_t	ks_nlarge_alloc;	/* large allocations */
	uint64_t	ks_nlarge_free;		/* large frees */
	uint64_t	ks_large_inuse;		/* bytes (page-rounded) */
	uint64_t	ks_nguard_alloc;	/* KMEM_GUARD allocations */
	uint64_t	ks_nguard_free;		/* KMEM_GUARD frees */
	uint64_t	ks_guard_quarantine;	/* pages of VA in quarantine */
	uint64_t	ks_nclasses;		/* size classes created */
};

void	nbm_kmem_getstats(struct nbm_kmem_stats *);

#endif /* NBMEM_KMEM_H */
