/*
 * kern_panic.c: panics, assertions, kernel printf and panic recovery.
 *
 * A panic formats its message into the machine, marks the machine dead and
 * calls the machine's panic hook.  The default hook prints
 * "panic: <message>" on standard error and aborts, as a kernel that stops
 * the machine.  A hook that returns hands control back to the innermost
 * nbm_machine_try() frame of the calling thread (siglongjmp), which then
 * returns ENOTRECOVERABLE; without a frame the process aborts, because
 * returning into the kernel code that panicked would run it past a broken
 * invariant.
 *
 * Only the first panic of a machine is kept; a panic raised while the hook
 * of an earlier one runs (a double panic) skips the hook.
 *
 * Kernel printf goes to the machine's print hook, or to standard error.
 */
#include <stdio.h>
#include <stdlib.h>

#include "nbm_impl.h"

/* Frames of threads without a CPU (nbm_machine_try(NULL, ...)). */
static __thread struct nbm_tryframe *nbm_nocpu_try;

static nbm_nocpu_hook_t *nbm_nocpu_hookfn;
static void *nbm_nocpu_hookarg;

static struct nbm_tryframe **
nbm_tryhead(void)
{
	struct lwp *l = nbm_curlwp_tls;

	return l != NULL ? &l->l_try : &nbm_nocpu_try;
}

static __dead void
nbm_unwind(struct nbm_machine *m)
{
	struct nbm_tryframe *tf = *nbm_tryhead();

	if (tf != NULL)
		siglongjmp(tf->tf_jb, 1);
	fprintf(stderr, "nbmem: panic hook returned with no nbm_machine_try "
	    "frame to return to; aborting\n");
	abort();
}

void
nbm_vpanic(struct nbm_machine *m, const char *fmt, va_list ap)
{
	int expected = 0;

	if (!atomic_compare_exchange_strong(&m->m_panicking, &expected, 1)) {
		/* Double panic: the first message stands. */
		atomic_store(&m->m_dead, 1);
		nbm_unwind(m);
	}
	vsnprintf(m->m_panicmsg, sizeof(m->m_panicmsg), fmt, ap);
	atomic_store(&m->m_dead, 1);
	nbm_machine_event(m, NBM_EV_PANIC, "panic", "%s", m->m_panicmsg);
	if (m->m_panic_hook == NULL) {
		fprintf(stderr, "panic: %s\n", m->m_panicmsg);
		abort();
	}
	m->m_panic_hook(m, m->m_panicmsg, m->m_panic_arg);
	nbm_unwind(m);
}

void
nbm_panic(struct nbm_machine *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nbm_vpanic(m, fmt, ap);
	va_end(ap);
}

void
(panic)(const char *fmt, ...)
{
	struct cpu_info *ci = nbm_curcpu_tls;
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	if (ci != NULL)
		nbm_vpanic(ci->ci_machine, fmt, ap);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	nbm_nocpu_panic(buf);
}

void
nbm_set_nocpu_hook(nbm_nocpu_hook_t *fn, void *arg)
{

	nbm_nocpu_hookfn = fn;
	nbm_nocpu_hookarg = arg;
}

/*
 * nbm_nocpu_panic: the allocator API was called by a thread that entered no
 * CPU.  There is no machine to panic, so the process-wide hook decides.
 */
void
nbm_nocpu_panic(const char *fn)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s: called from a thread that is not on "
	    "a CPU of any machine (call nbm_cpu_enter first)", fn);
	if (nbm_nocpu_hookfn == NULL) {
		fprintf(stderr, "panic: %s\n", msg);
		abort();
	}
	nbm_nocpu_hookfn(msg, nbm_nocpu_hookarg);
	if (nbm_nocpu_try != NULL)
		siglongjmp(nbm_nocpu_try->tf_jb, 1);
	fprintf(stderr, "nbmem: no-CPU panic hook returned with no "
	    "nbm_machine_try frame; aborting\n");
	abort();
}

void
nbm_machine_set_panic_hook(struct nbm_machine *m, nbm_panic_hook_t *fn,
    void *arg)
{

	m->m_panic_hook = fn;
	m->m_panic_arg = arg;
}

void
nbm_machine_set_print_hook(struct nbm_machine *m, nbm_print_hook_t *fn,
    void *arg)
{

	m->m_print_hook = fn;
	m->m_print_arg = arg;
}

int
nbm_machine_try(struct nbm_machine *m, void (*fn)(void *), void *arg)
{
	struct nbm_tryframe tf;
	struct nbm_tryframe **volatile head = nbm_tryhead();
	struct cpu_info *volatile ci = nbm_curcpu_tls;
	volatile int ilevel = ci != NULL ? ci->ci_ilevel : 0;
	volatile int idepth = ci != NULL ? ci->ci_idepth : -1;

	tf.tf_prev = *head;
	tf.tf_machine = m;
	if (sigsetjmp(tf.tf_jb, 1) != 0) {
		/* Back from a panic: restore this thread's CPU context. */
		head = nbm_tryhead();
		*head = tf.tf_prev;
		if (ci != NULL) {
			ci->ci_ilevel = ilevel;
			ci->ci_idepth = idepth;
			ci->ci_mtx_count = 0;
		}
		return ENOTRECOVERABLE;
	}
	*head = &tf;
	fn(arg);
	*head = tf.tf_prev;
	return 0;
}

bool
nbm_machine_dead(const struct nbm_machine *m)
{

	return atomic_load(&m->m_dead) != 0;
}

const char *
nbm_machine_panicmsg(const struct nbm_machine *m)
{

	return atomic_load(&m->m_dead) ? m->m_panicmsg : NULL;
}

bool
nbm_diagnostic(void)
{
	struct cpu_info *ci = nbm_curcpu_tls;

	return ci != NULL && nbm_opt(ci->ci_machine, NBM_OPT_DIAGNOSTIC);
}

/*
 * nbm_kassert_fail: a KASSERT condition is false.  On a DIAGNOSTIC machine
 * this panics with kern_assert()'s text; otherwise it returns and the
 * caller carries on, as a kernel without DIAGNOSTIC would.
 */
void
nbm_kassert_fail(const char *kind, const char *expr, const char *file,
    int line, const char *fmt, ...)
{
	struct cpu_info *ci = nbm_curcpu_tls;
	const char *base = strrchr(file, '/');
	char msg[768];
	va_list ap;

	if (ci == NULL || !nbm_opt(ci->ci_machine, NBM_OPT_DIAGNOSTIC))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nbm_panic(ci->ci_machine,
	    "kernel %sassertion \"%s\" failed: file \"%s\", line %d %s",
	    kind, expr, base != NULL ? base + 1 : file, line, msg);
}

void
nbm_vmprintf(struct nbm_machine *m, const char *fmt, va_list ap)
{
	struct cpu_info *ci = nbm_curcpu_tls;
	bool onm = ci != NULL && ci->ci_machine == m;
	char buf[4096];
	int expected, s = 0;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/*
	 * Serialise output so that lines of two CPUs do not interleave; an
	 * interrupt on this CPU that prints waits (pending) until the lock
	 * is free instead of spinning on it forever.
	 */
	if (onm)
		s = splraise_inline(ci, IPL_HIGH);
	for (;;) {
		expected = 0;
		if (atomic_compare_exchange_weak(&m->m_print_lock, &expected, 1))
			break;
	}
	if (m->m_print_hook != NULL)
		m->m_print_hook(m, buf, m->m_print_arg);
	else
		fputs(buf, stderr);
	atomic_store(&m->m_print_lock, 0);
	if (onm)
		splx_inline(ci, s);
}

void
nbm_mprintf(struct nbm_machine *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nbm_vmprintf(m, fmt, ap);
	va_end(ap);
}

void
kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nbm_vmprintf(NBM_CURMACHINE(), fmt, ap);
	va_end(ap);
}

/* nbm_print_pr: a DDB-style (*pr)() that prints through the print hook. */
void
nbm_print_pr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nbm_vmprintf(NBM_CURMACHINE(), fmt, ap);
	va_end(ap);
}

/*
 * assert_sleepable: panic if the caller may not sleep (kern_lock.c): in an
 * interrupt or soft interrupt, or with the level raised (a spin mutex held).
 */
void
assert_sleepable(void)
{
	struct cpu_info *ci = curcpu();
	const char *reason = NULL;

	if (ci->ci_idepth >= 0)
		reason = "interrupt";
	else if (cpu_softintr_p())
		reason = "softint";
	else if (ci->ci_mtx_count > 0 || ci->ci_ilevel > IPL_NONE)
		reason = "spin lock held";
	if (reason != NULL)
		nbm_panic(ci->ci_machine, "assert_sleepable: %s caller=%p",
		    reason, __builtin_return_address(0));
}
