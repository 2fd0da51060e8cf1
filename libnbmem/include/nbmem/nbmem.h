/*
 * nbmem/nbmem.h: the umbrella header of libnbmem.
 *
 * libnbmem runs NetBSD's kernel memory allocator stack -- kmem(9), pool(9),
 * pool_cache(9), uvm_km(9), vmem(9), extent(9) -- in user space, on a
 * simulated machine.  The allocator API keeps NetBSD's names, flags and
 * signatures; the machine API, which NetBSD has no counterpart for, uses
 * the nbm_ prefix.  See libnbmem(3).
 */
#ifndef NBMEM_NBMEM_H
#define NBMEM_NBMEM_H

#define NBM_VERSION_MAJOR	0
#define NBM_VERSION_MINOR	1
#define NBM_VERSION_PATCH	0
#define NBM_VERSION_STRING	"0.1.0"

#include <nbmem/types.h>
#include <nbmem/intr.h>
#include <nbmem/mutex.h>
#include <nbmem/machine.h>
#include <nbmem/lwp.h>
#include <nbmem/vmem.h>
#include <nbmem/vmem_impl.h>
#include <nbmem/extent.h>
#include <nbmem/uvm_km.h>
#include <nbmem/pool.h>
#include <nbmem/kmem.h>
#include <nbmem/bus.h>
#include <nbmem/stats.h>
#include <nbmem/workload.h>

#endif /* NBMEM_NBMEM_H */
