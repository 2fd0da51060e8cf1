/*
 * intr.c: interrupt delivery on the simulated CPUs.
 *
 * An interrupt at level ipl may run on a CPU only while the CPU's level is
 * below ipl; otherwise its bit in ci_ipending is set and splx() runs it when
 * the level drops (nbm_intr_dispatch).  The handler runs with the level
 * raised to ipl and ci_idepth incremented, so that cpu_intr_p() is true in
 * it and the allocators' context checks see an interrupt.
 *
 * This file holds the delivery core; interrupt sources (the generator) are
 * built on it.
 */
#include "nbm_impl.h"

/*
 * nbm_intr_dispatch: run the pending interrupts that level s unmasks,
 * highest level first.
 */
void
nbm_intr_dispatch(struct cpu_info *ci, int s)
{

	/* No interrupt sources yet: nothing can be pending. */
	__atomic_store_n(&ci->ci_ipending, 0, __ATOMIC_RELAXED);
	(void)s;
}

/*
 * nbm_cpu_interrupt: run fn(arg) on the calling thread's CPU as an
 * interrupt handler at level ipl (a soft interrupt if soft is true).
 *
 * => returns 0 if the handler ran, or EAGAIN if the CPU's level masks ipl
 *    (the handler did not run).
 */
int
nbm_cpu_interrupt(int ipl, bool soft, void (*fn)(void *), void *arg)
{
	struct cpu_info *ci = curcpu();
	struct lwp *l = curlwp;
	int s, opflag = 0;

	if (ci->ci_ilevel >= ipl)
		return EAGAIN;
	s = splraise_inline(ci, ipl);
	if (soft) {
		ci->ci_sdepth++;
		if (l != NULL) {
			opflag = l->l_pflag;
			l->l_pflag |= LP_INTR;
		}
	} else
		ci->ci_idepth++;
	ci->ci_nintr++;
	fn(arg);
	if (soft) {
		ci->ci_sdepth--;
		if (l != NULL)
			l->l_pflag = opflag;
	} else
		ci->ci_idepth--;
	splx_inline(ci, s);
	return 0;
}
