/*
 * t_subr_stats: the statistics records and their field tables (stats.h,
 * subr_stats.c): the layout of struct pool_sysctl, the tables against the
 * structs they describe, the value helpers, and the kern.pool record
 * invariants of nbm_pool_sysctl_check().
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"
#include "nbm_impl.h"

/* An expected table entry, written out by hand from the struct. */
struct expect {
	const char	*e_name;
	size_t		 e_offset;
	size_t		 e_size;
};
#define E(T, m, n)	{ n, offsetof(T, m), sizeof(((T *)0)->m) }

/*
 * check_table: the table has exactly the expected entries, in order, and
 * together they tile the whole record, with no gap and no overlap, so
 * that a member left out of a list shows up here.
 */
static void
check_table(const char *what, const struct nbm_stat_field *f, size_t nf,
    const struct expect *e, size_t ne, size_t recsize)
{
	size_t i, j, end;

	ATF_CHECK_EQ_MSG(nf, ne, "%s: %zu fields, expected %zu", what, nf,
	    ne);
	for (i = 0; i < nf && i < ne; i++) {
		ATF_CHECK_STREQ_MSG(f[i].sf_name, e[i].e_name,
		    "%s: field %zu is %s, expected %s", what, i, f[i].sf_name,
		    e[i].e_name);
		ATF_CHECK_EQ_MSG(f[i].sf_offset, e[i].e_offset,
		    "%s.%s: offset %zu, expected %zu", what, e[i].e_name,
		    f[i].sf_offset, e[i].e_offset);
		ATF_CHECK_EQ_MSG(f[i].sf_size, e[i].e_size,
		    "%s.%s: size %zu, expected %zu", what, e[i].e_name,
		    f[i].sf_size, e[i].e_size);
	}
	/* Fields are in member order and tile the record: no padding. */
	end = 0;
	for (i = 0; i < nf; i++) {
		ATF_CHECK_EQ_MSG(f[i].sf_offset, end,
		    "%s: %s at %zu, previous field ends at %zu", what,
		    f[i].sf_name, f[i].sf_offset, end);
		end = f[i].sf_offset + f[i].sf_size;
	}
	ATF_CHECK_EQ_MSG(end, recsize,
	    "%s: fields end at %zu, record is %zu bytes", what, end, recsize);

	for (i = 0; i < nf; i++) {
		ATF_CHECK_MSG(f[i].sf_kind <= NBM_STAT_LABEL, "%s.%s: kind %u",
		    what, f[i].sf_name, f[i].sf_kind);
		ATF_CHECK_MSG(f[i].sf_type <= NBM_STAT_STR, "%s.%s: type %u",
		    what, f[i].sf_name, f[i].sf_type);
		ATF_CHECK_MSG(f[i].sf_descr != NULL && f[i].sf_descr[0] != '\0',
		    "%s.%s: no description", what, f[i].sf_name);
		ATF_CHECK_MSG(f[i].sf_unit != NULL &&
		    (strcmp(f[i].sf_unit, "") == 0 ||
		    strcmp(f[i].sf_unit, "bytes") == 0 ||
		    strcmp(f[i].sf_unit, "items") == 0 ||
		    strcmp(f[i].sf_unit, "pages") == 0 ||
		    strcmp(f[i].sf_unit, "groups") == 0 ||
		    strcmp(f[i].sf_unit, "ns") == 0 ||
		    strcmp(f[i].sf_unit, "flags") == 0),
		    "%s.%s: unit \"%s\"", what, f[i].sf_name, f[i].sf_unit);
		/* Strings are labels; numbers have the width of their type. */
		switch (f[i].sf_type) {
		case NBM_STAT_STR:
			ATF_CHECK_EQ(f[i].sf_kind, NBM_STAT_LABEL);
			break;
		case NBM_STAT_U64:
		case NBM_STAT_I64:
			ATF_CHECK_EQ(f[i].sf_size, 8);
			break;
		case NBM_STAT_U64V:
			ATF_CHECK_EQ(f[i].sf_size, 8 * NBM_STAT_VEC_LEN);
			break;
		}
		for (j = 0; j < i; j++)
			ATF_CHECK_MSG(strcmp(f[i].sf_name, f[j].sf_name) != 0,
			    "%s: %s twice", what, f[i].sf_name);
	}
}

ATF_TC_WITHOUT_HEAD(pool_sysctl_layout);
ATF_TC_BODY(pool_sysctl_layout, tc)
{
	/* NetBSD's struct pool_sysctl, sys/sys/pool.h (spec 4.1). */
	static const char *const order[] = {
		"flags", "size", "pagesize", "itemsperpage", "nitems", "nout",
		"hardlimit", "npages", "minpages", "maxpages", "nget", "nfail",
		"nput", "npagealloc", "npagefree", "hiwat", "nidle",
		"cache_meta_size", "cache_nfull", "cache_npartial",
		"cache_nempty", "cache_ncontended", "cache_nmiss_global",
		"cache_nhit_global", "cache_nmiss_pcpu", "cache_nhit_pcpu",
	};
	size_t i;

	ATF_CHECK_EQ(sizeof(struct pool_sysctl), 224);
	ATF_CHECK_EQ(offsetof(struct pool_sysctl, pr_wchan), 0);
	ATF_CHECK_EQ(sizeof(((struct pool_sysctl *)0)->pr_wchan), 16);
	ATF_CHECK_EQ(offsetof(struct pool_sysctl, pr_flags), 16);
	ATF_CHECK_EQ(offsetof(struct pool_sysctl, pr_nget), 16 + 10 * 8);
	ATF_CHECK_EQ(offsetof(struct pool_sysctl, pr_cache_nhit_pcpu),
	    224 - 8);
	ATF_CHECK_EQ(0 NBM_POOL_FIELDS(NBM_STAT_COUNT), 26);
	ATF_REQUIRE_EQ(nbm_pool_nfields, 27);
	ATF_CHECK_STREQ(nbm_pool_fields[0].sf_name, "wchan");
	for (i = 0; i < __arraycount(order); i++) {
		ATF_CHECK_STREQ(nbm_pool_fields[i + 1].sf_name, order[i]);
		ATF_CHECK_EQ(nbm_pool_fields[i + 1].sf_offset, 16 + 8 * i);
		ATF_CHECK_EQ(nbm_pool_fields[i + 1].sf_type, NBM_STAT_U64);
	}
}

ATF_TC_WITHOUT_HEAD(field_tables);
ATF_TC_BODY(field_tables, tc)
{
#define P(m)	E(struct pool_sysctl, pr_##m, #m)
	static const struct expect pool[] = {
		E(struct pool_sysctl, pr_wchan, "wchan"),
		P(flags), P(size), P(pagesize), P(itemsperpage), P(nitems),
		P(nout), P(hardlimit), P(npages), P(minpages), P(maxpages),
		P(nget), P(nfail), P(nput), P(npagealloc), P(npagefree),
		P(hiwat), P(nidle), P(cache_meta_size), P(cache_nfull),
		P(cache_npartial), P(cache_nempty), P(cache_ncontended),
		P(cache_nmiss_global), P(cache_nhit_global),
		P(cache_nmiss_pcpu), P(cache_nhit_pcpu),
	};
#undef P
#define C(m)	E(struct nbm_cachecpu_stats, cc_##m, #m)
	static const struct expect cachecpu[] = {
		E(struct nbm_cachecpu_stats, cc_wchan, "wchan"),
		C(cpu), C(hits), C(misses), C(pcmisses), C(contended),
		C(nfull), C(npart),
	};
#undef C
#define V(m)	E(struct nbm_vmem_stats, vs_##m, #m)
	static const struct expect vmem[] = {
		E(struct nbm_vmem_stats, vs_name, "name"),
		V(quantum), V(qcache_max), V(size), V(inuse), V(free),
		V(nbusytag), V(maxbusytag), V(nfreetags), V(nspans),
		V(nimported), V(nsegs_free), V(largest_free), V(freelist),
	};
#undef V
#define X(m)	E(struct nbm_extent_stats, es_##m, #m)
	static const struct expect extent[] = {
		E(struct nbm_extent_stats, es_name, "name"),
		X(start), X(end), X(flags), X(nregions), X(allocated),
		X(largest_free),
	};
#undef X
#define M(m)	E(struct nbm_machine_stats, ms_##m, #m)
	static const struct expect machine[] = {
		M(ncpu), M(pagesize), M(npages), M(free), M(wired),
		M(kmempages), M(kmapwired), M(pageable), M(freemin),
		M(freetarg), M(pdwoke), M(pdfreed), M(faults), M(uptime_ns),
		M(interrupts),
	};
#undef M

	check_table("pool", nbm_pool_fields, nbm_pool_nfields, pool,
	    __arraycount(pool), sizeof(struct pool_sysctl));
	check_table("cachecpu", nbm_cachecpu_fields, nbm_cachecpu_nfields,
	    cachecpu, __arraycount(cachecpu),
	    sizeof(struct nbm_cachecpu_stats));
	check_table("vmem", nbm_vmem_fields, nbm_vmem_nfields, vmem,
	    __arraycount(vmem), sizeof(struct nbm_vmem_stats));
	check_table("extent", nbm_extent_fields, nbm_extent_nfields, extent,
	    __arraycount(extent), sizeof(struct nbm_extent_stats));
	check_table("machine", nbm_machine_fields, nbm_machine_nfields,
	    machine, __arraycount(machine), sizeof(struct nbm_machine_stats));

	/* Counts agree with the lists they come from. */
	ATF_CHECK_EQ(nbm_cachecpu_nfields,
	    1 + (0 NBM_CACHECPU_FIELDS(NBM_STAT_COUNT)));
	ATF_CHECK_EQ(nbm_vmem_nfields, 1 + (0 NBM_VMEM_FIELDS(NBM_STAT_COUNT)));
	ATF_CHECK_EQ(nbm_extent_nfields,
	    1 + (0 NBM_EXTENT_FIELDS(NBM_STAT_COUNT)));
	ATF_CHECK_EQ(nbm_machine_nfields,
	    0 NBM_MACHINE_FIELDS(NBM_STAT_COUNT));
}

ATF_TC_WITHOUT_HEAD(field_kinds);
ATF_TC_BODY(field_kinds, tc)
{
	/* A few kinds, types and units that consumers rely on. */
	ATF_CHECK_EQ(nbm_pool_fields[0].sf_kind, NBM_STAT_LABEL);
	ATF_CHECK_EQ(nbm_pool_fields[0].sf_type, NBM_STAT_STR);
	ATF_CHECK_STREQ(nbm_pool_fields[1].sf_unit, "flags");
	ATF_CHECK_EQ(nbm_pool_fields[11].sf_kind, NBM_STAT_COUNTER); /* nget */
	ATF_CHECK_EQ(nbm_pool_fields[6].sf_kind, NBM_STAT_GAUGE); /* nout */
	ATF_CHECK_EQ(nbm_cachecpu_fields[1].sf_kind, NBM_STAT_LABEL); /* cpu */
	ATF_CHECK_EQ(nbm_cachecpu_fields[6].sf_type, NBM_STAT_I64); /* nfull */
	ATF_CHECK_EQ(nbm_cachecpu_fields[7].sf_type, NBM_STAT_I64); /* npart */
	ATF_CHECK_EQ(nbm_vmem_fields[13].sf_type, NBM_STAT_U64V);
	ATF_CHECK_STREQ(nbm_machine_fields[13].sf_name, "uptime_ns");
	ATF_CHECK_STREQ(nbm_machine_fields[13].sf_unit, "ns");
}

ATF_TC_WITHOUT_HEAD(records);
ATF_TC_BODY(records, tc)
{
	static const char *const names[] = {
		"pool", "cachecpu", "vmem", "extent", "machine",
	};
	size_t i;

	ATF_REQUIRE_EQ(nbm_stat_nrecords, __arraycount(names));
	for (i = 0; i < nbm_stat_nrecords; i++)
		ATF_CHECK_STREQ(nbm_stat_records[i].sr_name, names[i]);
	ATF_CHECK(nbm_stat_records[0].sr_fields == nbm_pool_fields);
	ATF_CHECK_EQ(nbm_stat_records[0].sr_nfields, nbm_pool_nfields);
	ATF_CHECK_EQ(nbm_stat_records[0].sr_size, 224);
	ATF_CHECK(nbm_stat_records[1].sr_fields == nbm_cachecpu_fields);
	ATF_CHECK_EQ(nbm_stat_records[1].sr_size,
	    sizeof(struct nbm_cachecpu_stats));
	ATF_CHECK(nbm_stat_records[2].sr_fields == nbm_vmem_fields);
	ATF_CHECK_EQ(nbm_stat_records[2].sr_nfields, nbm_vmem_nfields);
	ATF_CHECK(nbm_stat_records[3].sr_fields == nbm_extent_fields);
	ATF_CHECK(nbm_stat_records[4].sr_fields == nbm_machine_fields);
	ATF_CHECK_EQ(nbm_stat_records[4].sr_size,
	    sizeof(struct nbm_machine_stats));

	/* The snapshot header starts with its size and version. */
	ATF_CHECK_EQ(offsetof(struct nbm_stats, st_size), 0);
	ATF_CHECK_EQ(offsetof(struct nbm_stats, st_version), sizeof(size_t));
	ATF_CHECK(NBM_STATS_VERSION >= 1);
}

static const struct nbm_stat_field *
field(const struct nbm_stat_field *t, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].sf_name, name) == 0)
			return &t[i];
	atf_tc_fail("no field %s", name);
	return NULL;
}

ATF_TC_WITHOUT_HEAD(values);
ATF_TC_BODY(values, tc)
{
	struct pool_sysctl pr;
	struct nbm_cachecpu_stats cc;
	struct nbm_vmem_stats vs;
	unsigned char raw[sizeof(pr) + 1];
	const struct nbm_stat_field *f;
	char buf[64], small[4];
	size_t i;

	memset(&pr, 0, sizeof(pr));
	memcpy(pr.pr_wchan, "kmem-00016", 11);
	pr.pr_flags = 0x10400;
	pr.pr_nget = 20310;
	f = field(nbm_pool_fields, nbm_pool_nfields, "wchan");
	ATF_CHECK_EQ(nbm_stat_format(f, &pr, buf, sizeof(buf)), 10);
	ATF_CHECK_STREQ(buf, "kmem-00016");
	f = field(nbm_pool_fields, nbm_pool_nfields, "flags");
	nbm_stat_format(f, &pr, buf, sizeof(buf));
	ATF_CHECK_STREQ(buf, "0x10400");
	f = field(nbm_pool_fields, nbm_pool_nfields, "nget");
	ATF_CHECK_EQ(nbm_stat_u64(f, &pr, 0), 20310);
	/* snprintf-like: the full length comes back, the text is cut. */
	ATF_CHECK_EQ(nbm_stat_format(f, &pr, small, sizeof(small)), 5);
	ATF_CHECK_STREQ(small, "203");

	/* Unaligned records are read safely. */
	memcpy(raw + 1, &pr, sizeof(pr));
	ATF_CHECK_EQ(nbm_stat_u64(f, raw + 1, 0), 20310);

	/* A name that fills its array is read up to the array's end. */
	memset(pr.pr_wchan, 'x', sizeof(pr.pr_wchan));
	f = field(nbm_pool_fields, nbm_pool_nfields, "wchan");
	ATF_CHECK_EQ(nbm_stat_format(f, &pr, buf, sizeof(buf)), 16);
	ATF_CHECK_STREQ(buf, "xxxxxxxxxxxxxxxx");
	ATF_CHECK_EQ(nbm_stat_u64(f, &pr, 0), 0);

	memset(&cc, 0, sizeof(cc));
	cc.cc_nfull = -3;
	f = field(nbm_cachecpu_fields, nbm_cachecpu_nfields, "nfull");
	nbm_stat_format(f, &cc, buf, sizeof(buf));
	ATF_CHECK_STREQ(buf, "-3");
	ATF_CHECK_EQ(nbm_stat_u64(f, &cc, 0), (uint64_t)-3);

	memset(&vs, 0, sizeof(vs));
	for (i = 0; i < NBM_STAT_VEC_LEN; i++)
		vs.vs_freelist[i] = i < 3 ? i + 1 : 0;
	f = field(nbm_vmem_fields, nbm_vmem_nfields, "freelist");
	ATF_CHECK_EQ(nbm_stat_u64(f, &vs, 1), 2);
	ATF_CHECK_EQ(nbm_stat_u64(f, &vs, NBM_STAT_VEC_LEN), 0);
	ATF_CHECK_EQ(nbm_stat_format(f, &vs, buf, sizeof(buf)),
	    5 + 2 * (NBM_STAT_VEC_LEN - 3));
	ATF_CHECK(strncmp(buf, "1,2,3,0,0,", 10) == 0);
}

/* A consistent record: 70 pages of 256 items, 17122 out. */
static void
good_record(struct pool_sysctl *pr)
{

	memset(pr, 0, sizeof(*pr));
	strcpy(pr->pr_wchan, "kmem-00016");
	pr->pr_size = 16;
	pr->pr_pagesize = 4096;
	pr->pr_itemsperpage = 256;
	pr->pr_nget = 20310;
	pr->pr_nput = 3188;
	pr->pr_nout = 17122;
	pr->pr_npagealloc = 110;
	pr->pr_npagefree = 40;
	pr->pr_npages = 70;
	pr->pr_nitems = 798;
	pr->pr_hiwat = 77;
	pr->pr_nidle = 3;
	pr->pr_maxpages = 4294967295U;
	pr->pr_hardlimit = 4294967295U;
}

static void
expect_broken(const struct pool_sysctl *pr, const char *msg)
{
	char why[200];

	ATF_CHECK(!nbm_pool_sysctl_check(pr, why, sizeof(why)));
	ATF_CHECK_STREQ(why, msg);
	/* why may be NULL. */
	ATF_CHECK(!nbm_pool_sysctl_check(pr, NULL, 0));
}

ATF_TC_WITHOUT_HEAD(pool_check);
ATF_TC_BODY(pool_check, tc)
{
	struct pool_sysctl pr;
	char why[200];

	good_record(&pr);
	strcpy(why, "junk");
	ATF_CHECK(nbm_pool_sysctl_check(&pr, why, sizeof(why)));
	ATF_CHECK_STREQ(why, "");

	good_record(&pr);
	pr.pr_nout--;
	expect_broken(&pr, "kmem-00016: nget 20310 - nput 3188 != nout 17121");

	good_record(&pr);
	pr.pr_nput = pr.pr_nget + 1;	/* no wrap-around to a match */
	pr.pr_nout = UINT64_MAX;
	expect_broken(&pr, "kmem-00016: nget 20310 - nput 20311 != nout "
	    "18446744073709551615");

	good_record(&pr);
	pr.pr_nitems++;
	expect_broken(&pr, "kmem-00016: npages 70 * itemsperpage 256 != "
	    "nitems 799 + nout 17122");

	good_record(&pr);
	pr.pr_npagefree++;
	expect_broken(&pr, "kmem-00016: npagealloc 110 - npagefree 41 != "
	    "npages 70");

	good_record(&pr);
	pr.pr_nidle = 71;
	expect_broken(&pr, "kmem-00016: nidle 71 > npages 70");

	good_record(&pr);
	pr.pr_hiwat = 69;
	expect_broken(&pr, "kmem-00016: hiwat 69 < npages 70");

	good_record(&pr);
	memset(pr.pr_wchan, 'p', sizeof(pr.pr_wchan));
	expect_broken(&pr, "pppppppppppppppp: pr_wchan is not NUL-terminated");

	/* nidle == npages and hiwat == npages are fine. */
	good_record(&pr);
	pr.pr_nidle = pr.pr_hiwat = 70;
	ATF_CHECK(nbm_pool_sysctl_check(&pr, why, sizeof(why)));

	/* A pool that never had a page. */
	memset(&pr, 0, sizeof(pr));
	strcpy(pr.pr_wchan, "phpool-64");
	pr.pr_itemsperpage = 72;
	ATF_CHECK(nbm_pool_sysctl_check(&pr, why, sizeof(why)));
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, pool_sysctl_layout);
	ATF_TP_ADD_TC(tp, field_tables);
	ATF_TP_ADD_TC(tp, field_kinds);
	ATF_TP_ADD_TC(tp, records);
	ATF_TP_ADD_TC(tp, values);
	ATF_TP_ADD_TC(tp, pool_check);
	return atf_no_error();
}
