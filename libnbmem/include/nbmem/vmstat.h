/*
 * nbmem/vmstat.h: NetBSD's vmstat -m, -mW and -C tables, and kern.pool.
 *
 * The renderers print, byte for byte, what NetBSD's vmstat(1) prints for
 * the same kern.pool records (usr.bin/vmstat/vmstat.c 1.220, the sysctl
 * path; spec 4.2-4.4), so that scripts written for NetBSD read nbmem's
 * output unchanged.  They work on an array of struct pool_sysctl -- from a
 * snapshot, a socket or a file -- and need no machine.
 *
 * Output goes through a callback (never NULL), one complete line (ending
 * in '\n') per call; the library never prints by itself.
 *
 * vmstat's -c count / -w wait repetition is the caller's loop: each
 * repetition is one nbm_vmstat() call on fresh records and prints absolute
 * counters, as vmstat does.
 */
#ifndef NBMEM_VMSTAT_H
#define NBMEM_VMSTAT_H

#include <nbmem/stats.h>

typedef void nbm_vmstat_out_t(void *arg, const char *text);

/* Options of nbm_vmstat(), named after vmstat's flags. */
#define NBM_VMSTAT_POOLS	0x01	/* -m: pool statistics */
#define NBM_VMSTAT_CACHES	0x02	/* -C: pool cache statistics */
#define NBM_VMSTAT_WIDE		0x04	/* -W: wide -m table */
#define NBM_VMSTAT_VERBOSE	0x08	/* -v: idle pools, caches too */
#define NBM_VMSTAT_ALL		0x0f

/*
 * nbm_vmstat: one repetition of vmstat -m and/or -C: the -m section, then
 * the -C section, each followed by a blank line (vmstat's main loop).
 *
 * => flags: NBM_VMSTAT_POOLS and/or NBM_VMSTAT_CACHES, with WIDE (which
 *    only -m uses) and VERBOSE.
 * => returns 0, or EINVAL (nothing printed) when flags has unknown bits
 *    or selects neither section.
 */
int	nbm_vmstat(const struct pool_sysctl *, size_t npools, int flags,
	    nbm_vmstat_out_t *out, void *arg);

/*
 * nbm_vmstat_pool: the -m section alone (vmstat's dopool), without the
 * blank line of the main loop: title, header, a row per pool with
 * requests (every pool with NBM_VMSTAT_VERBOSE), Totals, a blank line and
 * the "In use" line.  Only WIDE and VERBOSE of flags matter.
 */
void	nbm_vmstat_pool(const struct pool_sysctl *, size_t npools,
	    int flags, nbm_vmstat_out_t *out, void *arg);

/*
 * nbm_vmstat_poolcache: the -C section alone (vmstat's dopoolcache),
 * without the blank line of the main loop: the title and header before
 * the first row, then a row per pool that has a cache and pool-layer
 * misses (every pool with a cache under NBM_VMSTAT_VERBOSE).  Prints
 * nothing when no pool qualifies.  Only VERBOSE of flags matters.
 */
void	nbm_vmstat_poolcache(const struct pool_sysctl *, size_t npools,
	    int flags, nbm_vmstat_out_t *out, void *arg);

/*
 * nbm_kern_pool_copyout: the kern.pool sysctl (spec 4.1) over an array of
 * records: with oldp == NULL, a size probe that sets *oldlenp to
 * npools * sizeof(struct pool_sysctl); otherwise copies as many whole
 * 224-byte records as fit in *oldlenp bytes and sets *oldlenp to the bytes
 * copied -- a short buffer is no error, as in the kernel.
 * => oldp need not be aligned.  Returns 0, or EINVAL if oldlenp is NULL.
 */
int	nbm_kern_pool_copyout(const struct pool_sysctl *, size_t npools,
	    void *oldp, size_t *oldlenp);

/*
 * nbm_kern_pool_list: the records as text, one pool a line, every field
 * of nbm_pool_fields as name=value separated by blanks:
 *	wchan=kmem-00016 flags=0x10400 size=16 pagesize=4096 ...
 * For debugging and tests.
 */
void	nbm_kern_pool_list(const struct pool_sysctl *, size_t npools,
	    nbm_vmstat_out_t *out, void *arg);

#endif /* NBMEM_VMSTAT_H */
