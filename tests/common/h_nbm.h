/*
 * h_nbm.h: helpers shared by the libnbmem ATF test programs.
 *
 * h_boot() boots a machine with a panic hook that records the message (so
 * that panics can be asserted through nbm_machine_try()) and a print hook
 * that collects everything the machine prints.  h_seed() gives the seed of
 * a randomized test: NBM_TEST_SEED from the environment, or a fixed
 * default; it is printed so that a failure can be replayed.
 */
#ifndef H_NBM_H
#define H_NBM_H

#include <atf-c.h>

#include <nbmem/nbmem.h>

/* Fill cfg with nbm_config_init() defaults, scaled down for tests. */
void	h_config(struct nbm_config *cfg);

/* Boot (ATF_REQUIRE on failure), install the recording hooks. */
struct nbm_machine *h_boot(const struct nbm_config *cfg);

/* Boot with h_config() defaults and enter cpu0. */
struct nbm_machine *h_boot_enter(void);

/* Boot with h_config() defaults changed to the given mode, CPUs, seed. */
struct nbm_machine *h_boot_mode(int mode, u_int ncpu, uint64_t seed);

/* Boot with the given debug options and page size, and enter cpu0. */
struct nbm_machine *h_boot_opts_enter(u_int options, size_t pagesize);

/* Leave the CPU (if on one) and shut the machine down. */
void	h_shutdown(struct nbm_machine *);

/* The last panic message recorded by the hook, or "". */
const char *h_panicmsg(void);

/* Everything the machine printed since the last h_print_reset(). */
const char *h_printed(void);
void	h_print_reset(void);

/*
 * h_try_panics: run fn(arg); require that it panics and that the message
 * contains `expect'.
 */
void	h_expect_panic(struct nbm_machine *, void (*fn)(void *), void *arg,
	    const char *expect);

/* Seed for randomized tests (NBM_TEST_SEED or dflt); printed. */
uint64_t h_seed(uint64_t dflt);

/* Deterministic PRNG for tests. */
uint64_t h_rand(uint64_t *state);

#endif /* H_NBM_H */
