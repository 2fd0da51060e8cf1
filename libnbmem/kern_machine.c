/*
 * kern_machine.c: configuration, boot and shutdown of a simulated machine,
 * and the CPUs host threads run as.
 *
 * Boot validates the configuration field by field (every message names the
 * field, the bad value and what is accepted), reserves the machine's kernel
 * virtual address space and direct map in host memory, then runs the boot
 * steps of nbm_bootsteps[] in NetBSD's order -- physical pages, uvm_km and
 * the vmem arenas, pools, extents and bus space, kmem -- with the booting
 * thread on cpu0.  Shutdown runs the steps' fini functions in reverse and
 * releases the host memory; it works on a dead (panicked) machine too, so it
 * takes no kernel locks.
 *
 * CPUs: a host thread enters a CPU with nbm_cpu_enter() and leaves it with
 * nbm_cpu_exit().  At most one thread runs on a CPU at a time (the CPU's
 * ci_occupant word); a thread runs on at most one CPU.  The thread-local
 * nbm_curcpu_tls is what curcpu() returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nbm_impl.h"

__thread struct cpu_info *nbm_curcpu_tls
    __attribute__((tls_model("initial-exec")));
__thread struct lwp *nbm_curlwp_tls
    __attribute__((tls_model("initial-exec")));

/* The lwp of a host thread that entered a CPU with nbm_cpu_enter(). */
static __thread struct lwp nbm_thread_lwp;

static __thread char nbm_boot_errbuf[256];
static _Atomic(u_int) nbm_boot_serial;

/* Legacy PC I/O ports, reserved at boot as their drivers would. */
static const struct nbm_range nbm_default_ioports[] = {
	{ 0x0000, 0x20, 0, "dma1" },
	{ 0x0020, 0x02, 0, "pic1" },
	{ 0x0040, 0x04, 0, "timer" },
	{ 0x0060, 0x01, 0, "kbd" },
	{ 0x0064, 0x01, 0, "kbd-cmd" },
	{ 0x0070, 0x02, 0, "rtc" },
	{ 0x0080, 0x10, 0, "dma-page" },
	{ 0x00a0, 0x02, 0, "pic2" },
	{ 0x00c0, 0x20, 0, "dma2" },
	{ 0x00f0, 0x10, 0, "npx" },
	{ 0x0cf8, 0x08, 0, "pci-config" },
};

#define ISA_HOLE_START	0xa0000ULL	/* IOM_BEGIN */
#define ISA_HOLE_END	0x100000ULL	/* IOM_END */
#define PCI_HOLE_START	0xc0000000ULL	/* RAM stops below here */
#define ACPI_SIZE	0x10000ULL
#define NVS_SIZE	0x10000ULL

void
nbm_config_init(struct nbm_config *cfg)
{

	memset(cfg, 0, sizeof(*cfg));
	cfg->ncpu = 4;
	cfg->page_size = 4096;
	cfg->physmem = 256ULL << 20;
	cfg->hz = 100;
	cfg->seed = 0;
	cfg->mode = NBM_MODE_PARALLEL;
	cfg->options = 0;
	cfg->kmem_guard_depth = 0;
	cfg->pool_inactive_time = 10;
	cfg->direct_map = true;
	cfg->iomem_max = 0xffffffffffffULL;	/* amd64 MAXIOMEM */
	cfg->kva_size = 0;
	cfg->nmemmap = 0;
	cfg->nioport = __arraycount(nbm_default_ioports);
	memcpy(cfg->ioport, nbm_default_ioports, sizeof(nbm_default_ioports));
}

/*
 * nbm_default_memmap: the PC layout for a given amount of RAM: base memory
 * below the ISA hole, RAM from 1 MiB up to the PCI hole at 3 GiB, the ACPI
 * tables and NVS right above it, the rest of RAM above 4 GiB, and the
 * firmware and interrupt-controller windows below 4 GiB.
 */
static u_int
nbm_default_memmap(const struct nbm_config *cfg, struct nbm_range *map)
{
	uint64_t rest, low;
	u_int n = 0;

#define ADD(s, sz, t, nm) do {						\
	map[n].r_start = (s); map[n].r_size = (sz); map[n].r_type = (t);\
	snprintf(map[n].r_name, sizeof(map[n].r_name), "%s", (nm));	\
	n++;								\
} while (0)
	ADD(0, ISA_HOLE_START, NBM_MEM_RAM, "base memory");
	rest = cfg->physmem - ISA_HOLE_START;
	low = MIN(rest, PCI_HOLE_START - ISA_HOLE_END - ACPI_SIZE - NVS_SIZE);
	low = rounddown(low, cfg->page_size);
	ADD(ISA_HOLE_END, low, NBM_MEM_RAM, "extended memory");
	ADD(ISA_HOLE_END + low, ACPI_SIZE, NBM_MEM_ACPI, "ACPI tables");
	ADD(ISA_HOLE_END + low + ACPI_SIZE, NVS_SIZE, NBM_MEM_NVS, "ACPI NVS");
	if (rest > low)
		ADD(0x100000000ULL, rest - low, NBM_MEM_RAM, "high memory");
	if (cfg->iomem_max >= 0xffffffffULL) {
		ADD(0xfec00000ULL, 0x1000, NBM_MEM_RESERVED, "ioapic");
		ADD(0xfee00000ULL, 0x1000, NBM_MEM_RESERVED, "lapic");
		ADD(0xfff00000ULL, 0x100000, NBM_MEM_RESERVED, "bios-flash");
	}
#undef ADD
	return n;
}

/*
 * nbm_config_memmap: the memory map a configuration boots with.
 */
static u_int
nbm_config_memmap(const struct nbm_config *cfg, struct nbm_range *map)
{

	if (cfg->nmemmap == 0)
		return nbm_default_memmap(cfg, map);
	memcpy(map, cfg->memmap, cfg->nmemmap * sizeof(map[0]));
	return cfg->nmemmap;
}

#define CFGERR(...) do {						\
	snprintf(errbuf, errlen, __VA_ARGS__);				\
	return EINVAL;							\
} while (0)

static const char *
nbm_memtype_name(int t)
{

	switch (t) {
	case NBM_MEM_RAM:	return "ram";
	case NBM_MEM_RESERVED:	return "reserved";
	case NBM_MEM_ACPI:	return "acpi";
	case NBM_MEM_NVS:	return "nvs";
	default:		return "?";
	}
}

int
nbm_config_validate(const struct nbm_config *cfg, char *errbuf, size_t errlen)
{
	struct nbm_range map[NBM_MEMMAP_MAX + 8];
	size_t hostpg = nbm_host_pagesize();
	uint64_t ram = 0;
	u_int n, i, j;

	if (errlen > 0)
		errbuf[0] = '\0';
	if (cfg->ncpu < 1 || cfg->ncpu > NBM_NCPU_MAX)
		CFGERR("ncpu %u: must be between 1 and %u", cfg->ncpu,
		    NBM_NCPU_MAX);
	if (cfg->page_size < NBM_PAGE_SIZE_MIN ||
	    cfg->page_size > NBM_PAGE_SIZE_MAX || !powerof2(cfg->page_size))
		CFGERR("page_size %zu: must be a power of two between %u and %u",
		    cfg->page_size, NBM_PAGE_SIZE_MIN, NBM_PAGE_SIZE_MAX);
	if (cfg->page_size < hostpg)
		CFGERR("page_size %zu: must not be below the host page size "
		    "%zu (simulated pages are mapped with host pages)",
		    cfg->page_size, hostpg);
	if (cfg->physmem < NBM_PHYSMEM_MIN || cfg->physmem > NBM_PHYSMEM_MAX)
		CFGERR("physmem %llu: must be between %llu (4 MiB) and %llu "
		    "(256 GiB) bytes", (unsigned long long)cfg->physmem,
		    NBM_PHYSMEM_MIN, NBM_PHYSMEM_MAX);
	if (cfg->physmem % cfg->page_size != 0)
		CFGERR("physmem %llu: must be a multiple of page_size %zu",
		    (unsigned long long)cfg->physmem, cfg->page_size);
	if (cfg->hz < 1 || cfg->hz > 10000)
		CFGERR("hz %u: must be between 1 and 10000", cfg->hz);
	if (cfg->mode != NBM_MODE_PARALLEL &&
	    cfg->mode != NBM_MODE_DETERMINISTIC)
		CFGERR("mode %d: must be %d (parallel) or %d (deterministic)",
		    cfg->mode, NBM_MODE_PARALLEL, NBM_MODE_DETERMINISTIC);
	if ((cfg->options & ~NBM_OPT_ALL) != 0)
		CFGERR("options 0x%x: unknown option bits 0x%x (known: 0x%x)",
		    cfg->options, cfg->options & ~NBM_OPT_ALL, NBM_OPT_ALL);
	if (cfg->kmem_guard_depth > 1000000)
		CFGERR("kmem_guard_depth %u: must be between 0 and 1000000 pages",
		    cfg->kmem_guard_depth);
	if (cfg->pool_inactive_time > 86400)
		CFGERR("pool_inactive_time %u: must be between 0 and 86400 "
		    "seconds", cfg->pool_inactive_time);
	if (cfg->iomem_max < 0xfffffULL)
		CFGERR("iomem_max 0x%llx: must be at least 0xfffff (1 MiB of "
		    "address space)", (unsigned long long)cfg->iomem_max);
	if (cfg->kva_size != 0 && (cfg->kva_size % cfg->page_size != 0 ||
	    cfg->kva_size < 2 * cfg->physmem || cfg->kva_size > (1ULL << 42)))
		CFGERR("kva_size %llu: must be 0 (derived) or a multiple of "
		    "page_size between 2 * physmem and 4 TiB",
		    (unsigned long long)cfg->kva_size);

	/* I/O ports. */
	if (cfg->nioport > NBM_IOPORT_MAX)
		CFGERR("nioport %u: must be between 0 and %u", cfg->nioport,
		    NBM_IOPORT_MAX);
	for (i = 0; i < cfg->nioport; i++) {
		const struct nbm_range *r = &cfg->ioport[i];

		if (r->r_size == 0 || r->r_start > 0xffff ||
		    r->r_size > 0x10000 - r->r_start)
			CFGERR("ioport[%u] 0x%llx+0x%llx: must be a non-empty "
			    "range inside ports 0x0-0xffff", i,
			    (unsigned long long)r->r_start,
			    (unsigned long long)r->r_size);
		for (j = 0; j < i; j++) {
			const struct nbm_range *q = &cfg->ioport[j];

			if (r->r_start < q->r_start + q->r_size &&
			    q->r_start < r->r_start + r->r_size)
				CFGERR("ioport[%u] 0x%llx+0x%llx: overlaps "
				    "ioport[%u] 0x%llx+0x%llx", i,
				    (unsigned long long)r->r_start,
				    (unsigned long long)r->r_size, j,
				    (unsigned long long)q->r_start,
				    (unsigned long long)q->r_size);
		}
	}

	/* Memory map. */
	if (cfg->nmemmap > NBM_MEMMAP_MAX)
		CFGERR("nmemmap %u: must be between 0 (PC layout) and %u",
		    cfg->nmemmap, NBM_MEMMAP_MAX);
	if (cfg->nmemmap == 0 && cfg->iomem_max < 0xffffffffULL)
		CFGERR("iomem_max 0x%llx: the default PC memory map needs at "
		    "least 0xffffffff; give a memmap for a smaller space",
		    (unsigned long long)cfg->iomem_max);
	if (cfg->nmemmap == 0 && cfg->physmem > PCI_HOLE_START -
	    ISA_HOLE_END - ACPI_SIZE - NVS_SIZE + ISA_HOLE_START &&
	    cfg->iomem_max < 0x1ffffffffULL)
		CFGERR("physmem %llu: RAM above 3 GiB is placed above 4 GiB, "
		    "beyond iomem_max 0x%llx", (unsigned long long)cfg->physmem,
		    (unsigned long long)cfg->iomem_max);
	n = nbm_config_memmap(cfg, map);
	for (i = 0; i < n; i++) {
		const struct nbm_range *r = &map[i];

		if (r->r_type < NBM_MEM_RAM || r->r_type > NBM_MEM_NVS)
			CFGERR("memmap[%u] type %d: must be one of %d (ram), "
			    "%d (reserved), %d (acpi), %d (nvs)", i, r->r_type,
			    NBM_MEM_RAM, NBM_MEM_RESERVED, NBM_MEM_ACPI,
			    NBM_MEM_NVS);
		if (r->r_size == 0 || r->r_start > cfg->iomem_max ||
		    r->r_size - 1 > cfg->iomem_max - r->r_start)
			CFGERR("memmap[%u] %s 0x%llx+0x%llx: must be a non-empty "
			    "range inside 0x0-0x%llx (iomem_max)", i,
			    nbm_memtype_name(r->r_type),
			    (unsigned long long)r->r_start,
			    (unsigned long long)r->r_size,
			    (unsigned long long)cfg->iomem_max);
		if (r->r_type == NBM_MEM_RAM) {
			if (r->r_start % cfg->page_size != 0 ||
			    r->r_size % cfg->page_size != 0)
				CFGERR("memmap[%u] ram 0x%llx+0x%llx: start and "
				    "size must be multiples of page_size %zu", i,
				    (unsigned long long)r->r_start,
				    (unsigned long long)r->r_size,
				    cfg->page_size);
			ram += r->r_size;
		}
		for (j = 0; j < i; j++) {
			const struct nbm_range *q = &map[j];

			if (r->r_start <= q->r_start + (q->r_size - 1) &&
			    q->r_start <= r->r_start + (r->r_size - 1))
				CFGERR("memmap[%u] 0x%llx+0x%llx: overlaps "
				    "memmap[%u] 0x%llx+0x%llx", i,
				    (unsigned long long)r->r_start,
				    (unsigned long long)r->r_size, j,
				    (unsigned long long)q->r_start,
				    (unsigned long long)q->r_size);
		}
	}
	if (ram != cfg->physmem)
		CFGERR("memmap: RAM ranges total %llu bytes, but physmem is "
		    "%llu; they must be equal", (unsigned long long)ram,
		    (unsigned long long)cfg->physmem);
	return 0;
}

#undef CFGERR

const char *
nbm_boot_error(void)
{

	return nbm_boot_errbuf;
}

void
nbm_boot_seterror(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(nbm_boot_errbuf, sizeof(nbm_boot_errbuf), fmt, ap);
	va_end(ap);
}

/*
 * nbm_machine_free: release everything nbm_machine_boot() allocated.
 */
static void
nbm_machine_free(struct nbm_machine *m)
{
	u_int i;

	if (m->m_kva_base != NULL)
		nbm_host_release(m->m_kva_base, m->m_kva_size);
	if (m->m_dmap_base != NULL)
		nbm_host_release(m->m_dmap_base, m->m_dmap_size);
	free(m->m_pmap);
	free(m->m_pages);
	free(m->m_events);
	if (m->m_cpus != NULL) {
		for (i = 0; i < m->m_ncpu; i++)
			free(m->m_cpus[i]);
		free(m->m_cpus);
	}
	free(m);
}

/*
 * nbm_machine_kva_size: kernel VA to reserve: the kmem arena (as big as
 * RAM, amd64's NKMEMPAGES_MAX_UNLIMITED, at least NKMEMPAGES_MIN's 8 MiB),
 * plus room for the rest of kernel_map (uvm_km_alloc, device windows).
 */
static uint64_t
nbm_machine_kva_size(const struct nbm_config *cfg)
{
	uint64_t kmem, rest;

	if (cfg->kva_size != 0)
		return cfg->kva_size;
	kmem = MAX(cfg->physmem, 8ULL << 20);
	rest = MAX(cfg->physmem / 2, 64ULL << 20) + (16ULL << 20);
	return roundup(kmem + rest, 2ULL << 20);
}

int
nbm_machine_boot(const struct nbm_config *cfg, struct nbm_machine **mp)
{
	struct nbm_range map[NBM_MEMMAP_MAX + 8];
	struct cpu_info *oci;
	struct lwp *olwp;
	struct nbm_machine *m;
	char err[256];
	uint64_t dmap_end = 0;
	size_t i, step;
	u_int n;
	int error;

	*mp = NULL;
	nbm_boot_errbuf[0] = '\0';
	if ((error = nbm_config_validate(cfg, err, sizeof(err))) != 0) {
		nbm_boot_seterror("%s", err);
		return error;
	}
	nbm_host_fault_init();

	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto nomem;
	m->m_cfg = *cfg;
	m->m_serial = atomic_fetch_add(&nbm_boot_serial, 1) + 1;
	m->m_ncpu = cfg->ncpu;
	m->m_pagesize = cfg->page_size;
	m->m_pageshift = ilog2(cfg->page_size);
	m->m_pagemask = cfg->page_size - 1;
	m->m_boot_ns = nbm_host_monotonic_ns();
	if (cfg->nmemmap == 0) {
		m->m_cfg.nmemmap = nbm_default_memmap(cfg, m->m_cfg.memmap);
	}

	if ((m->m_cpus = calloc(m->m_ncpu, sizeof(*m->m_cpus))) == NULL)
		goto nomem;
	if ((m->m_events = calloc(NBM_EVENTS_MAX, sizeof(*m->m_events))) ==
	    NULL)
		goto nomem;
	for (i = 0; i < m->m_ncpu; i++) {
		struct cpu_info *ci;

		if ((ci = aligned_alloc(COHERENCY_UNIT,
		    roundup(sizeof(*ci), COHERENCY_UNIT))) == NULL)
			goto nomem;
		memset(ci, 0, sizeof(*ci));
		ci->ci_machine = m;
		ci->ci_index = (u_int)i;
		ci->ci_ilevel = IPL_NONE;
		ci->ci_idepth = -1;
		m->m_cpus[i] = ci;
	}

	/* Kernel VA and the direct map, in host memory. */
	m->m_kva_size = nbm_machine_kva_size(cfg);
	if (nbm_host_reserve(m->m_kva_size, MAX(m->m_pagesize, 2UL << 20),
	    (void **)&m->m_kva_base) != 0) {
		nbm_boot_seterror("kva_size %zu: the host could not reserve "
		    "that much address space", m->m_kva_size);
		m->m_kva_base = NULL;
		nbm_machine_free(m);
		return ENOMEM;
	}
	n = nbm_config_memmap(&m->m_cfg, map);
	for (i = 0; i < n; i++)
		if (map[i].r_type == NBM_MEM_RAM)
			dmap_end = MAX(dmap_end, map[i].r_start + map[i].r_size);
	m->m_dmap_size = dmap_end;
	if (cfg->direct_map) {
		if (nbm_host_reserve(m->m_dmap_size, m->m_pagesize,
		    (void **)&m->m_dmap_base) != 0 ||
		    nbm_host_map(m->m_dmap_base, m->m_dmap_size) != 0) {
			nbm_boot_seterror("direct_map: the host could not "
			    "reserve %zu bytes for the direct map",
			    m->m_dmap_size);
			nbm_machine_free(m);
			return ENOMEM;
		}
	}
	m->m_pmap = calloc(m->m_kva_size >> m->m_pageshift,
	    sizeof(*m->m_pmap));
	if (m->m_pmap == NULL)
		goto nomem;

	/* Run the boot steps with this thread on cpu0. */
	oci = nbm_curcpu_tls;
	olwp = nbm_curlwp_tls;
	struct lwp bootlwp = {
		.l_cpu = m->m_cpus[0], .l_machine = m, .l_name = "boot",
	};
	nbm_curcpu_tls = m->m_cpus[0];
	nbm_curlwp_tls = &bootlwp;
	m->m_cpus[0]->ci_curlwp = &bootlwp;
	error = 0;
	for (step = 0; step < nbm_nbootsteps; step++) {
		if (nbm_bootsteps[step]->bs_init == NULL)
			continue;
		error = nbm_bootsteps[step]->bs_init(m);
		if (error != 0) {
			if (nbm_boot_errbuf[0] == '\0')
				nbm_boot_seterror("boot step %s failed: %s",
				    nbm_bootsteps[step]->bs_name,
				    strerror(error));
			break;
		}
	}
	if (error != 0) {
		while (step-- > 0)
			if (nbm_bootsteps[step]->bs_fini != NULL)
				nbm_bootsteps[step]->bs_fini(m);
	}
	m->m_cpus[0]->ci_curlwp = NULL;
	nbm_curcpu_tls = oci;
	nbm_curlwp_tls = olwp;
	if (error != 0) {
		nbm_machine_free(m);
		return error;
	}
	nbm_host_register(m);
	*mp = m;
	return 0;

nomem:
	nbm_boot_seterror("out of host memory while booting");
	if (m != NULL)
		nbm_machine_free(m);
	return ENOMEM;
}

void
nbm_machine_shutdown(struct nbm_machine *m)
{
	struct cpu_info *oci = nbm_curcpu_tls;
	struct lwp *olwp = nbm_curlwp_tls;
	struct lwp downlwp = {
		.l_cpu = m->m_cpus[0], .l_machine = m, .l_name = "shutdown",
	};
	size_t step;

	nbm_host_unregister(m);
	/*
	 * The fini functions free host memory only; they take no kernel
	 * locks, so this works on a machine that panicked holding some.
	 */
	nbm_curcpu_tls = m->m_cpus[0];
	nbm_curlwp_tls = &downlwp;
	for (step = nbm_nbootsteps; step-- > 0;)
		if (nbm_bootsteps[step]->bs_fini != NULL)
			nbm_bootsteps[step]->bs_fini(m);
	nbm_curcpu_tls = oci;
	nbm_curlwp_tls = olwp;
	nbm_machine_free(m);
}

int
nbm_cpu_enter(struct nbm_machine *m, u_int cpu)
{
	struct cpu_info *ci;
	uintptr_t none = 0;

	if (nbm_curcpu_tls != NULL)
		return EALREADY;
	if (cpu >= m->m_ncpu)
		return EINVAL;
	if (atomic_load(&m->m_dead))
		return ENXIO;
	ci = m->m_cpus[cpu];
	if (!atomic_compare_exchange_strong(&ci->ci_occupant, &none,
	    (uintptr_t)&nbm_thread_lwp))
		return EBUSY;
	memset(&nbm_thread_lwp, 0, sizeof(nbm_thread_lwp));
	nbm_thread_lwp.l_cpu = ci;
	nbm_thread_lwp.l_machine = m;
	nbm_thread_lwp.l_name = "thread";
	ci->ci_curlwp = &nbm_thread_lwp;
	nbm_curlwp_tls = &nbm_thread_lwp;
	nbm_curcpu_tls = ci;
	nbm_intr_cpu_attach(ci);
	return 0;
}

void
nbm_cpu_exit(void)
{
	struct cpu_info *ci = nbm_curcpu_tls;

	if (ci == NULL)
		return;
	KASSERTMSG(ci->ci_mtx_count == 0,
	    "nbm_cpu_exit: cpu%u holds %d spin mutexes", ci->ci_index,
	    ci->ci_mtx_count);
	nbm_intr_cpu_detach(ci);
	ci->ci_curlwp = NULL;
	nbm_curcpu_tls = NULL;
	nbm_curlwp_tls = NULL;
	atomic_store(&ci->ci_occupant, 0);
}

int
nbm_machine_observe(struct nbm_machine *m, void (*fn)(void *), void *arg)
{
	struct cpu_info *oci = nbm_curcpu_tls, *obs;
	struct lwp *olwp = nbm_curlwp_tls;
	struct lwp l;
	int error;

	if (oci != NULL) {
		if (oci->ci_machine != m)
			return EALREADY;
		fn(arg);
		return 0;
	}
	if (atomic_load(&m->m_dead))
		return ENXIO;
	if ((obs = aligned_alloc(COHERENCY_UNIT,
	    roundup(sizeof(*obs), COHERENCY_UNIT))) == NULL)
		return ENOMEM;
	/* A CPU number past the last: no per-CPU data belongs to it. */
	memset(obs, 0, sizeof(*obs));
	obs->ci_machine = m;
	obs->ci_index = m->m_ncpu;
	obs->ci_ilevel = IPL_NONE;
	obs->ci_idepth = -1;
	memset(&l, 0, sizeof(l));
	l.l_cpu = obs;
	l.l_machine = m;
	l.l_name = "observer";
	obs->ci_curlwp = &l;
	nbm_curcpu_tls = obs;
	nbm_curlwp_tls = &l;
	error = nbm_machine_try(m, fn, arg);
	nbm_curcpu_tls = oci;
	nbm_curlwp_tls = olwp;
	free(obs);
	return error;
}

struct nbm_machine *
nbm_curmachine(void)
{
	struct cpu_info *ci = nbm_curcpu_tls;

	return ci == NULL ? NULL : ci->ci_machine;
}

const struct nbm_config *
nbm_machine_config(const struct nbm_machine *m)
{

	return &m->m_cfg;
}

u_int
nbm_ncpu(void)
{

	return NBM_CURMACHINE()->m_ncpu;
}

struct cpu_info *
(curcpu)(void)
{

	return curcpu();
}

u_int
cpu_index(const struct cpu_info *ci)
{

	return ci->ci_index;
}

u_int
cpu_number(void)
{

	return curcpu()->ci_index;
}

bool
cpu_intr_p(void)
{

	return curcpu()->ci_idepth >= 0;
}

bool
cpu_softintr_p(void)
{
	struct lwp *l = curlwp;

	return l != NULL && (l->l_pflag & LP_INTR) != 0;
}

/*
 * Time.
 */
uint64_t
nbm_uptime_ns(struct nbm_machine *m)
{

	if (m->m_cfg.mode == NBM_MODE_DETERMINISTIC)
		return atomic_load_explicit(&m->m_vtime_ns,
		    memory_order_relaxed);
	return nbm_host_monotonic_ns() - m->m_boot_ns +
	    atomic_load_explicit(&m->m_vtime_ns, memory_order_relaxed);
}

uint64_t
nbm_machine_uptime_ns(const struct nbm_machine *m)
{

	return nbm_uptime_ns(__DECONST(struct nbm_machine *, m));
}

/*
 * nbm_machine_advance: move the machine's clock forward.  In parallel mode
 * the offset is added to wall-clock time, so that tests can make pages
 * "idle for 10 seconds" without waiting.
 */
int
nbm_machine_advance(struct nbm_machine *m, uint64_t ns)
{

	atomic_fetch_add(&m->m_vtime_ns, ns);
	return 0;
}

int
getticks(void)
{
	struct nbm_machine *m = NBM_CURMACHINE();

	return (int)(nbm_uptime_ns(m) / (1000000000ULL / m->m_cfg.hz));
}

uint64_t
nbm_time_uptime(void)
{

	return nbm_uptime_ns(NBM_CURMACHINE()) / 1000000000ULL;
}

size_t
nbm_page_size(void)
{

	return NBM_CURMACHINE()->m_pagesize;
}

u_int
nbm_page_shift(void)
{

	return NBM_CURMACHINE()->m_pageshift;
}

/*
 * Events.
 */
void
nbm_machine_event(struct nbm_machine *m, int type, const char *subject,
    const char *fmt, ...)
{
	struct cpu_info *ci = nbm_curcpu_tls;
	bool onm = ci != NULL && ci->ci_machine == m;
	struct nbm_event *ev;
	va_list ap;
	int expected, s = 0;

	/* An interrupt on this CPU must not find the lock held under it. */
	if (onm)
		s = splraise_inline(ci, IPL_HIGH);
	for (;;) {
		expected = 0;
		if (atomic_compare_exchange_weak(&m->m_evlock, &expected, 1))
			break;
	}
	ev = &m->m_events[m->m_evseq % NBM_EVENTS_MAX];
	ev->ev_seq = ++m->m_evseq;
	ev->ev_time_ns = nbm_uptime_ns(m);
	ev->ev_type = type;
	ev->ev_cpu = ci != NULL && ci->ci_machine == m ? ci->ci_index : 0;
	snprintf(ev->ev_subject, sizeof(ev->ev_subject), "%s",
	    subject != NULL ? subject : "");
	va_start(ap, fmt);
	vsnprintf(ev->ev_text, sizeof(ev->ev_text), fmt, ap);
	va_end(ap);
	atomic_store(&m->m_evlock, 0);
	if (onm)
		splx_inline(ci, s);
}

size_t
nbm_machine_events(struct nbm_machine *m, uint64_t since,
    struct nbm_event *buf, size_t n)
{
	uint64_t first, seq;
	size_t k = 0;
	int expected;

	for (;;) {
		expected = 0;
		if (atomic_compare_exchange_weak(&m->m_evlock, &expected, 1))
			break;
	}
	first = m->m_evseq > NBM_EVENTS_MAX ? m->m_evseq - NBM_EVENTS_MAX + 1 :
	    1;
	for (seq = MAX(first, since + 1); seq <= m->m_evseq && k < n; seq++)
		buf[k++] = m->m_events[(seq - 1) % NBM_EVENTS_MAX];
	atomic_store(&m->m_evlock, 0);
	return k;
}
