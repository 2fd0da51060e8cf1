/*
 * nbmem/types.h: the NetBSD kernel scalar types the allocator API uses.
 *
 * Kernel code written against NetBSD's headers uses vaddr_t, vsize_t,
 * paddr_t, u_long and friends.  They are defined here with the widths of an
 * LP64 NetBSD port (amd64), so that code compiles against nbmem unchanged.
 * Everything is plain C11 <stdint.h>/<stddef.h>; nothing depends on BSD or
 * GNU extensions of the host libc.
 */
#ifndef NBMEM_TYPES_H
#define NBMEM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef uintptr_t	vaddr_t;	/* kernel virtual address */
typedef uintptr_t	vsize_t;	/* size of a virtual range */
typedef uint64_t	paddr_t;	/* simulated physical address */
typedef uint64_t	psize_t;	/* size of a physical range */
typedef unsigned int	uvm_flag_t;	/* UVM_KMF_* */
typedef unsigned int	km_flag_t;	/* KM_SLEEP / KM_NOSLEEP */

#ifndef __u_char_defined
typedef unsigned char	u_char;
typedef unsigned short	u_short;
typedef unsigned int	u_int;
typedef unsigned long	u_long;
#define __u_char_defined
#endif

#endif /* NBMEM_TYPES_H */
