/*
 * child.h: what the files of the machine process share (child.c, the
 * process and its protocol; child-stats.c, snapshots; child-pool.c, pools,
 * caches and kmem; child-space.c, vmem arenas and extents; child-intr.c,
 * interrupt sources).
 *
 * An operation is a function that reads its arguments from c_args (the
 * request's params, already checked by the daemon against the method's
 * parameter table: names, types and bounds) and leaves either a result in
 * c_result or an error -- a reason of proto.h and a message -- through
 * child_fail().  Arrays of statistics records go after the answer as they
 * are in memory (child_blob(); fields.h), which is much cheaper for both
 * processes than JSON when a machine has hundreds of pools.  Operations run inside nbm_machine_try(), so a panic of
 * the machine unwinds out of them.
 *
 * CPU or observer.  The process's thread runs as CPU 0 of the machine
 * while no workload runs (and, in parallel mode, the idle threads of
 * child-idle.c are the other CPUs); an operation flagged CHILD_OP_CPU
 * needs to be on a CPU (it allocates through the per-CPU caches: creating
 * a pool, priming, reclaiming pages through vmem's quantum caches), and
 * one flagged CHILD_OP_FLUSH runs with the other CPUs free, so that it
 * empties their cache layers at once.  While a workload runs
 * (child-workload.c), a runner thread runs the machine (nbm_machine_run)
 * and the process's thread leaves CPU 0: the other operations run as an
 * observer (nbm_machine_observe), so they are served while the machine
 * runs, and CPU operations are refused with "busy".
 *
 * Threads.  Messages to the daemon are written under c_wlock, a line and
 * its blob together, because machine threads write too: trace lines (a
 * workload's trace sink), what the machine prints, a panic.  The panic and
 * print hooks may run in a signal handler (an interrupt on a CPU's host
 * thread): they format without allocating and only try the lock.
 */
#ifndef NBMD_CHILD_H
#define NBMD_CHILD_H

#include <sys/queue.h>
#include <pthread.h>

#include <nbmem/nbmem.h>
#include <nbmem/inspect.h>
#include <nbmem/intr.h>
#include <nbmem/kmem.h>
#include <nbmem/pool.h>
#include <nbmem/stats.h>
#include <nbmem/workload.h>

#include "nbmemd.h"

#define CHILD_OP_DEBUG	0x01	/* only in test mode */
#define CHILD_OP_CPU	0x02	/* must run on a CPU */
#define CHILD_OP_HOST	0x04	/* as a host thread, never an observer:
				   only calls made for any host thread */
#define CHILD_OP_FLUSH	0x08	/* flushes every CPU's cache layer: with
				   the other CPUs free (child-idle.c) */

struct child;

struct child_op {
	const char	*op_name;	/* the method, or an internal op */
	int		 op_flags;	/* CHILD_OP_* */
	void		(*op_fn)(struct child *);
};

/*
 * A pool the daemon has touched: one it made (pool.create), or one of the
 * kernel's whose hard-limit warning or held items it keeps.
 */
struct child_pool {
	char		 cp_name[NBM_POOL_WCHAN_MAX]; /* its wchan */
	struct pool	*cp_pool;	/* the pool (in cp_cache if a cache) */
	pool_cache_t	 cp_cache;	/* or NULL */
	struct pool	*cp_storage;	/* what pool_init was given, or NULL */
	bool		 cp_owned;	/* made by pool.create */
	char		 cp_warning[128]; /* hard-limit warning, kept here:
					   the pool keeps a pointer */
	void		**cp_held;	/* items debug.hold took */
	size_t		 cp_nheld;
	LIST_ENTRY(child_pool) cp_entry; /* on c_pools */
};

/* An interrupt source added by intr.add. */
struct child_intr {
	struct nbm_intrsource *ci_src;	/* the source */
	char		 ci_name[NBM_INTR_NAME_MAX]; /* its name */
	const char	*ci_action;	/* what its handler does */
	LIST_ENTRY(child_intr) ci_entry; /* on c_intrs */
};

struct child_wl;

struct child {
	int		 c_fd;		/* socketpair end */
	pthread_t	 c_main;	/* the process's thread */
	pthread_mutex_t	 c_wlock;	/* writers of c_fd */
	int		 c_wake[2];	/* pipe: the runner is done */
	struct child_wl	*c_wl;		/* the workload run, or NULL */
	bool		 c_wlgo;	/* start it once the answer is out */
	struct nbm_machine *c_m;	/* the machine */
	bool		 c_testmode;	/* debug ops allowed */
	bool		 c_oncpu;	/* the thread is CPU 0 */
	const char	*c_op;		/* op running, for the panic report */
	const struct child_op *c_opent;	/* ... its entry */
	json_object	*c_args;	/* its arguments (never NULL) */
	json_object	*c_result;	/* its result, or NULL */
	char		*c_error;	/* or its error */
	enum proto_err	 c_reason;	/* ... and the reason */
	json_object	*c_blobdesc;	/* records after the answer, or NULL */
	char		*c_blob;	/* ... the records (fields.h) */
	size_t		 c_bloblen;
	char		*c_capture;	/* printed text, while capturing */
	size_t		 c_capturelen;
	LIST_HEAD(, child_pool) c_pools; /* pools made by pool.create */
	LIST_HEAD(, child_intr) c_intrs; /* sources made by intr.add */
};

/*
 * child.c.  The arguments are read with proto_get_*(c->c_args, ...)
 * (proto.h).
 */
void	child_fail(struct child *, enum proto_err, const char *, ...)
	    NBMD_PRINTFLIKE(3, 4);
struct nbm_stats *child_stats(struct child *);
void	child_capture_begin(struct child *);
char	*child_capture_end(struct child *);
int	child_ipl_parse(struct child *, const char *field, const char *name,
	    int *iplp);
const char *child_ipl_name(int);

/* child-stats.c */
void	child_blob(struct child *, const char *member,
	    const struct nbmd_fieldset *, const void *recs, size_t n);
json_object *child_snapshot(struct child *);
json_object *child_section(struct child *, const struct nbm_stats *,
	    const struct nbmd_fieldset *, const char *match);

extern const char *volatile child_idleop;	/* what runs between requests,
						   for panic reports */
void	child_send(struct child *, json_object *);
bool	child_trylock(struct child *);

/* child-workload.c */
void	child_wl_go(struct child *);
void	child_wl_done(struct child *);
void	child_wl_shutdown(struct child *);

/* child-idle.c */
void	child_idle_start(struct child *);
void	child_idle_stop(struct child *);

/* child-wldesc.c */
int	child_wldesc(json_object *, struct nbm_workload *, const char *path,
	    char *err, size_t errlen);

/* child-intr.c */
json_object *child_intr_list(struct child *, const char *match);

extern const struct child_op child_pool_ops[];
extern const struct child_op child_space_ops[];
extern const struct child_op child_intr_ops[];
extern const struct child_op child_workload_ops[];

#endif /* NBMD_CHILD_H */
