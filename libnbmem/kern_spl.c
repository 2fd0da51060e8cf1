/*
 * kern_spl.c: spl(9) on the simulated CPUs.
 *
 * The current level lives in the CPU (ci_ilevel).  Raising never lowers;
 * splx() restores a saved level and, if interrupts of a higher level are
 * pending (ci_ipending, one bit per IPL), runs them before returning, as
 * x86's spllower() does.  Interrupt delivery itself is in intr.c.
 */
#include "nbm_impl.h"

int
splraise(int ipl)
{

	return splraise_inline(curcpu(), ipl);
}

void
splx(int s)
{

	splx_inline(curcpu(), s);
}

void
spl0(void)
{

	splx_inline(curcpu(), IPL_NONE);
}

ipl_cookie_t
makeiplcookie(ipl_t ipl)
{
	ipl_cookie_t c = { ._ipl = (uint8_t)ipl };

	return c;
}

int
splraiseipl(ipl_cookie_t c)
{

	return splraise_inline(curcpu(), c._ipl);
}

int
splhigh(void)
{

	return splraise_inline(curcpu(), IPL_HIGH);
}

int
splsched(void)
{

	return splraise_inline(curcpu(), IPL_SCHED);
}

int
splvm(void)
{

	return splraise_inline(curcpu(), IPL_VM);
}

int
splsoftserial(void)
{

	return splraise_inline(curcpu(), IPL_SOFTSERIAL);
}

int
splsoftnet(void)
{

	return splraise_inline(curcpu(), IPL_SOFTNET);
}

int
splsoftbio(void)
{

	return splraise_inline(curcpu(), IPL_SOFTBIO);
}

int
splsoftclock(void)
{

	return splraise_inline(curcpu(), IPL_SOFTCLOCK);
}
