/*
 * kern_boot.c: the order in which a machine boots.
 *
 * The steps mirror NetBSD's main() and uvm_init(): physical pages first,
 * then the interrupt and scheduler state of the CPUs, the vmem subsystem,
 * kernel_map and the kmem arenas (uvm_km_bootstrap, which also runs
 * pool_subsystem_init and vmem_subsystem_init), extent(9) with its
 * descriptor pool (extent_init, which needs pools), the I/O extents
 * (x86_bus_space_init), kmem (kmem_init), and at last the point where the
 * I/O extents may allocate descriptors (x86_bus_space_mallocok) and the
 * configured device ranges are reserved.  Shutdown runs the fini functions
 * in reverse order.
 */
#include "nbm_impl.h"

extern const struct nbm_bootstep nbm_bootstep_uvm_page;
extern const struct nbm_bootstep nbm_bootstep_extent;
extern const struct nbm_bootstep nbm_bootstep_intr;
extern const struct nbm_bootstep nbm_bootstep_sched;
extern const struct nbm_bootstep nbm_bootstep_vmem;
extern const struct nbm_bootstep nbm_bootstep_uvm_km;
extern const struct nbm_bootstep nbm_bootstep_x86_bus_space;
extern const struct nbm_bootstep nbm_bootstep_x86_bus_space_mallocok;
extern const struct nbm_bootstep nbm_bootstep_kmem;
extern const struct nbm_bootstep nbm_bootstep_pdaemon;
extern const struct nbm_bootstep nbm_bootstep_workload;

const struct nbm_bootstep *const nbm_bootsteps[] = {
	&nbm_bootstep_uvm_page,
	&nbm_bootstep_intr,
	&nbm_bootstep_sched,
	&nbm_bootstep_vmem,
	&nbm_bootstep_uvm_km,
	&nbm_bootstep_extent,
	&nbm_bootstep_pdaemon,
	&nbm_bootstep_x86_bus_space,
	&nbm_bootstep_kmem,
	&nbm_bootstep_x86_bus_space_mallocok,
	&nbm_bootstep_workload,
};
const size_t nbm_nbootsteps = __arraycount(nbm_bootsteps);
