/*
 * host.c: everything libnbmem asks of the host operating system.
 *
 * The rest of the library never calls mmap, mprotect or sigaction itself;
 * it reserves, maps and unmaps host memory and learns about faults through
 * this file, following mimalloc's prim.h separation.
 *
 * Kernel VA of a machine is one host reservation (PROT_NONE, no swap
 * reserved).  Mapping a simulated page makes its host pages readable and
 * writable; unmapping drops their contents and makes them inaccessible
 * again, so that a later access faults.
 *
 * Faults: a SIGSEGV/SIGBUS handler, installed once per process, looks the
 * faulting address up among the registered machines.  A fault on pageable
 * kernel memory is served (demand zero, pmap.c); any other fault inside a
 * machine's kernel VA is a simulated page fault: the machine panics with
 * the faulting address and the thread resumes in its nbm_machine_try()
 * frame.  A fault outside every machine goes to the handler that was there
 * before (a sanitizer's, or the default, which ends the process).
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "nbm_impl.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

static pthread_mutex_t nbm_host_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nbm_machine *_Atomic nbm_host_machines;
static struct sigaction nbm_old_segv, nbm_old_bus;
static pthread_once_t nbm_fault_once = PTHREAD_ONCE_INIT;

size_t
nbm_host_pagesize(void)
{
	static size_t pgsz;

	if (pgsz == 0)
		pgsz = (size_t)sysconf(_SC_PAGESIZE);
	return pgsz;
}

uint64_t
nbm_host_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * nbm_host_reserve: reserve size bytes of host address space, aligned to
 * align, inaccessible and without swap reservation.
 */
int
nbm_host_reserve(size_t size, size_t align, void **basep)
{
	size_t len = size + align;
	uintptr_t p, a;
	void *v;

	v = mmap(NULL, len, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v == MAP_FAILED)
		return ENOMEM;
	p = (uintptr_t)v;
	a = roundup2(p, align);
	if (a > p)
		munmap(v, a - p);
	if (p + len > a + size)
		munmap((void *)(a + size), p + len - (a + size));
	*basep = (void *)a;
	return 0;
}

void
nbm_host_release(void *base, size_t size)
{

	munmap(base, size);
}

int
nbm_host_map(void *va, size_t size)
{

	if (mprotect(va, size, PROT_READ | PROT_WRITE) != 0)
		return errno;
	return 0;
}

int
nbm_host_unmap(void *va, size_t size)
{

	/* Drop the contents first, so that the host memory is returned. */
	madvise(va, size, MADV_DONTNEED);
	if (mprotect(va, size, PROT_NONE) != 0)
		return errno;
	return 0;
}

void
nbm_host_discard(void *va, size_t size)
{

	madvise(va, size, MADV_DONTNEED);
}

/*
 * nbm_host_stack_alloc: a thread stack of size bytes with an inaccessible
 * guard page below it, so that an overflow faults instead of corrupting.
 */
int
nbm_host_stack_alloc(size_t size, void **stackp)
{
	size_t pg = nbm_host_pagesize();
	char *v;

	v = mmap(NULL, size + pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v == MAP_FAILED)
		return ENOMEM;
	mprotect(v, pg, PROT_NONE);
	*stackp = v + pg;
	return 0;
}

void
nbm_host_stack_free(void *stack, size_t size)
{
	size_t pg = nbm_host_pagesize();

#if defined(__SANITIZE_ADDRESS__)
	/*
	 * A thread that exited left the redzones of its last frames
	 * poisoned; memory mapped here later must not inherit them.
	 */
	ASAN_UNPOISON_MEMORY_REGION(stack, size);
#endif
	munmap((char *)stack - pg, size + pg);
}

int
nbm_host_register(struct nbm_machine *m)
{

	pthread_mutex_lock(&nbm_host_lock);
	m->m_hostnext = atomic_load(&nbm_host_machines);
	atomic_store(&nbm_host_machines, m);
	pthread_mutex_unlock(&nbm_host_lock);
	return 0;
}

void
nbm_host_unregister(struct nbm_machine *m)
{
	struct nbm_machine *p, *_Atomic *pp;

	pthread_mutex_lock(&nbm_host_lock);
	for (pp = &nbm_host_machines; (p = atomic_load(pp)) != NULL;
	    pp = (struct nbm_machine *_Atomic *)&p->m_hostnext) {
		if (p == m) {
			atomic_store(pp, m->m_hostnext);
			break;
		}
	}
	pthread_mutex_unlock(&nbm_host_lock);
}

static struct nbm_machine *
nbm_host_find(uintptr_t a)
{
	struct nbm_machine *m;

	for (m = atomic_load(&nbm_host_machines); m != NULL;
	    m = m->m_hostnext) {
		if (a >= (uintptr_t)m->m_kva_base &&
		    a - (uintptr_t)m->m_kva_base < m->m_kva_size)
			return m;
	}
	return NULL;
}

static void
nbm_chain(int sig, siginfo_t *si, void *uc, struct sigaction *old)
{

	if ((old->sa_flags & SA_SIGINFO) != 0 && old->sa_sigaction != NULL) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (old->sa_handler == SIG_IGN)
		return;
	if (old->sa_handler != SIG_DFL && old->sa_handler != NULL) {
		old->sa_handler(sig);
		return;
	}
	/* Default action: restore it; the access faults again and kills. */
	signal(sig, SIG_DFL);
}

static void
nbm_fault_handler(int sig, siginfo_t *si, void *ucv)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	struct nbm_machine *m = nbm_host_find(a);
	struct cpu_info *ci = nbm_curcpu_tls;
	unsigned long code = 0;
	int saved_errno = errno;

	if (m == NULL) {
		nbm_chain(sig, si, ucv, sig == SIGBUS ? &nbm_old_bus :
		    &nbm_old_segv);
		errno = saved_errno;
		return;
	}
	if (nbm_pmap_fault(m, (vaddr_t)a) == 0) {
		errno = saved_errno;
		return;
	}
#if defined(__x86_64__)
	code = (unsigned long)((ucontext_t *)ucv)->uc_mcontext.gregs[REG_ERR];
#endif
	/*
	 * NetBSD's trap() prints the uvm_fault() result and the trap frame,
	 * then panics "trap"; the whole report is the panic message here.
	 */
	nbm_panic(m, "trap: uvm_fault(kernel_map, 0x%lx, %d) -> e; fatal page "
	    "fault in supervisor mode; trap type 6 code 0x%lx cr2 0x%lx "
	    "ilevel %d",
	    (unsigned long)(a & ~m->m_pagemask), (code & 2) ? 2 : 1, code,
	    (unsigned long)a,
	    ci != NULL && ci->ci_machine == m ? ci->ci_ilevel : 0);
}

static void
nbm_fault_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = nbm_fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &nbm_old_segv);
	sigaction(SIGBUS, &sa, &nbm_old_bus);
}

void
nbm_host_fault_init(void)
{

	pthread_once(&nbm_fault_once, nbm_fault_install);
}
