/*
 * h_nbm.c: helpers shared by the libnbmem ATF test programs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"

static char h_panicbuf[2048];
/*
 * The machine prints from interrupt handlers too, in signal context in
 * parallel mode: the hook only copies into static storage.
 */
static char h_printbuf[4 << 20];
static size_t h_printlen;

static void
h_panic_hook(struct nbm_machine *m, const char *msg, void *arg)
{

	(void)m;
	(void)arg;
	snprintf(h_panicbuf, sizeof(h_panicbuf), "%s", msg);
}

static void
h_print_hook(struct nbm_machine *m, const char *text, void *arg)
{
	size_t len = strlen(text);

	(void)m;
	(void)arg;
	if (h_printlen + len + 1 > sizeof(h_printbuf))
		len = sizeof(h_printbuf) - h_printlen - 1;
	memcpy(h_printbuf + h_printlen, text, len);
	h_printlen += len;
	h_printbuf[h_printlen] = '\0';
}

void
h_config(struct nbm_config *cfg)
{

	nbm_config_init(cfg);
	cfg->ncpu = 2;
	cfg->physmem = 64ULL << 20;
}

struct nbm_machine *
h_boot(const struct nbm_config *cfg)
{
	struct nbm_machine *m;
	int error;

	error = nbm_machine_boot(cfg, &m);
	ATF_REQUIRE_MSG(error == 0, "boot failed: %s (%s)", strerror(error),
	    nbm_boot_error());
	nbm_machine_set_panic_hook(m, h_panic_hook, NULL);
	nbm_machine_set_print_hook(m, h_print_hook, NULL);
	h_panicbuf[0] = '\0';
	h_print_reset();
	return m;
}

struct nbm_machine *
h_boot_enter(void)
{
	struct nbm_config cfg;
	struct nbm_machine *m;

	h_config(&cfg);
	m = h_boot(&cfg);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	return m;
}

struct nbm_machine *
h_boot_mode(int mode, u_int ncpu, uint64_t seed)
{
	struct nbm_config cfg;

	h_config(&cfg);
	cfg.mode = mode;
	cfg.ncpu = ncpu;
	cfg.seed = seed;
	return h_boot(&cfg);
}

struct nbm_machine *
h_boot_opts_enter(u_int options, size_t pagesize)
{
	struct nbm_config cfg;
	struct nbm_machine *m;

	h_config(&cfg);
	cfg.options = options;
	cfg.page_size = pagesize;
	m = h_boot(&cfg);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	return m;
}

void
h_shutdown(struct nbm_machine *m)
{

	if (nbm_curmachine() != NULL)
		nbm_cpu_exit();
	nbm_machine_shutdown(m);
}

const char *
h_panicmsg(void)
{

	return h_panicbuf;
}

const char *
h_printed(void)
{

	return h_printbuf;
}

void
h_print_reset(void)
{

	h_printlen = 0;
	h_printbuf[0] = '\0';
}

void
h_expect_panic(struct nbm_machine *m, void (*fn)(void *), void *arg,
    const char *expect)
{
	int error;

	h_panicbuf[0] = '\0';
	error = nbm_machine_try(m, fn, arg);
	ATF_REQUIRE_MSG(error == ENOTRECOVERABLE,
	    "expected a panic containing \"%s\", but the call returned",
	    expect);
	ATF_REQUIRE_MSG(strstr(h_panicbuf, expect) != NULL,
	    "panic message \"%s\" does not contain \"%s\"", h_panicbuf,
	    expect);
}

uint64_t
h_seed(uint64_t dflt)
{
	const char *s = getenv("NBM_TEST_SEED");
	uint64_t seed = dflt;

	if (s != NULL && *s != '\0')
		seed = strtoull(s, NULL, 0);
	printf("seed %" PRIu64 " (set NBM_TEST_SEED to replay)\n", seed);
	return seed;
}

uint64_t
h_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
