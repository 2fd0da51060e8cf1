/*
 * nbmem/uvm_km.h: uvm_km(9), the kernel virtual memory allocator, and the
 * pmap(9) calls that map simulated physical pages into kernel VA.
 *
 * uvm_km_alloc() hands out page-aligned ranges of kernel_map, backed by
 * wired pages (UVM_KMF_WIRED), by zero-fill pages on first touch
 * (UVM_KMF_PAGEABLE) or by nothing (UVM_KMF_VAONLY, the caller maps pages).
 * uvm_km_kmem_alloc() is the import path of the kmem arenas: VA from a vmem
 * arena plus wired pages, or a single direct-mapped page on machines with a
 * direct map (amd64's PMAP_MAP_POOLPAGE).
 *
 * Every mapped address is real host memory the caller can write through;
 * touching an unmapped kernel address is a simulated page fault.
 * Names, flags and values are NetBSD's (sys/uvm/uvm_extern.h,
 * sys/uvm/uvm_km.c 1.165).
 */
#ifndef NBMEM_UVM_KM_H
#define NBMEM_UVM_KM_H

#include <nbmem/types.h>
#include <nbmem/vmem.h>

struct vm_map;

#define UVM_KMF_WIRED		0x1		/* wired pages now */
#define UVM_KMF_PAGEABLE	0x2		/* zero-fill on demand */
#define UVM_KMF_VAONLY		0x4		/* VA only */
#define UVM_KMF_TYPEMASK	(UVM_KMF_VAONLY | UVM_KMF_PAGEABLE | UVM_KMF_WIRED)
#define UVM_KMF_CANFAIL		0x8		/* fail instead of waiting */
#define UVM_KMF_ZERO		0x10		/* zero-filled pages */
#define UVM_KMF_EXEC		0x20		/* executable mapping */
#define UVM_KMF_TRYLOCK		0x00200000	/* UVM_FLAG_TRYLOCK */
#define UVM_KMF_NOWAIT		0x00400000	/* UVM_FLAG_NOWAIT */
#define UVM_KMF_WAITVA		0x00800000	/* UVM_FLAG_WAITVA */
#define UVM_KMF_COLORMATCH	0x04000000	/* UVM_FLAG_COLORMATCH */

#define UVM_PGA_USERESERVE	0x0001		/* may use the reserve */
#define UVM_PGA_ZERO		0x0002		/* zero the page */

/* vm_prot_t */
typedef int vm_prot_t;
#define VM_PROT_NONE		0x00
#define VM_PROT_READ		0x01
#define VM_PROT_WRITE		0x02
#define VM_PROT_EXECUTE		0x04
#define VM_PROT_ALL		(VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE)

/* pmap_kenter_pa flags */
#define PMAP_NOCACHE		0x00000100
#define PMAP_WRITE_COMBINE	0x00000400
#define PMAP_KMPAGE		0x00040000
#define PMAP_WIRED		0x00000010

struct vm_map *nbm_kernel_map(void);
#define kernel_map	nbm_kernel_map()

vaddr_t	uvm_km_alloc(struct vm_map *, vsize_t, vsize_t, uvm_flag_t);
void	uvm_km_free(struct vm_map *, vaddr_t, vsize_t, uvm_flag_t);
int	uvm_km_kmem_alloc(vmem_t *, vmem_size_t, vm_flag_t, vmem_addr_t *);
void	uvm_km_kmem_free(vmem_t *, vmem_addr_t, vmem_size_t);
bool	uvm_km_va_starved_p(void);

void	pmap_kenter_pa(vaddr_t, paddr_t, vm_prot_t, u_int);
void	pmap_kremove(vaddr_t, vsize_t);
bool	pmap_extract(void *, vaddr_t, paddr_t *);
void	pmap_update(void *);
#define pmap_kernel()	((void *)0)

#endif /* NBMEM_UVM_KM_H */
