/*
 * nbmem/intr.h: interrupt priority levels, spl(9) and the CPU context
 * predicates of the simulated machine.
 *
 * The levels and their numbers are those of x86 NetBSD
 * (sys/arch/x86/include/intrdefs.h): a CPU's current level is raised with
 * splraise() or one of the named spl functions, each of which returns the
 * previous level, and lowered again with splx().  An interrupt whose level
 * is at or below the CPU's current level stays pending until splx() lowers
 * the level below it; splx() then runs it, exactly once.
 *
 * Every function here acts on the CPU the calling thread entered with
 * nbm_cpu_enter(); calling one from a thread that entered no CPU panics with
 * a message that says so.
 */
#ifndef NBMEM_INTR_H
#define NBMEM_INTR_H

#include <nbmem/types.h>

#define IPL_NONE	0	/* nothing blocked */
#define IPL_PREEMPT	1	/* blocks kernel preemption */
#define IPL_SOFTCLOCK	2	/* soft interrupts: callouts */
#define IPL_SOFTBIO	3	/* soft interrupts: block I/O */
#define IPL_SOFTNET	4	/* soft interrupts: network stacks */
#define IPL_SOFTSERIAL	5	/* soft interrupts: serial */
#define IPL_VM		6	/* devices and memory allocation */
#define IPL_SCHED	7	/* clock, scheduler */
#define IPL_HIGH	8	/* everything */
#define NIPL		9

/* Deprecated synonyms, as in spl(9). */
#define IPL_BIO		IPL_VM
#define IPL_NET		IPL_VM
#define IPL_TTY		IPL_VM

typedef int ipl_t;
typedef struct {
	uint8_t _ipl;
} ipl_cookie_t;

struct cpu_info;

/*
 * Context of the calling thread.
 */
struct cpu_info	*curcpu(void);
u_int		 cpu_index(const struct cpu_info *);
u_int		 cpu_number(void);
bool		 cpu_intr_p(void);	/* in a hard interrupt handler */
bool		 cpu_softintr_p(void);	/* in a soft interrupt handler */

/*
 * spl(9).  splraise(ipl) raises the level to ipl if it is lower and returns
 * the previous level; splx(s) restores a level returned earlier and runs any
 * interrupt that the lower level unmasks.
 */
int		 splraise(int);
void		 splx(int);
void		 spl0(void);
ipl_cookie_t	 makeiplcookie(ipl_t);
int		 splraiseipl(ipl_cookie_t);
int		 splhigh(void);
int		 splsched(void);
int		 splvm(void);
int		 splsoftserial(void);
int		 splsoftnet(void);
int		 splsoftbio(void);
int		 splsoftclock(void);
#define splbio()	splvm()
#define splnet()	splvm()
#define spltty()	splvm()

/*
 * nbm_cpu_interrupt: run fn(arg) on the calling thread's CPU as a hard (or,
 * with soft, a soft) interrupt handler at level ipl: the level is raised to
 * ipl and cpu_intr_p() (cpu_softintr_p()) is true while it runs.
 *
 * => returns 0 if it ran, or EAGAIN if the CPU's level masks ipl.
 */
int		 nbm_cpu_interrupt(int ipl, bool soft, void (*fn)(void *),
		    void *arg);

/*
 * Interrupt sources: simulated devices that raise interrupts on the
 * machine's CPUs.
 *
 * Each source has a level (IPL_VM, IPL_SCHED or IPL_HIGH), an arrival
 * process (periodic, Poisson or bursts, at `rate' arrivals per second), a
 * target (one CPU, every CPU, or the CPUs in turn) and a handler.  Every
 * arrival is handled exactly once, on its target CPU, while that CPU's
 * level is below the source's: an arrival at a masked CPU stays pending
 * and runs when splx() lowers the level.
 *
 * Parallel mode: a generator thread raises the arrivals on the wall clock
 * and signals the target CPU's host thread, which takes the interrupt
 * wherever it is, between any two instructions of kernel code.
 * Deterministic mode: arrival times come from a PRNG seeded with the
 * machine's seed and the source's number, on virtual time; an arrival
 * interrupts its CPU when that CPU next accounts time (nbm_sched_charge)
 * or is next scheduled.
 *
 * Sources can be added, changed, paused and removed while the machine runs.
 * At most 256 sources are established at once; a removed one makes room
 * for the next, so any number can come and go over a machine's life.
 */
#define NBM_INTR_NAME_MAX	32

#define NBM_INTR_PERIODIC	0	/* evenly spaced arrivals */
#define NBM_INTR_POISSON	1	/* exponential gaps */
#define NBM_INTR_BURST		2	/* Poisson bursts of `burst' arrivals */

#define NBM_INTR_TARGET_CPU	0	/* always CPU `cpu' */
#define NBM_INTR_TARGET_ALL	1	/* every CPU gets every arrival */
#define NBM_INTR_TARGET_RR	2	/* the CPUs in turn */

struct nbm_machine;
struct nbm_intrsource;

struct nbm_intr_config {
	char		ic_name[NBM_INTR_NAME_MAX]; /* e.g. "wm0" */
	int		ic_ipl;		/* IPL_VM, IPL_SCHED or IPL_HIGH */
	int		ic_dist;	/* NBM_INTR_PERIODIC, ... */
	double		ic_rate;	/* arrivals per second, > 0 */
	u_int		ic_burst;	/* arrivals per burst (BURST) */
	int		ic_target;	/* NBM_INTR_TARGET_* */
	u_int		ic_cpu;		/* TARGET_CPU: the CPU */
	int		(*ic_func)(void *); /* handler, at ic_ipl */
	void		*ic_arg;
};

/* Counters of one source on one CPU (vmstat -i). */
struct nbm_intr_cpustat {
	uint64_t	is_count;	/* arrivals handled */
	uint64_t	is_masked;	/* of which were held pending */
	uint64_t	is_pending;	/* waiting now */
	uint64_t	is_posted;	/* raised: count + pending */
};

/*
 * nbm_intr_establish: add a source; it starts raising interrupts at once.
 * => returns 0, EINVAL (with the reason in errbuf), ENOMEM (out of host
 *    memory, or 256 sources established at once: errbuf says which) or
 *    EEXIST (a source of that name exists).
 */
int	nbm_intr_establish(struct nbm_machine *, const struct nbm_intr_config *,
	    struct nbm_intrsource **, char *errbuf, size_t errlen);
/* nbm_intr_set: change a source's level, rate, distribution or target. */
int	nbm_intr_set(struct nbm_intrsource *, const struct nbm_intr_config *,
	    char *errbuf, size_t errlen);
int	nbm_intr_pause(struct nbm_intrsource *, bool paused);
/*
 * nbm_intr_disestablish: remove a source; pending arrivals are dropped.
 * Once it returns the handler runs on no CPU and never will again, and
 * the source is freed: its pointer must not be used any more.
 * => thread context, no spin mutex held (it panics otherwise), nor a lock
 *    that a handler takes: it waits for handlers running on other CPUs.
 */
void	nbm_intr_disestablish(struct nbm_intrsource *);
/* The source of that name, valid until someone removes it; or NULL. */
struct nbm_intrsource *nbm_intr_lookup(struct nbm_machine *, const char *);
void	nbm_intr_getconfig(const struct nbm_intrsource *,
	    struct nbm_intr_config *, bool *paused);
/* Per-CPU counters of a source: cpustat[ncpu]. */
void	nbm_intr_getstats(const struct nbm_intrsource *,
	    struct nbm_intr_cpustat *cpustat);
/*
 * Iterate the machine's sources in creation order; a source passed to the
 * function stays readable until it returns, even if removed meanwhile.
 */
void	nbm_intr_foreach(struct nbm_machine *,
	    void (*)(struct nbm_intrsource *, void *), void *);

/*
 * softint(9): soft interrupts, run on the CPU that scheduled them when its
 * level drops below the soft level.  At most 256 are established at once:
 * softint_establish() then returns NULL and prints a warning.
 * softint_disestablish() drops pending runs and, like
 * nbm_intr_disestablish(), waits in thread context until the handler runs
 * nowhere, then frees the soft interrupt: it must not be scheduled again.
 */
#define SOFTINT_CLOCK	0x00000000
#define SOFTINT_BIO	0x00000001
#define SOFTINT_NET	0x00000002
#define SOFTINT_SERIAL	0x00000003
#define SOFTINT_LVLMASK	0x00000003
#define SOFTINT_MPSAFE	0x00000100

void	*softint_establish(u_int flags, void (*func)(void *), void *arg);
void	softint_schedule(void *cookie);
void	softint_disestablish(void *cookie);

#endif /* NBMEM_INTR_H */
