/*
 * nbmem/nbm_list.h: list linkage for the public structures that NetBSD
 * declares with <sys/queue.h> LIST macros (struct extent, ...).
 *
 * The layout is that of a BSD LIST; the NBM_ prefix keeps these two macros
 * from colliding with the host's <sys/queue.h> in programs that include both.
 */
#ifndef NBMEM_NBM_LIST_H
#define NBMEM_NBM_LIST_H

#define NBM_LIST_HEAD(name, type)					\
struct name {								\
	struct type *lh_first;						\
}
#define NBM_LIST_ENTRY(type)						\
struct {								\
	struct type *le_next;						\
	struct type **le_prev;						\
}

#endif /* NBMEM_NBM_LIST_H */
