/*
 * nbmem/nbm_list.h: list linkage for the public structures that NetBSD
 * declares with <sys/queue.h> LIST and TAILQ macros (struct extent,
 * struct vmem, ...).
 *
 * The layouts are those of a BSD LIST and TAILQ; the NBM_ prefix keeps these
 * macros from colliding with the host's <sys/queue.h> in programs that
 * include both.
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

#define NBM_TAILQ_HEAD(name, type)					\
struct name {								\
	struct type *tqh_first;						\
	struct type **tqh_last;						\
}
#define NBM_TAILQ_ENTRY(type)						\
struct {								\
	struct type *tqe_next;						\
	struct type **tqe_prev;						\
}

#endif /* NBMEM_NBM_LIST_H */
