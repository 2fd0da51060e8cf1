/*
 * config.c: nbmemd's configuration file, its defaults and its checks.
 *
 * The file is one JSON object (schema/config.schema.json):
 *
 *	machine		the machine the daemon boots (struct nbm_config)
 *	supervisor	autoboot, timeout, boot_timeout
 *	recorder	interval, retention { max_age, max_size }
 *	sockets		control, readonly, max_clients, client_buffer,
 *			line_timeout
 *	database	path of the SQLite history
 *	metrics		listen ("host:port" on loopback), or null
 *
 * Every key is a row of a table below, with its kind and its bounds, so
 * that one walk parses, checks and prints the whole file.  A message names
 * the key by its path ("machine.memmap[2].type"), says what is accepted and
 * what was given; unknown keys are errors that list the accepted ones.
 * The machine's own cross-field rules are nbm_config_validate()'s, whose
 * message gets the "machine." prefix.
 *
 * Integers may be JSON integers or strings: decimal, 0x hexadecimal, or
 * with a binary suffix K, M, G or T ("64M").
 */
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbmemd.h"

enum ckind {
	CK_U32,			/* u_int */
	CK_U64,			/* uint64_t */
	CK_SIZE,		/* size_t */
	CK_BOOL,		/* bool */
	CK_SECONDS,		/* double */
	CK_PATH,		/* char *, absolute path */
	CK_OPTPATH,		/* char *, absolute path or null */
	CK_ADDR,		/* char *, loopback host:port or null */
	CK_SECTION,		/* nested object, k_sub */
	CK_MACHINE,		/* the machine object */
	CK_MODE,		/* nbm_config.mode by name */
	CK_OPTIONS,		/* nbm_config.options by names */
	CK_MEMMAP,		/* nbm_config.memmap[] */
	CK_IOPORT,		/* nbm_config.ioport[] */
};

struct ckey {
	const char	*k_name;
	enum ckind	 k_kind;
	size_t		 k_off;		/* in the table's structure */
	double		 k_min;		/* numbers: bounds */
	double		 k_max;
	const struct ckey *k_sub;	/* CK_SECTION */
};

#define U32MAX	4294967295.0
#define U64MAX	18446744073709551615.0
#define MOFF(f)	offsetof(struct nbm_config, f)
#define COFF(f)	offsetof(struct nbmd_config, f)

/* struct nbm_config, in the order machine.h declares it. */
static const struct ckey machine_keys[] = {
	{ "ncpu", CK_U32, MOFF(ncpu), 0, U32MAX, NULL },
	{ "page_size", CK_SIZE, MOFF(page_size), 0, U64MAX, NULL },
	{ "physmem", CK_U64, MOFF(physmem), 0, U64MAX, NULL },
	{ "hz", CK_U32, MOFF(hz), 0, U32MAX, NULL },
	{ "seed", CK_U64, MOFF(seed), 0, U64MAX, NULL },
	{ "mode", CK_MODE, MOFF(mode), 0, 0, NULL },
	{ "options", CK_OPTIONS, MOFF(options), 0, 0, NULL },
	{ "kmem_guard_depth", CK_U32, MOFF(kmem_guard_depth), 0, U32MAX, NULL },
	{ "pool_inactive_time", CK_U32, MOFF(pool_inactive_time), 0, U32MAX,
	    NULL },
	{ "direct_map", CK_BOOL, MOFF(direct_map), 0, 0, NULL },
	{ "iomem_max", CK_U64, MOFF(iomem_max), 0, U64MAX, NULL },
	{ "kva_size", CK_U64, MOFF(kva_size), 0, U64MAX, NULL },
	{ "memmap", CK_MEMMAP, MOFF(memmap), 0, 0, NULL },
	{ "ioport", CK_IOPORT, MOFF(ioport), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct ckey supervisor_keys[] = {
	{ "autoboot", CK_BOOL, COFF(c_autoboot), 0, 0, NULL },
	{ "timeout", CK_SECONDS, COFF(c_timeout), 0.1, 3600, NULL },
	{ "boot_timeout", CK_SECONDS, COFF(c_boot_timeout), 1, 3600, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct ckey retention_keys[] = {
	{ "max_age", CK_SECONDS, COFF(c_max_age), 0, 3650 * 86400.0, NULL },
	{ "max_size", CK_U64, COFF(c_max_size), 0, U64MAX, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct ckey recorder_keys[] = {
	{ "interval", CK_SECONDS, COFF(c_interval), NBMD_INTERVAL_MIN,
	    NBMD_INTERVAL_MAX, NULL },
	{ "retention", CK_SECTION, 0, 0, 0, retention_keys },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct ckey sockets_keys[] = {
	{ "control", CK_PATH, COFF(c_control), 0, 0, NULL },
	{ "readonly", CK_OPTPATH, COFF(c_readonly), 0, 0, NULL },
	{ "max_clients", CK_U32, COFF(c_max_clients), 1, 4096, NULL },
	{ "client_buffer", CK_U64, COFF(c_client_buffer), 64 * 1024.0,
	    1024.0 * 1024 * 1024, NULL },
	{ "line_timeout", CK_SECONDS, COFF(c_line_timeout), 0.1, 3600, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct ckey metrics_keys[] = {
	{ "listen", CK_ADDR, COFF(c_metrics), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct ckey top_keys[] = {
	{ "machine", CK_MACHINE, COFF(c_machine), 0, 0, NULL },
	{ "supervisor", CK_SECTION, 0, 0, 0, supervisor_keys },
	{ "recorder", CK_SECTION, 0, 0, 0, recorder_keys },
	{ "sockets", CK_SECTION, 0, 0, 0, sockets_keys },
	{ "database", CK_PATH, COFF(c_database), 0, 0, NULL },
	{ "metrics", CK_SECTION, 0, 0, 0, metrics_keys },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct {
	const char	*o_name;
	u_int		 o_bit;
} config_options[] = {
	{ "DIAGNOSTIC", NBM_OPT_DIAGNOSTIC },
	{ "DEBUG", NBM_OPT_DEBUG },
	{ "KMEM_SIZE", NBM_OPT_KMEM_SIZE },
	{ "KMEM_REDZONE", NBM_OPT_KMEM_REDZONE },
	{ "KMEM_GUARD", NBM_OPT_KMEM_GUARD },
	{ "POOL_REDZONE", NBM_OPT_POOL_REDZONE },
};

static const char *const config_memtypes[] = {
	[NBM_MEM_RAM] = "ram",
	[NBM_MEM_RESERVED] = "reserved",
	[NBM_MEM_ACPI] = "acpi",
	[NBM_MEM_NVS] = "nvs",
};

#define NMEMTYPES	(sizeof(config_memtypes) / sizeof(config_memtypes[0]))
#define NOPTIONS	(sizeof(config_options) / sizeof(config_options[0]))

static int config_keys(void *, const struct ckey *, json_object *,
    const char *, char **);

static int
config_error(char **errp, const char *path, const char *fmt, ...)
    NBMD_PRINTFLIKE(3, 4);

static int
config_error(char **errp, const char *path, const char *fmt, ...)
{
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	free(*errp);
	xasprintf(errp, "%s: %s", path, msg);
	free(msg);
	return -1;
}

/* A short rendering of a bad value for messages. */
static const char *
config_got(json_object *v, char *buf, size_t len)
{
	const char *s = json_object_to_json_string_ext(v,
	    JSON_C_TO_STRING_PLAIN);

	if (strlen(s) > 40)
		snprintf(buf, len, "%.37s...", s);
	else
		snprintf(buf, len, "%s", s);
	return buf;
}

/*
 * config_number: a JSON integer, or a string "123", "0x1f", "64M".
 * => 0 and the value, or -1 when v is neither.
 */
static int
config_number(json_object *v, uint64_t *vp)
{
	const char *s, *end;
	char *ep;
	uint64_t n, mul = 1;
	size_t len;

	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0)
			return -1;
		*vp = json_object_get_uint64(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len > 32 || strlen(s) != len || *s == '-' ||
	    *s == '+' || *s == ' ')
		return -1;
	end = s + len;
	switch (end[-1]) {
	case 'K': mul = 1ULL << 10; end--; break;
	case 'M': mul = 1ULL << 20; end--; break;
	case 'G': mul = 1ULL << 30; end--; break;
	case 'T': mul = 1ULL << 40; end--; break;
	}
	errno = 0;
	n = strtoull(s, &ep, 0);
	if (errno != 0 || ep != end || ep == s)
		return -1;
	if (n > UINT64_MAX / mul)
		return -1;
	*vp = n * mul;
	return 0;
}

static int
config_integer(void *base, const struct ckey *k, json_object *v,
    const char *path, char **errp)
{
	char got[48];
	uint64_t n;

	if (config_number(v, &n) != 0 || (double)n < k->k_min ||
	    (double)n > k->k_max)
		return config_error(errp, path, "must be an integer between "
		    "%.0f and %.0f (a JSON integer, or a string such as "
		    "\"64M\" or \"0x1000\"), got %s", k->k_min, k->k_max,
		    config_got(v, got, sizeof(got)));
	switch (k->k_kind) {
	case CK_U32:
		*(u_int *)(void *)((char *)base + k->k_off) = (u_int)n;
		break;
	case CK_SIZE:
		*(size_t *)(void *)((char *)base + k->k_off) = (size_t)n;
		break;
	default:
		*(uint64_t *)(void *)((char *)base + k->k_off) = n;
		break;
	}
	return 0;
}

/*
 * config_path: an absolute path without NUL bytes; sockets must fit in
 * sun_path.
 */
static int
config_path(char **dst, json_object *v, bool nullable, bool socket,
    const char *path, char **errp)
{
	struct sockaddr_un sun;
	char got[48];
	const char *s;
	size_t len;

	if (nullable && json_object_is_type(v, json_type_null)) {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return config_error(errp, path, "must be an absolute path%s, "
		    "got %s", nullable ? " or null" : "",
		    config_got(v, got, sizeof(got)));
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || s[0] != '/' || strlen(s) != len || len >= PATH_MAX)
		return config_error(errp, path, "must be an absolute path "
		    "(starting with /), got %s",
		    config_got(v, got, sizeof(got)));
	if (socket && len >= sizeof(sun.sun_path))
		return config_error(errp, path, "must be at most %zu bytes "
		    "long (a socket path), got %zu", sizeof(sun.sun_path) - 1,
		    len);
	free(*dst);
	*dst = xstrdup(s);
	return 0;
}

static int
config_mode(struct nbm_config *mc, json_object *v, const char *path,
    char **errp)
{
	char got[48];
	const char *s = json_object_get_string(v);

	if (json_object_is_type(v, json_type_string) &&
	    strcmp(s, "parallel") == 0)
		mc->mode = NBM_MODE_PARALLEL;
	else if (json_object_is_type(v, json_type_string) &&
	    strcmp(s, "deterministic") == 0)
		mc->mode = NBM_MODE_DETERMINISTIC;
	else
		return config_error(errp, path, "must be \"parallel\" or "
		    "\"deterministic\", got %s",
		    config_got(v, got, sizeof(got)));
	return 0;
}

static int
config_opts(struct nbm_config *mc, json_object *v, const char *path,
    char **errp)
{
	char got[48], ipath[320], accepted[128];
	const char *s;
	size_t i, j, n;
	u_int opts = 0;

	accepted[0] = '\0';
	for (j = 0; j < NOPTIONS; j++)
		snprintf(accepted + strlen(accepted),
		    sizeof(accepted) - strlen(accepted), "%s%s",
		    j > 0 ? ", " : "", config_options[j].o_name);
	if (!json_object_is_type(v, json_type_array))
		return config_error(errp, path, "must be an array of option "
		    "names (%s), got %s", accepted,
		    config_got(v, got, sizeof(got)));
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);

		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		s = json_object_get_string(e);
		for (j = 0; j < NOPTIONS; j++)
			if (json_object_is_type(e, json_type_string) &&
			    strcmp(s, config_options[j].o_name) == 0)
				break;
		if (j == NOPTIONS)
			return config_error(errp, ipath, "unknown option %s; "
			    "accepted: %s", config_got(e, got, sizeof(got)),
			    accepted);
		opts |= config_options[j].o_bit;
	}
	mc->options = opts;
	return 0;
}

/*
 * config_ranges: memmap or ioport, an array of {start, size, type, name}
 * objects (type only in the memory map).
 */
static int
config_ranges(struct nbm_config *mc, json_object *v, bool memmap,
    const char *path, char **errp)
{
	static const struct ckey rkeys[] = {
		{ "start", CK_U64, offsetof(struct nbm_range, r_start), 0,
		    U64MAX, NULL },
		{ "size", CK_U64, offsetof(struct nbm_range, r_size), 0,
		    U64MAX, NULL },
	};
	struct nbm_range *r = memmap ? mc->memmap : mc->ioport;
	u_int max = memmap ? NBM_MEMMAP_MAX : NBM_IOPORT_MAX;
	char got[48], ipath[320], kpath[384];
	json_object *e, *f;
	size_t i, j, n;

	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) > max)
		return config_error(errp, path, "must be an array of at most "
		    "%u ranges {\"start\", \"size\"%s, \"name\"}, got %s", max,
		    memmap ? ", \"type\"" : "",
		    config_got(v, got, sizeof(got)));
	if (memmap && n == 0)
		return config_error(errp, path, "must hold at least one ram "
		    "range; leave it out for the PC layout");
	memset(r, 0, max * sizeof(*r));
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if (!json_object_is_type(e, json_type_object))
			return config_error(errp, ipath, "must be an object "
			    "{\"start\", \"size\"%s, \"name\"}, got %s",
			    memmap ? ", \"type\"" : "",
			    config_got(e, got, sizeof(got)));
		json_object_object_foreach(e, key, val) {
			snprintf(kpath, sizeof(kpath), "%s.%s", ipath, key);
			for (j = 0; j < 2; j++)
				if (strcmp(key, rkeys[j].k_name) == 0)
					break;
			if (j < 2) {
				if (config_integer(&r[i], &rkeys[j], val,
				    kpath, errp) != 0)
					return -1;
			} else if (strcmp(key, "name") == 0) {
				if (!json_object_is_type(val,
				    json_type_string) ||
				    json_object_get_string_len(val) >=
				    (int)sizeof(r[i].r_name))
					return config_error(errp, kpath,
					    "must be a string of at most %zu "
					    "bytes, got %s",
					    sizeof(r[i].r_name) - 1,
					    config_got(val, got, sizeof(got)));
				snprintf(r[i].r_name, sizeof(r[i].r_name),
				    "%s", json_object_get_string(val));
			} else if (memmap && strcmp(key, "type") == 0) {
				for (j = 1; j < NMEMTYPES; j++)
					if (json_object_is_type(val,
					    json_type_string) &&
					    strcmp(json_object_get_string(val),
					    config_memtypes[j]) == 0)
						break;
				if (j == NMEMTYPES)
					return config_error(errp, kpath,
					    "must be one of \"ram\", "
					    "\"reserved\", \"acpi\", \"nvs\", "
					    "got %s",
					    config_got(val, got, sizeof(got)));
				r[i].r_type = (int)j;
			} else
				return config_error(errp, kpath, "unknown key; "
				    "accepted: start, size, %sname",
				    memmap ? "type, " : "");
		}
		if (!json_object_object_get_ex(e, "start", &f) ||
		    !json_object_object_get_ex(e, "size", &f) ||
		    (memmap && !json_object_object_get_ex(e, "type", &f)))
			return config_error(errp, ipath, "must have start, "
			    "size%s", memmap ? " and type" : "");
	}
	if (memmap)
		mc->nmemmap = (u_int)n;
	else
		mc->nioport = (u_int)n;
	return 0;
}

/* The accepted keys of a table, for messages. */
static void
config_accepted(const struct ckey *keys, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (; keys->k_name != NULL && o < len; keys++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
		    o > 0 ? ", " : "", keys->k_name);
}

static int
config_key(void *base, const struct ckey *k, json_object *v,
    const char *path, char **errp)
{
	char got[48];

	switch (k->k_kind) {
	case CK_U32:
	case CK_U64:
	case CK_SIZE:
		return config_integer(base, k, v, path, errp);
	case CK_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return config_error(errp, path, "must be true or "
			    "false, got %s", config_got(v, got, sizeof(got)));
		*(bool *)(void *)((char *)base + k->k_off) =
		    json_object_get_boolean(v);
		return 0;
	case CK_SECONDS: {
		double d = json_object_get_double(v);

		if ((!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double)) ||
		    !isfinite(d) || d < k->k_min || d > k->k_max)
			return config_error(errp, path, "must be a number of "
			    "seconds between %g and %g, got %s", k->k_min,
			    k->k_max, config_got(v, got, sizeof(got)));
		*(double *)(void *)((char *)base + k->k_off) = d;
		return 0;
	}
	case CK_PATH:
	case CK_OPTPATH:
		return config_path((char **)(void *)((char *)base + k->k_off),
		    v, k->k_kind == CK_OPTPATH,
		    strcmp(k->k_name, "database") != 0, path, errp);
	case CK_ADDR: {
		char **dst = (char **)(void *)((char *)base + k->k_off);
		char host[64];
		u_int port;

		if (json_object_is_type(v, json_type_null)) {
			free(*dst);
			*dst = NULL;
			return 0;
		}
		if (!json_object_is_type(v, json_type_string))
			return config_error(errp, path, "must be \"host:port\" "
			    "on loopback or null, got %s",
			    config_got(v, got, sizeof(got)));
		if (config_metrics_addr(json_object_get_string(v), host,
		    sizeof(host), &port, errp) != 0)
			return config_error(errp, path, "%s", *errp);
		free(*dst);
		*dst = xstrdup(json_object_get_string(v));
		return 0;
	}
	case CK_SECTION:
		return config_keys(base, k->k_sub, v, path, errp);
	case CK_MACHINE:
		return config_parse_machine(
		    (struct nbm_config *)(void *)((char *)base + k->k_off), v,
		    path, errp);
	case CK_MODE:
		return config_mode(base, v, path, errp);
	case CK_OPTIONS:
		return config_opts(base, v, path, errp);
	case CK_MEMMAP:
	case CK_IOPORT:
		return config_ranges(base, v, k->k_kind == CK_MEMMAP, path,
		    errp);
	}
	return config_error(errp, path, "internal error: key kind %d",
	    (int)k->k_kind);
}

/* Parse the members of object v by the table keys into base. */
static int
config_keys(void *base, const struct ckey *keys, json_object *v,
    const char *path, char **errp)
{
	const struct ckey *k;
	char got[48], kpath[256], accepted[512];

	if (!json_object_is_type(v, json_type_object))
		return config_error(errp, path, "must be an object, got %s",
		    config_got(v, got, sizeof(got)));
	json_object_object_foreach(v, key, val) {
		if (*path == '\0' && strcmp(key, "$schema") == 0)
			continue;
		snprintf(kpath, sizeof(kpath), "%s%s%.64s", path,
		    *path != '\0' ? "." : "", key);
		for (k = keys; k->k_name != NULL; k++)
			if (strcmp(k->k_name, key) == 0)
				break;
		if (k->k_name == NULL) {
			config_accepted(keys, accepted, sizeof(accepted));
			return config_error(errp, kpath, "unknown key; "
			    "accepted: %s", accepted);
		}
		if (config_key(base, k, val, kpath, errp) != 0)
			return -1;
	}
	return 0;
}

/*
 * config_parse_machine: apply the members of a machine object to *mc and
 * check the result with nbm_config_validate().
 *
 * => keys absent from v keep their value in *mc; *mc is unchanged when
 *    the object is refused.
 * => errors name the key under prefix ("machine", "config").
 */
int
config_parse_machine(struct nbm_config *mc, json_object *v,
    const char *prefix, char **errp)
{
	struct nbm_config tmp = *mc;
	char buf[512];

	if (config_keys(&tmp, machine_keys, v, prefix, errp) != 0)
		return -1;
	/* Its messages start with the field: "page_size 3000: must be ...". */
	if (nbm_config_validate(&tmp, buf, sizeof(buf)) != 0) {
		free(*errp);
		xasprintf(errp, "%s.%s", prefix, buf);
		return -1;
	}
	*mc = tmp;
	return 0;
}

void
config_defaults(struct nbmd_config *c)
{

	memset(c, 0, sizeof(*c));
	nbm_config_init(&c->c_machine);
	c->c_autoboot = true;
	c->c_timeout = 10;
	c->c_boot_timeout = 60;
	c->c_interval = 1;
	c->c_max_age = 0;
	c->c_max_size = 0;
	c->c_max_clients = 64;
	c->c_client_buffer = 4 * 1024 * 1024;
	c->c_line_timeout = 30;
}

int
config_parse(struct nbmd_config *c, json_object *v, char **errp)
{

	return config_keys(c, top_keys, v, "", errp);
}

/*
 * config_load: read and parse a configuration file over the defaults.
 * => 0, or -1 with a message naming the file and the key in *errp.
 */
int
config_load(struct nbmd_config *c, const char *path, char **errp)
{
	struct json_tokener *tok;
	json_object *v;
	struct stat st;
	char *text, *msg = NULL;
	FILE *f;
	size_t n;

	config_defaults(c);
	if (path == NULL)
		return 0;
	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(errp, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > 1024 * 1024) {
		xasprintf(errp, "%s: must be a regular file of at most 1 MiB",
		    path);
		fclose(f);
		return -1;
	}
	text = xmalloc((size_t)st.st_size + 1);
	n = fread(text, 1, (size_t)st.st_size, f);
	fclose(f);
	text[n] = '\0';
	tok = json_tokener_new_ex(NBMD_JSON_DEPTH);
	if (tok == NULL)
		fatalx("json_tokener_new_ex failed");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	v = json_tokener_parse_ex(tok, text, (int)n);
	if (v == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		xasprintf(errp, "%s: invalid JSON at byte %zu: %s", path,
		    json_tokener_get_parse_end(tok),
		    json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(v);
		json_tokener_free(tok);
		free(text);
		return -1;
	}
	json_tokener_free(tok);
	free(text);
	if (config_parse(c, v, &msg) != 0) {
		xasprintf(errp, "%s: %s", path, msg);
		free(msg);
		json_object_put(v);
		config_free(c);
		return -1;
	}
	json_object_put(v);
	return 0;
}

/* $XDG_<var> if set to an absolute path, else $HOME/<fallback>. */
static char *
config_xdg(const char *var, const char *fallback)
{
	const char *s = getenv(var), *home;
	struct passwd *pw;
	char *p;

	if (s != NULL && s[0] == '/')
		return xstrdup(s);
	if (fallback == NULL)
		return NULL;
	if ((home = getenv("HOME")) == NULL || home[0] != '/') {
		if ((pw = getpwuid(getuid())) == NULL)
			return NULL;
		home = pw->pw_dir;
	}
	xasprintf(&p, "%s/%s", home, fallback);
	return p;
}

/*
 * config_finish: fill in the default paths and check what only the whole
 * configuration can tell.
 */
int
config_finish(struct nbmd_config *c, char **errp)
{
	struct sockaddr_un sun;
	char *dir;

	if (c->c_control == NULL) {
		if ((dir = config_xdg("XDG_RUNTIME_DIR", NULL)) != NULL)
			xasprintf(&c->c_control, "%s/nbmemd.sock", dir);
		else
			xasprintf(&c->c_control, "/tmp/nbmemd-%lu/sock",
			    (u_long)getuid());
		free(dir);
		if (strlen(c->c_control) >= sizeof(sun.sun_path))
			return config_error(errp, "sockets.control", "the "
			    "default %s is too long for a socket; give one "
			    "with -s", c->c_control);
	}
	if (c->c_database == NULL) {
		if ((dir = config_xdg("XDG_STATE_HOME", ".local/state")) ==
		    NULL)
			return config_error(errp, "database", "no default: "
			    "neither XDG_STATE_HOME nor a home directory is "
			    "known; give one with -D");
		xasprintf(&c->c_database, "%s/nbmem/nbmemd.db", dir);
		free(dir);
	}
	if (c->c_readonly != NULL && strcmp(c->c_readonly, c->c_control) == 0)
		return config_error(errp, "sockets.readonly", "must differ "
		    "from sockets.control (%s)", c->c_control);
	if (c->c_max_size != 0 && c->c_max_size < 1024 * 1024)
		return config_error(errp, "recorder.retention.max_size",
		    "must be 0 (no limit) or at least 1048576 (1 MiB), got "
		    "%llu", (unsigned long long)c->c_max_size);
	if (c->c_max_age != 0 && c->c_max_age < 10 * c->c_interval)
		return config_error(errp, "recorder.retention.max_age",
		    "must be 0 (keep all) or at least ten intervals (%g s), "
		    "got %g", 10 * c->c_interval, c->c_max_age);
	return 0;
}

static char *
config_strdup(const char *s)
{

	return s != NULL ? xstrdup(s) : NULL;
}

void
config_copy(struct nbmd_config *dst, const struct nbmd_config *src)
{

	*dst = *src;
	dst->c_control = config_strdup(src->c_control);
	dst->c_readonly = config_strdup(src->c_readonly);
	dst->c_database = config_strdup(src->c_database);
	dst->c_metrics = config_strdup(src->c_metrics);
}

void
config_free(struct nbmd_config *c)
{

	free(c->c_control);
	free(c->c_readonly);
	free(c->c_database);
	free(c->c_metrics);
	c->c_control = c->c_readonly = c->c_database = c->c_metrics = NULL;
}

const char *
config_mode_name(int mode)
{

	return mode == NBM_MODE_DETERMINISTIC ? "deterministic" : "parallel";
}

static json_object *
config_ranges_json(const struct nbm_range *r, u_int n, bool memmap)
{
	json_object *a = json_object_new_array(), *o;
	u_int i;

	for (i = 0; i < n; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "start",
		    json_object_new_uint64(r[i].r_start));
		json_object_object_add(o, "size",
		    json_object_new_uint64(r[i].r_size));
		if (memmap)
			json_object_object_add(o, "type",
			    json_object_new_string((size_t)r[i].r_type <
			    NMEMTYPES && r[i].r_type > 0 ?
			    config_memtypes[r[i].r_type] : "?"));
		json_object_object_add(o, "name",
		    json_object_new_string(r[i].r_name));
		json_object_array_add(a, o);
	}
	return a;
}

/*
 * config_machine_json: a machine configuration as the JSON object the
 * configuration file and machine.boot accept.  The memory map appears only
 * when it was given (or, for a booted machine, when memmap is set).
 */
json_object *
config_machine_json(const struct nbm_config *mc, bool memmap)
{
	const struct ckey *k;
	json_object *o = json_object_new_object(), *a;
	const char *base = (const char *)mc;
	size_t i;

	for (k = machine_keys; k->k_name != NULL; k++) {
		json_object *v = NULL;

		switch (k->k_kind) {
		case CK_U32:
			v = json_object_new_uint64(
			    *(const u_int *)(const void *)(base + k->k_off));
			break;
		case CK_SIZE:
			v = json_object_new_uint64(
			    *(const size_t *)(const void *)(base + k->k_off));
			break;
		case CK_U64:
			v = json_object_new_uint64(
			    *(const uint64_t *)(const void *)(base + k->k_off));
			break;
		case CK_BOOL:
			v = json_object_new_boolean(
			    *(const bool *)(const void *)(base + k->k_off));
			break;
		case CK_MODE:
			v = json_object_new_string(config_mode_name(mc->mode));
			break;
		case CK_OPTIONS:
			a = json_object_new_array();
			for (i = 0; i < NOPTIONS; i++)
				if (mc->options & config_options[i].o_bit)
					json_object_array_add(a,
					    json_object_new_string(
					    config_options[i].o_name));
			v = a;
			break;
		case CK_MEMMAP:
			if (mc->nmemmap > 0 || memmap)
				v = config_ranges_json(mc->memmap, mc->nmemmap,
				    true);
			break;
		case CK_IOPORT:
			v = config_ranges_json(mc->ioport, mc->nioport, false);
			break;
		default:
			break;
		}
		if (v != NULL)
			json_object_object_add(o, k->k_name, v);
	}
	return o;
}

/*
 * config_metrics_addr: split "host:port" ("[::1]:port" for IPv6) and
 * require a loopback host: the endpoint has no authentication, so it
 * must not be reachable from other machines.
 */
int
config_metrics_addr(const char *addr, char *host, size_t hostlen,
    u_int *portp, char **errp)
{
	struct in_addr a4;
	struct in6_addr a6;
	const char *colon, *h = addr;
	size_t hlen;
	char *ep;
	u_long port;

	free(*errp);
	*errp = NULL;
	if ((colon = strrchr(addr, ':')) == NULL) {
		xasprintf(errp, "\"%.64s\": must be host:port", addr);
		return -1;
	}
	hlen = (size_t)(colon - addr);
	if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
		h = addr + 1;
		hlen -= 2;
	}
	if (hlen == 0) {
		h = "127.0.0.1";
		hlen = strlen(h);
	}
	if (hlen >= hostlen) {
		xasprintf(errp, "\"%.64s\": host too long", addr);
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &ep, 10);
	if (colon[1] == '\0' || *ep != '\0' || errno != 0 || port > 65535) {
		xasprintf(errp, "\"%.64s\": port must be a number between 0 "
		    "and 65535", addr);
		return -1;
	}
	if (strcmp(host, "localhost") == 0)
		snprintf(host, hostlen, "127.0.0.1");
	if (inet_pton(AF_INET, host, &a4) == 1) {
		if ((ntohl(a4.s_addr) >> 24) != 127) {
			xasprintf(errp, "\"%.64s\": must be a loopback address "
			    "(127.0.0.0/8, ::1 or localhost)", addr);
			return -1;
		}
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&a6)) {
			xasprintf(errp, "\"%.64s\": must be a loopback address "
			    "(127.0.0.0/8, ::1 or localhost)", addr);
			return -1;
		}
	} else {
		xasprintf(errp, "\"%.64s\": host must be a numeric loopback "
		    "address or localhost", addr);
		return -1;
	}
	*portp = (u_int)port;
	return 0;
}
