/*
 * nbm-boot: boot a simulated machine and print what it booted with: the
 * machine, its physical memory, its vmem arenas and its I/O extents.
 *
 *	nbm-boot [-c ncpu] [-p page_size] [-m physmem_mib]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nbmem/nbmem.h>

static unsigned long
number(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || *end != '\0' || end == s || v > max) {
		fprintf(stderr, "nbm-boot: %s \"%s\": must be a number up to "
		    "%lu\n", what, s, max);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	struct nbm_uvmexp ux;
	const struct nbm_config *c;
	struct nbm_stats *st;
	int ch, error;
	u_int i;

	nbm_config_init(&cfg);
	while ((ch = getopt(argc, argv, "c:p:m:")) != -1) {
		switch (ch) {
		case 'c':
			cfg.ncpu = (u_int)number(optarg, "-c ncpu", 1024);
			break;
		case 'p':
			cfg.page_size = number(optarg, "-p page_size", 1 << 20);
			break;
		case 'm':
			cfg.physmem = (uint64_t)number(optarg,
			    "-m physmem_mib", 1 << 20) << 20;
			break;
		default:
			fprintf(stderr, "usage: nbm-boot [-c ncpu] "
			    "[-p page_size] [-m physmem_mib]\n");
			return 2;
		}
	}
	if ((error = nbm_machine_boot(&cfg, &m)) != 0) {
		fprintf(stderr, "nbm-boot: %s\n", nbm_boot_error());
		return 1;
	}
	c = nbm_machine_config(m);
	nbm_machine_uvmexp(m, &ux);
	printf("machine: %u CPUs, %zu-byte pages, %" PRIu64 " MiB RAM\n",
	    c->ncpu, c->page_size, c->physmem >> 20);
	printf("physical pages: %" PRIu64 " total, %" PRIu64 " free, %" PRIu64
	    " wired; page daemon wakes below %" PRIu64 " free\n", ux.npages,
	    ux.free, ux.wired, ux.freemin);
	printf("memory map:\n");
	for (i = 0; i < c->nmemmap; i++)
		printf("  0x%012" PRIx64 "-0x%012" PRIx64 " %s\n",
		    c->memmap[i].r_start,
		    c->memmap[i].r_start + c->memmap[i].r_size - 1,
		    c->memmap[i].r_name);
	if ((error = nbm_stats_snapshot(m, &st)) != 0) {
		fprintf(stderr, "nbm-boot: snapshot: %s\n", strerror(error));
		nbm_machine_shutdown(m);
		return 1;
	}
	printf("\nvmem arenas:\n");
	printf("  %-12s %8s %14s %14s %8s %6s %9s\n", "name", "quantum",
	    "size", "inuse", "segments", "spans", "qcache");
	for (i = 0; i < st->st_nvmem; i++) {
		const struct nbm_vmem_stats *vs = &st->st_vmem[i];

		printf("  %-12s %8" PRIu64 " %14" PRIu64 " %14" PRIu64
		    " %8" PRIu64 " %6" PRIu64 " %9" PRIu64 "\n", vs->vs_name,
		    vs->vs_quantum, vs->vs_size, vs->vs_inuse,
		    vs->vs_nbusytag, vs->vs_nspans, vs->vs_qcache_max);
	}
	if (st->st_nextent > 0) {
		printf("\nI/O extents:\n");
		printf("  %-8s %-33s %8s %14s\n", "name", "range", "regions",
		    "allocated");
		for (i = 0; i < st->st_nextent; i++) {
			const struct nbm_extent_stats *es = &st->st_extent[i];
			char range[40];

			snprintf(range, sizeof(range), "0x%" PRIx64 "-0x%"
			    PRIx64, es->es_start, es->es_end);
			printf("  %-8s %-33s %8" PRIu64 " %14" PRIu64 "\n",
			    es->es_name, range, es->es_nregions,
			    es->es_allocated);
		}
	}
	nbm_stats_free(st);
	nbm_machine_shutdown(m);
	return 0;
}
