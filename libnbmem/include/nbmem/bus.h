/*
 * nbmem/bus.h: bus_space(9) mapping of simulated I/O port and I/O memory
 * space, on the x86 model (sys/arch/x86/x86/bus_space.c 1.47).
 *
 * Two fixed, non-coalescing extents track what is reserved: ioport_ex over
 * ports 0..0xffff and iomem_ex over 0..MAXIOMEM, with RAM and firmware
 * ranges reserved at boot.  bus_space_map() reserves the exact range
 * (EAGAIN if any of it is taken) and maps it: the handle of an I/O port
 * range is the port number, a range inside the ISA hole gets the fixed ISA
 * window, and other memory gets fresh kernel VA with the pages mapped.
 */
#ifndef NBMEM_BUS_H
#define NBMEM_BUS_H

#include <nbmem/types.h>

struct bus_space_tag;
struct extent;

typedef const struct bus_space_tag *bus_space_tag_t;
typedef uint64_t	bus_addr_t;
typedef uint64_t	bus_size_t;
typedef vaddr_t		bus_space_handle_t;

#define BUS_SPACE_MAP_CACHEABLE		0x01
#define BUS_SPACE_MAP_LINEAR		0x02
#define BUS_SPACE_MAP_PREFETCHABLE	0x04

#define X86_BUS_SPACE_IO	0	/* bst_type of the I/O port tag */
#define X86_BUS_SPACE_MEM	1	/* bst_type of the memory tag */

bus_space_tag_t nbm_bus_space_io(void);
bus_space_tag_t nbm_bus_space_mem(void);
#define x86_bus_space_io	nbm_bus_space_io()
#define x86_bus_space_mem	nbm_bus_space_mem()

struct extent *nbm_ioport_ex(void);
struct extent *nbm_iomem_ex(void);
#define ioport_ex	nbm_ioport_ex()
#define iomem_ex	nbm_iomem_ex()

int	bus_space_map(bus_space_tag_t, bus_addr_t, bus_size_t, int,
	    bus_space_handle_t *);
void	bus_space_unmap(bus_space_tag_t, bus_space_handle_t, bus_size_t);
int	bus_space_alloc(bus_space_tag_t, bus_addr_t, bus_addr_t, bus_size_t,
	    bus_size_t, bus_size_t, int, bus_addr_t *, bus_space_handle_t *);
void	bus_space_free(bus_space_tag_t, bus_space_handle_t, bus_size_t);
int	bus_space_subregion(bus_space_tag_t, bus_space_handle_t, bus_size_t,
	    bus_size_t, bus_space_handle_t *);

#endif /* NBMEM_BUS_H */
