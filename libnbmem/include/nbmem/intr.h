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

#endif /* NBMEM_INTR_H */
