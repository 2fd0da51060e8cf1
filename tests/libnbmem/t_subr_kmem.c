/*
 * t_subr_kmem: kmem(9) -- size classes, the large path, context rules,
 * zero-size rules and the debug options KMEM_SIZE, KMEM_REDZONE and
 * KMEM_GUARD (subr_kmem.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"
#include "nbm_impl.h"

#include <nbmem/kmem.h>
#include <nbmem/pool.h>

static bool
pool_exists(struct nbm_machine *m, const char *name)
{
	struct pool_sysctl ps[256];
	size_t n, i;

	n = nbm_pool_sysctl(m, ps, 256);
	for (i = 0; i < n && i < 256; i++)
		if (strcmp(ps[i].pr_wchan, name) == 0)
			return true;
	return false;
}

/* The pool an allocation came from, through pool_whatis(). */
static const char *
whatis_pool(void *p, char *buf, size_t len)
{
	const char *s, *e;

	h_print_reset();
	pool_whatis((uintptr_t)p, nbm_print_pr);
	s = strstr(h_printed(), "in POOL '");
	if (s == NULL)
		return "";
	s += strlen("in POOL '");
	e = strchr(s, '\'');
	snprintf(buf, len, "%.*s", (int)(e - s), s);
	return buf;
}

static void
expect_class(size_t size, const char *name)
{
	char buf[32];
	void *p = kmem_alloc(size, KM_SLEEP);

	ATF_CHECK_MSG(strcmp(whatis_pool(p, buf, sizeof(buf)), name) == 0,
	    "kmem_alloc(%zu) from \"%s\", expected \"%s\"", size, buf, name);
	kmem_free(p, size);
}

ATF_TC_WITHOUT_HEAD(classes_amd64);
ATF_TC_BODY(classes_amd64, tc)
{
	struct nbm_machine *m = h_boot_opts_enter(0, 4096);
	static const char *const made[] = {
		"kmem-00008", "kmem-00016", "kmem-00032", "kmem-00064",
		"kmem-00128", "kmem-00192", "kmem-00256", "kmem-00320",
		"kmem-00384", "kmem-00448", "kmem-00512", "kmem-00768",
		"kmem-01024", "kmem-02048", "kmem-04096",
	};
	static const char *const skipped[] = {
		"kmem-00024", "kmem-00040", "kmem-00048", "kmem-00056",
		"kmem-00080", "kmem-00096", "kmem-00112", "kmem-00160",
		"kmem-00224", "kmem-08192",
	};
	size_t i;

	for (i = 0; i < __arraycount(made); i++)
		ATF_CHECK_MSG(pool_exists(m, made[i]), "%s missing", made[i]);
	for (i = 0; i < __arraycount(skipped); i++)
		ATF_CHECK_MSG(!pool_exists(m, skipped[i]), "%s exists",
		    skipped[i]);
	/* spec 3.3, non-DIAGNOSTIC column */
	expect_class(1, "kmem-00008");
	expect_class(8, "kmem-00008");
	expect_class(9, "kmem-00016");
	expect_class(17, "kmem-00032");
	expect_class(33, "kmem-00064");
	expect_class(57, "kmem-00064");
	expect_class(65, "kmem-00128");
	expect_class(129, "kmem-00192");
	expect_class(193, "kmem-00256");
	expect_class(769, "kmem-01024");
	expect_class(1024, "kmem-01024");
	expect_class(1025, "kmem-02048");
	expect_class(2049, "kmem-04096");
	expect_class(4096, "kmem-04096");
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(classes_diagnostic);
ATF_TC_BODY(classes_diagnostic, tc)
{
	struct nbm_machine *m = h_boot_opts_enter(NBM_OPT_DIAGNOSTIC, 4096);

	/* spec 3.3, DIAGNOSTIC column: KMEM_SIZE adds 8 bytes */
	expect_class(1, "kmem-00016");
	expect_class(9, "kmem-00032");
	expect_class(24, "kmem-00032");
	expect_class(25, "kmem-00064");
	expect_class(56, "kmem-00064");
	expect_class(57, "kmem-00128");
	expect_class(121, "kmem-00192");
	expect_class(184, "kmem-00192");
	expect_class(185, "kmem-00256");
	expect_class(1016, "kmem-01024");
	expect_class(1017, "kmem-02048");
	expect_class(2041, "kmem-04096");
	expect_class(4088, "kmem-04096");
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(classes_16k_pages);
ATF_TC_BODY(classes_16k_pages, tc)
{
	struct nbm_machine *m = h_boot_opts_enter(0, 16384);

	ATF_CHECK(pool_exists(m, "kmem-08192"));
	ATF_CHECK(pool_exists(m, "kmem-16384"));
	expect_class(5000, "kmem-08192");
	expect_class(16384, "kmem-16384");
	h_shutdown(m);
}

/*
 * Every size from 1 to one past the page, with and without the debug
 * options that add bytes: kmem_alloc serves it from the smallest class
 * that holds the rounded size plus the debug bytes (spec 3.3), or from no
 * kmem pool past the largest class; kmem_free gives it back to that same
 * cache (the next allocation of the size gets it again).  Without options
 * most of these take kmem's table fast path, with them the general one.
 */
static size_t
kmem_classes(struct nbm_machine *m, size_t *cls, size_t max)
{
	struct pool_sysctl ps[256];
	size_t n, i, k = 0, j, t;

	n = nbm_pool_sysctl(m, ps, 256);
	for (i = 0; i < n && i < 256 && k < max; i++)
		if (strncmp(ps[i].pr_wchan, "kmem-", 5) == 0)
			cls[k++] = strtoul(ps[i].pr_wchan + 5, NULL, 10);
	for (i = 1; i < k; i++)		/* sort */
		for (j = i; j > 0 && cls[j - 1] > cls[j]; j--) {
			t = cls[j];
			cls[j] = cls[j - 1];
			cls[j - 1] = t;
		}
	return k;
}

static void
check_every_size(u_int options, size_t pagesize)
{
	struct nbm_machine *m = h_boot_opts_enter(options, pagesize);
	size_t cls[64], ncls, size, allocsz, i;
	char want[32], buf[32];
	const char *from;
	void *p, *q;

	ncls = kmem_classes(m, cls, __arraycount(cls));
	ATF_REQUIRE(ncls > 0);
	for (size = 1; size <= pagesize + 1; size++) {
		allocsz = roundup2(size, 8);
		if (options & (NBM_OPT_KMEM_SIZE | NBM_OPT_DIAGNOSTIC))
			allocsz += sizeof(size_t);
		if ((options & NBM_OPT_KMEM_REDZONE) &&
		    roundup2(size, 8) - size < 2)
			allocsz += 8;
		for (i = 0; i < ncls && cls[i] < allocsz; i++)
			continue;
		p = kmem_alloc(size, KM_NOSLEEP);
		ATF_REQUIRE(p != NULL);
		from = whatis_pool(p, buf, sizeof(buf));
		kmem_free(p, size);
		if (i == ncls) {
			ATF_CHECK_MSG(strncmp(from, "kmem-", 5) != 0,
			    "options 0x%x: kmem_alloc(%zu) from \"%s\", "
			    "expected the large path", options, size, from);
			continue;
		}
		snprintf(want, sizeof(want), "kmem-%05zu", cls[i]);
		if (strcmp(from, want) != 0) {
			ATF_CHECK_MSG(false, "options 0x%x: kmem_alloc(%zu) "
			    "from \"%s\", expected \"%s\"", options, size,
			    from, want);
			break;
		}
		q = kmem_alloc(size, KM_NOSLEEP);
		ATF_CHECK_MSG(q == p, "kmem_free(%p, %zu) went elsewhere "
		    "(next allocation %p)", p, size, q);
		kmem_free(q, size);
	}
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(classes_every_size);
ATF_TC_BODY(classes_every_size, tc)
{

	check_every_size(0, 4096);
	check_every_size(NBM_OPT_KMEM_SIZE, 4096);
	check_every_size(NBM_OPT_KMEM_REDZONE, 4096);
	check_every_size(NBM_OPT_KMEM_SIZE | NBM_OPT_KMEM_REDZONE, 4096);
	check_every_size(0, 16384);
}

/*
 * Flags without KM_SLEEP or KM_NOSLEEP, or with both: a DIAGNOSTIC machine
 * panics (kmem's assertion catches neither flag, the pool cache's both);
 * any other carries on, as a kernel without DIAGNOSTIC would, and serves
 * the request.
 */
static void
alloc_no_flag(void *arg)
{

	*(void **)arg = kmem_alloc(64, 0);
}

static void
alloc_both_flags(void *arg)
{

	*(void **)arg = kmem_alloc(64, KM_SLEEP | KM_NOSLEEP);
}

ATF_TC_WITHOUT_HEAD(bad_flags);
ATF_TC_BODY(bad_flags, tc)
{
	struct nbm_machine *m;
	void *p = NULL;

	m = h_boot_opts_enter(NBM_OPT_DIAGNOSTIC, 4096);
	h_expect_panic(m, alloc_no_flag, &p, "kmem_intr_alloc: kmflags 0x0: "
	    "exactly one of KM_SLEEP and KM_NOSLEEP");
	h_shutdown(m);
	m = h_boot_opts_enter(NBM_OPT_DIAGNOSTIC, 4096);
	h_expect_panic(m, alloc_both_flags, &p, "kmem_intr_alloc: kmflags 0x3: "
	    "exactly one of KM_SLEEP and KM_NOSLEEP");
	h_shutdown(m);

	m = h_boot_opts_enter(0, 4096);
	p = NULL;
	ATF_CHECK_EQ(nbm_machine_try(m, alloc_no_flag, &p), 0);
	ATF_REQUIRE(p != NULL);
	kmem_free(p, 64);
	p = NULL;
	ATF_CHECK_EQ(nbm_machine_try(m, alloc_both_flags, &p), 0);
	ATF_REQUIRE(p != NULL);
	kmem_free(p, 64);
	ATF_CHECK(!nbm_machine_dead(m));
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(large_path);
ATF_TC_BODY(large_path, tc)
{
	struct nbm_machine *m = h_boot_opts_enter(0, 4096);
	struct nbm_kmem_stats ks0, ks;
	struct nbm_uvmexp ux0, ux;
	char buf[32];
	void *p;

	/*
	 * Once first, so that kva's quantum cache for 3 pages has its pool
	 * page, page header and cache group: then only the 3 pages count.
	 */
	kmem_free(kmem_alloc(10000, KM_SLEEP), 10000);
	nbm_kmem_getstats(&ks0);
	nbm_machine_uvmexp(m, &ux0);
	p = kmem_alloc(10000, KM_SLEEP);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ((uintptr_t)p % PAGE_SIZE, 0);
	memset(p, 0x11, 10000);
	/* In no kmem pool; its VA is an item of kva's quantum cache. */
	ATF_CHECK_STREQ(whatis_pool(p, buf, sizeof(buf)), "kva-12288");
	nbm_kmem_getstats(&ks);
	ATF_CHECK_EQ(ks.ks_nlarge_alloc - ks0.ks_nlarge_alloc, 1);
	ATF_CHECK_EQ(ks.ks_large_inuse - ks0.ks_large_inuse, 3 * 4096);
	nbm_machine_uvmexp(m, &ux);
	ATF_CHECK_EQ(ux.kmempages - ux0.kmempages, 3);
	kmem_free(p, 10000);
	nbm_kmem_getstats(&ks);
	ATF_CHECK_EQ(ks.ks_large_inuse, ks0.ks_large_inuse);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(zalloc_and_strings);
ATF_TC_BODY(zalloc_and_strings, tc)
{
	struct nbm_machine *m = h_boot_opts_enter(NBM_OPT_DIAGNOSTIC, 4096);
	char stackbuf[16], *s, *t;
	size_t len, i;
	unsigned char *z;
	void *b;

	z = kmem_alloc(100, KM_SLEEP);
	memset(z, 0xaa, 100);
	kmem_free(z, 100);
	z = kmem_zalloc(100, KM_SLEEP);
	for (i = 0; i < 100; i++)
		ATF_REQUIRE_EQ(z[i], 0);
	kmem_free(z, 100);
	s = kmem_asprintf("pool %s has %d items", "mbpl", 42);
	ATF_CHECK_STREQ(s, "pool mbpl has 42 items");
	kmem_strfree(s);
	s = kmem_strdupsize("hello", &len, KM_SLEEP);
	ATF_CHECK_STREQ(s, "hello");
	ATF_CHECK_EQ(len, 6);
	t = kmem_strndup("hello world", 5, KM_SLEEP);
	ATF_CHECK_STREQ(t, "hello");
	kmem_strfree(t);
	kmem_free(s, len);
	kmem_strfree(NULL);
	b = kmem_tmpbuf_alloc(8, stackbuf, sizeof(stackbuf), KM_SLEEP);
	ATF_CHECK(b == stackbuf);
	kmem_tmpbuf_free(b, 8, stackbuf);
	b = kmem_tmpbuf_alloc(64, stackbuf, sizeof(stackbuf), KM_SLEEP);
	ATF_CHECK(b != stackbuf);
	kmem_tmpbuf_free(b, 64, stackbuf);
	ATF_CHECK_EQ(kmem_roundup_size(1), 8);
	ATF_CHECK_EQ(kmem_roundup_size(17), 24);
	h_shutdown(m);
}

static void
alloc_in_intr(void *arg)
{

	(void)kmem_alloc(32, KM_NOSLEEP);
}

static void
alloc_from_intr(void *arg)
{

	nbm_cpu_interrupt(IPL_VM, false, alloc_in_intr, NULL);
}

static void
alloc_from_softintr(void *arg)
{

	nbm_cpu_interrupt(IPL_SOFTNET, true, alloc_in_intr, NULL);
}

static void
intr_alloc_ok(void *arg)
{
	void *p = kmem_intr_alloc(32, KM_NOSLEEP);

	*(int *)arg = p != NULL;
	kmem_intr_free(p, 32);
}

static void
alloc_zero(void *arg)
{

	(void)kmem_alloc(0, KM_SLEEP);
}

ATF_TC_WITHOUT_HEAD(context_rules);
ATF_TC_BODY(context_rules, tc)
{
	struct nbm_machine *m;
	int ok = 0;

	m = h_boot_opts_enter(0, 4096);
	ATF_REQUIRE_EQ(nbm_cpu_interrupt(IPL_VM, false, intr_alloc_ok, &ok),
	    0);
	ATF_CHECK_EQ(ok, 1);
	h_expect_panic(m, alloc_from_intr, NULL,
	    "kmem(9) should not be used from the interrupt context");
	ATF_CHECK(strstr(h_panicmsg(), "kernel diagnostic assertion "
	    "\"!cpu_intr_p() && !cpu_softintr_p()\" failed") != NULL);
	h_shutdown(m);
	m = h_boot_opts_enter(0, 4096);
	h_expect_panic(m, alloc_from_softintr, NULL,
	    "kmem(9) should not be used from the interrupt context");
	h_shutdown(m);
	m = h_boot_opts_enter(0, 4096);
	h_expect_panic(m, alloc_zero, NULL,
	    "kernel diagnostic assertion \"requested_size > 0\" failed");
	h_shutdown(m);
}

/* KMEM_SIZE: wrong-size free and double free panic with NetBSD's text. */
static void
wrong_size_free(void *arg)
{
	char *p = kmem_alloc(40, KM_SLEEP);

	*(char **)arg = p;
	kmem_free(p, 48);
}

static void
double_free(void *arg)
{
	char *p = kmem_alloc(40, KM_SLEEP);

	*(char **)arg = p;
	kmem_free(p, 40);
	kmem_free(p, 40);
}

ATF_TC_WITHOUT_HEAD(kmem_size_checks);
ATF_TC_BODY(kmem_size_checks, tc)
{
	struct nbm_machine *m;
	char expect[128], *p;

	m = h_boot_opts_enter(NBM_OPT_KMEM_SIZE, 4096);
	h_expect_panic(m, wrong_size_free, &p, "!= allocated size");
	snprintf(expect, sizeof(expect), "kmem_free(%p, 48) != allocated size",
	    (void *)p);
	ATF_CHECK(strstr(h_panicmsg(), expect) != NULL);
	ATF_CHECK(strstr(h_panicmsg(), "; overwrote?") != NULL);
	h_shutdown(m);

	m = h_boot_opts_enter(NBM_OPT_KMEM_SIZE, 4096);
	h_expect_panic(m, double_free, &p, "");
	snprintf(expect, sizeof(expect), "kmem_free(%p, 40) != allocated size "
	    "18446744073709551615; overwrote?", (void *)p);
	ATF_CHECK_STREQ(h_panicmsg(), expect);
	h_shutdown(m);

	/* Without the option nothing is checked. */
	m = h_boot_opts_enter(0, 4096);
	ATF_CHECK_EQ(nbm_machine_try(m, wrong_size_free, &p), 0);
	h_shutdown(m);
}

static void
overrun_redzone(void *arg)
{
	char *p = kmem_alloc(30, KM_SLEEP);

	p[30] = 'x';		/* one byte past the end */
	kmem_free(p, 30);
}

ATF_TC_WITHOUT_HEAD(kmem_redzone);
ATF_TC_BODY(kmem_redzone, tc)
{
	struct nbm_machine *m = h_boot_opts_enter(NBM_OPT_KMEM_REDZONE, 4096);
	char *p;

	p = kmem_alloc(30, KM_SLEEP);
	memset(p, 'a', 30);
	kmem_free(p, 30);
	h_expect_panic(m, overrun_redzone, NULL, "kmem_redzone_check: ");
	h_shutdown(m);
}

static void
guard_overrun(void *arg)
{
	char *p = kmem_alloc(100, KM_SLEEP);

	memset(p, 0, 100);
	*(char **)arg = p;
	p[100 + 8] = 1;		/* past the end: the guard page */
}

static void
guard_use_after_free(void *arg)
{
	char *p = kmem_alloc(100, KM_SLEEP);

	*(char **)arg = p;
	kmem_free(p, 100);
	p[10] = 1;
}

ATF_TC_WITHOUT_HEAD(kmem_guard);
ATF_TC_BODY(kmem_guard, tc)
{
	struct nbm_machine *m;
	struct nbm_kmem_stats ks;
	char expect[64], *p;
	int i;

	m = h_boot_opts_enter(NBM_OPT_KMEM_GUARD, 4096);
	/* Allocations end against their guard page. */
	p = kmem_alloc(100, KM_SLEEP);
	ATF_CHECK_EQ(((uintptr_t)p + 100 + 7) % PAGE_SIZE / 8, 0);
	memset(p, 1, 100);
	kmem_free(p, 100);
	for (i = 0; i < 10; i++)
		kmem_free(kmem_alloc(5000, KM_SLEEP), 5000);
	nbm_kmem_getstats(&ks);
	ATF_CHECK_EQ(ks.ks_nguard_alloc, 11);
	ATF_CHECK_EQ(ks.ks_nguard_free, 11);
	ATF_CHECK_EQ(ks.ks_guard_quarantine, 2 + 10 * 3);
	h_expect_panic(m, guard_overrun, &p, "fatal page fault");
	snprintf(expect, sizeof(expect), "cr2 0x%lx",
	    (unsigned long)(p + 108));
	ATF_CHECK(strstr(h_panicmsg(), expect) != NULL);
	h_shutdown(m);

	m = h_boot_opts_enter(NBM_OPT_KMEM_GUARD, 4096);
	h_expect_panic(m, guard_use_after_free, &p, "fatal page fault");
	snprintf(expect, sizeof(expect), "cr2 0x%lx", (unsigned long)(p + 10));
	ATF_CHECK(strstr(h_panicmsg(), expect) != NULL);
	h_shutdown(m);
}

/* KM_NOSLEEP fails when memory runs out; nothing leaks. */
ATF_TC_WITHOUT_HEAD(nosleep_exhaustion);
ATF_TC_BODY(nosleep_exhaustion, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	void **v;
	size_t n = 0, i;

	h_config(&cfg);
	cfg.physmem = 8ULL << 20;
	m = h_boot(&cfg);
	nbm_cpu_enter(m, 0);
	v = calloc(4096, sizeof(*v));
	while (n < 4096 && (v[n] = kmem_alloc(8192, KM_NOSLEEP)) != NULL)
		n++;
	ATF_CHECK(n > 100 && n < 1024);
	for (i = 0; i < n; i++)
		kmem_free(v[i], 8192);
	free(v);
	h_shutdown(m);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, classes_amd64);
	ATF_TP_ADD_TC(tp, classes_diagnostic);
	ATF_TP_ADD_TC(tp, classes_16k_pages);
	ATF_TP_ADD_TC(tp, classes_every_size);
	ATF_TP_ADD_TC(tp, bad_flags);
	ATF_TP_ADD_TC(tp, large_path);
	ATF_TP_ADD_TC(tp, zalloc_and_strings);
	ATF_TP_ADD_TC(tp, context_rules);
	ATF_TP_ADD_TC(tp, kmem_size_checks);
	ATF_TP_ADD_TC(tp, kmem_redzone);
	ATF_TP_ADD_TC(tp, kmem_guard);
	ATF_TP_ADD_TC(tp, nosleep_exhaustion);
	return atf_no_error();
}
