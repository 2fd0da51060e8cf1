/*
 * nbmem/lwp.h: simulated kernel threads and running a machine.
 *
 * A machine runs scheduled threads (lwps), each bound to one CPU with a
 * stack of its own.  nbm_machine_run() runs them until they have all exited:
 *
 *  - in parallel mode, one host thread per CPU runs that CPU's threads, so
 *    CPUs really run at the same time;
 *  - in deterministic mode, the calling host thread runs every CPU: at each
 *    step a scheduler seeded from the machine's seed picks a CPU with a
 *    runnable thread and runs that thread until it yields, sleeps or exits.
 *    Time is virtual and advances only by nbm_sched_charge() and when every
 *    thread waits for a timeout, so a run is the same on every host.
 *
 * Threads on one CPU take turns cooperatively: a thread runs until it calls
 * yield(), kpause(), sleeps in cv_wait() or on a contended mutex, or exits.
 * When every thread of the machine sleeps and nothing can wake one (no
 * timeout, no interrupt source), the machine panics with a deadlock report
 * listing the sleepers, instead of hanging.
 */
#ifndef NBMEM_LWP_H
#define NBMEM_LWP_H

#include <nbmem/types.h>
#include <nbmem/mutex.h>

struct lwp;
struct nbm_machine;

/*
 * nbm_lwp_create: create a thread on CPU `cpu' that runs fn(arg) and exits
 * when fn returns.  May be called before nbm_machine_run() or from a thread
 * of the running machine.
 *
 * => returns 0, EINVAL (bad CPU), ENOMEM, or ENXIO (machine dead).
 */
int	nbm_lwp_create(struct nbm_machine *, u_int cpu, const char *name,
	    void (*fn)(void *), void *arg, struct lwp **lp);

/* nbm_lwp_exit: end the calling scheduled thread. */
void	nbm_lwp_exit(void) __attribute__((__noreturn__));

/* yield: let the other runnable threads of this CPU run first. */
void	yield(void);

/*
 * kpause: sleep for timo ticks (0: just yield).  With mtx, the mutex is
 * released while asleep.  Returns EWOULDBLOCK when the time is up.
 */
int	kpause(const char *wmesg, bool intr, int timo, kmutex_t *mtx);

/*
 * nbm_machine_run: run the machine's threads.
 *
 * => limit_ns: stop after this much machine time (0: no limit).
 * => returns 0 when every thread has exited, ETIMEDOUT at the limit, EINTR
 *    after nbm_machine_stop(), ENOTRECOVERABLE if the machine panicked.
 * => the calling thread must not be on a CPU; threads still alive when it
 *    returns stay where they are and run again at the next call.
 */
int	nbm_machine_run(struct nbm_machine *, uint64_t limit_ns);

/* nbm_machine_stop: make nbm_machine_run() return soon (any thread). */
void	nbm_machine_stop(struct nbm_machine *);

/*
 * nbm_sched_charge: account ns of work to the machine's clock.  In
 * deterministic mode this is what makes virtual time advance; in parallel
 * mode time is the wall clock and this does nothing.
 */
void	nbm_sched_charge(uint64_t ns);

struct lwp *nbm_curlwp(void);
u_int	nbm_lwp_id(const struct lwp *);
const char *nbm_lwp_name(const struct lwp *);

#endif /* NBMEM_LWP_H */
