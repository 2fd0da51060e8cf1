/*
 * nbmem/vmem.h: vmem(9), the general resource (address space) allocator.
 *
 * An arena hands out ranges of an integer space in multiples of its
 * quantum.  Its free segments sit on power-of-two size-class freelists;
 * allocated segments are found again through a hash on their start address.
 * An arena may import spans from a source arena (or any import function)
 * when it runs out, and gives a fully free imported span back at once.
 * Small requests can be served by quantum caches, pool caches of 1..16
 * quanta.  The algorithms are those of Bonwick and Adams, "Magazines and
 * Vmem" (USENIX 2001), as NetBSD implements them (sys/kern/subr_vmem.c);
 * see libnbmem/subr_vmem.c for the details this implementation keeps.
 *
 * Names, flags, values and signatures are NetBSD's (sys/sys/vmem.h).
 */
#ifndef NBMEM_VMEM_H
#define NBMEM_VMEM_H

#include <nbmem/types.h>

typedef struct vmem vmem_t;
typedef unsigned int vm_flag_t;
typedef uintptr_t vmem_addr_t;
typedef size_t vmem_size_t;

#define VMEM_ADDR_MIN	0
#define VMEM_ADDR_MAX	(~(vmem_addr_t)0)

/* vmem_size() type mask */
#define VMEM_ALLOC	0x01
#define VMEM_FREE	0x02

/* vm_flag_t */
#define VM_SLEEP	0x00000001	/* may sleep until it succeeds */
#define VM_NOSLEEP	0x00000002	/* fail with ENOMEM instead */
#define VM_INSTANTFIT	0x00001000	/* constant-time fit */
#define VM_BESTFIT	0x00002000	/* space-efficient fit */
#define VM_BOOTSTRAP	0x00010000	/* create: fill the tag reserve now */
#define VM_POPULATING	0x00040000	/* internal: allocating tag memory */
#define VM_LARGEIMPORT	0x00080000	/* create: import 16x the request */
#define VM_XIMPORT	0x00100000	/* create: vmem_ximport_t importer */
#define VM_PRIVTAGS	0x00200000	/* create: only caller-supplied tags */

typedef int (vmem_import_t)(void *, vmem_size_t, vm_flag_t, vmem_addr_t *);
typedef void (vmem_release_t)(void *, vmem_addr_t, vmem_size_t);
typedef int (vmem_ximport_t)(void *, vmem_size_t, vmem_size_t *, vm_flag_t,
    vmem_addr_t *);

struct vmem_btag;

vmem_t	*vmem_create(const char *, vmem_addr_t, vmem_size_t, vmem_size_t,
	    vmem_import_t *, vmem_release_t *, void *, vmem_size_t,
	    vm_flag_t, int);
vmem_t	*vmem_xcreate(const char *, vmem_addr_t, vmem_size_t, vmem_size_t,
	    vmem_ximport_t *, vmem_release_t *, void *, vmem_size_t,
	    vm_flag_t, int);
vmem_t	*vmem_init(vmem_t *, const char *, vmem_addr_t, vmem_size_t,
	    vmem_size_t, vmem_import_t *, vmem_release_t *, void *,
	    vmem_size_t, vm_flag_t, int);
void	 vmem_destroy(vmem_t *);
int	 vmem_alloc(vmem_t *, vmem_size_t, vm_flag_t, vmem_addr_t *);
void	 vmem_free(vmem_t *, vmem_addr_t, vmem_size_t);
int	 vmem_xalloc(vmem_t *, vmem_size_t, vmem_size_t, vmem_size_t,
	    vmem_size_t, vmem_addr_t, vmem_addr_t, vm_flag_t, vmem_addr_t *);
int	 vmem_xalloc_addr(vmem_t *, vmem_addr_t, vmem_size_t, vm_flag_t);
void	 vmem_xfree(vmem_t *, vmem_addr_t, vmem_size_t);
void	 vmem_xfreeall(vmem_t *);
int	 vmem_add(vmem_t *, vmem_addr_t, vmem_size_t, vm_flag_t);
void	 vmem_add_bts(vmem_t *, struct vmem_btag *, unsigned int);
vmem_size_t vmem_roundup_size(vmem_t *, vmem_size_t);
vmem_size_t vmem_size(vmem_t *, int);

/* Debug output through the machine's print hook (DDB show vmem). */
void	 vmem_print(uintptr_t, const char *, void (*)(const char *, ...));
void	 vmem_printall(const char *, void (*)(const char *, ...));
void	 vmem_whatis(uintptr_t, void (*)(const char *, ...));
void	 vmem_dump(const vmem_t *, void (*)(const char *, ...));

/* Boot: the meta arenas over kmem_arena and the boundary-tag pool. */
void	 vmem_subsystem_init(vmem_t *);

/* The arenas every machine builds at boot (uvm_km_bootstrap). */
vmem_t	*nbm_kmem_arena(void);		/* "kmem" */
vmem_t	*nbm_kmem_va_arena(void);	/* "kva" */
vmem_t	*nbm_kmem_meta_arena(void);	/* "vmem-meta" */
vmem_t	*nbm_kmem_va_meta_arena(void);	/* "vmem-va" */
#define kmem_arena		nbm_kmem_arena()
#define kmem_va_arena		nbm_kmem_va_arena()
#define kmem_meta_arena		nbm_kmem_meta_arena()
#define kmem_va_meta_arena	nbm_kmem_va_meta_arena()

#endif /* NBMEM_VMEM_H */
