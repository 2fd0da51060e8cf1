/*
 * nbmem/extent.h: extent(9), the manager of constrained regions of an
 * address space (I/O ports, bus memory).
 *
 * An extent keeps its allocated regions in a list sorted by start address.
 * Allocation searches the gaps between them: by default for the gap that
 * leaves the least trailing waste, with EX_FAST for the first gap that fits.
 * The structures, flags, values and signatures are NetBSD's
 * (sys/sys/extent.h 1.25, sys/kern/subr_extent.c 1.86).
 */
#ifndef NBMEM_EXTENT_H
#define NBMEM_EXTENT_H

#include <nbmem/types.h>
#include <nbmem/mutex.h>
#include <nbmem/nbm_list.h>

struct extent_region {
	NBM_LIST_ENTRY(extent_region) er_link;	/* sorted by er_start */
	u_long	er_start;		/* first address, inclusive */
	u_long	er_end;			/* last address, inclusive */
	int	er_flags;		/* ER_* */
};

#define ER_ALLOC	0x01	/* descriptor came from the pool */

struct extent {
	const char	*ex_name;	/* name, for extent_print */
	kmutex_t	 ex_lock;	/* spin mutex at IPL_VM */
	kcondvar_t	 ex_cv;		/* waits for space or descriptors */
	NBM_LIST_HEAD(, extent_region) ex_regions; /* allocated regions */
	u_long		 ex_start;	/* first address, inclusive */
	u_long		 ex_end;	/* last address, inclusive */
	int		 ex_flags;	/* EXF_* */
	bool		 ex_flwanted;	/* a thread waits for a descriptor */
	NBM_LIST_ENTRY(extent) ex_link;	/* nbmem: the machine's extent list */
};

struct extent_fixed {
	struct extent	 fex_extent;	/* must be first */
	NBM_LIST_HEAD(, extent_region) fex_freelist; /* spare descriptors */
	void		*fex_storage;	/* the caller's storage */
	size_t		 fex_storagesize; /* its size */
};

/* ex_flags: internal flags, what extent_print shows */
#define EXF_FIXED	0x1	/* fixed storage */
#define EXF_NOCOALESCE	0x2	/* never merge regions */
#define EXF_EARLY	0x4	/* no locking (early boot) */
#define EXF_BITS	"\20\3EARLY\2NOCOALESCE\1FIXED"

/* Flags to the extent functions. */
#define EX_NOWAIT	0x00	/* never sleep */
#define EX_WAITOK	0x01	/* may sleep for descriptor memory */
#define EX_FAST		0x02	/* first fit instead of least waste */
#define EX_CATCH	0x04	/* sleeps are interruptible */
#define EX_NOCOALESCE	0x08	/* create: never merge regions */
#define EX_MALLOCOK	0x10	/* fixed extent may use the pool */
#define EX_WAITSPACE	0x20	/* wait for space instead of EAGAIN */
#define EX_BOUNDZERO	0x40	/* boundaries count from 0 */
#define EX_EARLY	0x80	/* create: no mutex/cv (early boot) */

#define EX_NOALIGN	1UL	/* no alignment */
#define EX_NOBOUNDARY	0UL	/* no boundary */

#define EXTENT_ALIGN_(n)	(((n) + sizeof(long) - 1) & ~(sizeof(long) - 1))
#define EXTENT_FIXED_STORAGE_SIZE(_nregions)				\
	(EXTENT_ALIGN_(sizeof(struct extent_fixed)) +			\
	 ((EXTENT_ALIGN_(sizeof(struct extent_region))) * (_nregions)))

void	extent_init(void);
struct extent *extent_create(const char *, u_long, u_long, void *, size_t,
	    int);
void	extent_destroy(struct extent *);
int	extent_alloc_subregion1(struct extent *, u_long, u_long, u_long,
	    u_long, u_long, u_long, int, u_long *);
int	extent_alloc_subregion(struct extent *, u_long, u_long, u_long,
	    u_long, u_long, int, u_long *);
int	extent_alloc_region(struct extent *, u_long, u_long, int);
int	extent_alloc1(struct extent *, u_long, u_long, u_long, u_long, int,
	    u_long *);
int	extent_alloc(struct extent *, u_long, u_long, u_long, int, u_long *);
int	extent_free(struct extent *, u_long, u_long, int);
void	extent_print(struct extent *);

#endif /* NBMEM_EXTENT_H */
