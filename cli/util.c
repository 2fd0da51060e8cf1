/*
 * util.c: small helpers shared by nbmemctl's commands: clocks, number
 * and time formatting, reading members of the daemon's JSON replies, and
 * a table printer that sizes its columns to their contents.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nbmemctl.h"

double
now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* fmt_bytes: 512 B, 4.0 KiB, 256 MiB: binary units, 3 digits. */
const char *
fmt_bytes(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	double d = (double)v;
	int u = 0;

	while (d >= 1024 && u < 6) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", v);
	else if (d < 10 && d != (uint64_t)d)
		snprintf(buf, len, "%.1f %s", d, units[u]);
	else
		snprintf(buf, len, "%.0f %s", d, units[u]);
	return buf;
}

/* fmt_count: 999, 12.3K, 4.5M: a count in at most 5 characters. */
const char *
fmt_count(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int u = -1;

	if (v < 100000) {
		snprintf(buf, len, "%" PRIu64, v);
		return buf;
	}
	while (d >= 1000 && u < 5) {
		d /= 1000;
		u++;
	}
	snprintf(buf, len, d < 10 ? "%.1f%c" : "%.0f%c", d, units[u]);
	return buf;
}

/* fmt_num: a double with at most 6 decimals, trailing zeros dropped. */
const char *
fmt_num(double d, char *buf, size_t len)
{
	char *p;

	if (!isfinite(d)) {
		snprintf(buf, len, "%s", "nan");
		return buf;
	}
	snprintf(buf, len, "%.6f", d);
	if ((p = strchr(buf, '.')) != NULL) {
		p += strlen(p) - 1;
		while (*p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, len, "0");
	return buf;
}

/* fmt_uptime: 0:00:05, 1:02:03, 3d 4:05:06. */
const char *
fmt_uptime(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000;

	if (s >= 86400)
		snprintf(buf, len, "%" PRIu64 "d %" PRIu64 ":%02" PRIu64 ":%02"
		    PRIu64, s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64,
		    s / 3600, s / 60 % 60, s % 60);
	return buf;
}

/* fmt_time: a Unix time as local ISO 8601, to the second. */
const char *
fmt_time(double t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(buf, len, "%.0f", t);
	return buf;
}

/* fmt_duration: 35us, 2.5ms, 0.25s, 12s, 3m04s, 1h02m. */
const char *
fmt_duration(double s, char *buf, size_t len)
{
	unsigned long n;

	if (s < 0)
		s = 0;
	if (s > 0 && s < 0.001)
		snprintf(buf, len, "%.0fus", s * 1e6);
	else if (s > 0 && s < 0.1)
		snprintf(buf, len, "%.1fms", s * 1e3);
	else if (s < 10)
		snprintf(buf, len, "%.1fs", s);
	else if (s < 60)
		snprintf(buf, len, "%.0fs", s);
	else if ((n = (unsigned long)s) < 3600)
		snprintf(buf, len, "%lum%02lus", n / 60, n % 60);
	else
		snprintf(buf, len, "%luh%02lum", n / 3600, n / 60 % 60);
	return buf;
}

#define EU(o, k)	((uint64_t)jint((o), (k), 0))

/*
 * extent_cells: an extent's space (the "start" and "end" of e) as width
 * cells, each '#' when its addresses are all in regions, '+' when some
 * are, '.' when none; buf has room for width + 1.
 */
void
extent_cells(json_object *e, json_object *regions, char *buf, int width)
{
	uint64_t start = EU(e, "start"), end = EU(e, "end"), lo, hi, used;
	uint64_t rs, re;
	long double cell = ((long double)end - start + 1) / width;
	json_object *rg;
	size_t i, n = regions != NULL ? json_object_array_length(regions) : 0;
	int c;

	for (c = 0; c < width; c++) {
		lo = start + (uint64_t)(cell * c);
		hi = c == width - 1 ? end : start + (uint64_t)(cell * (c + 1)) -
		    1;
		if (hi < lo)
			hi = lo;
		used = 0;
		for (i = 0; i < n; i++) {
			rg = json_object_array_get_idx(regions, i);
			rs = EU(rg, "start");
			re = EU(rg, "end");
			if (re >= lo && rs <= hi)
				used += (re < hi ? re : hi) -
				    (rs > lo ? rs : lo) + 1;
		}
		buf[c] = used == 0 ? '.' : used >= hi - lo + 1 ? '#' : '+';
	}
	buf[width] = '\0';
}

/*
 * jget: the member at a dotted path ("config.ncpu") of an object, or NULL
 * if any step is missing or not an object.
 */
json_object *
jget(json_object *o, const char *path)
{
	char key[128];
	const char *dot;
	size_t n;

	while (o != NULL && *path != '\0') {
		if (!json_object_is_type(o, json_type_object))
			return NULL;
		dot = strchr(path, '.');
		n = dot != NULL ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (dot != NULL);
	}
	return o;
}

int64_t
jint(json_object *o, const char *path, int64_t dflt)
{
	json_object *v = jget(o, path);

	if (v == NULL || (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double)))
		return dflt;
	return json_object_get_int64(v);
}

double
jnum(json_object *o, const char *path, double dflt)
{
	json_object *v = jget(o, path);

	if (v == NULL || (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double)))
		return dflt;
	return json_object_get_double(v);
}

const char *
jstr(json_object *o, const char *path, const char *dflt)
{
	json_object *v = jget(o, path);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return dflt;
	return json_object_get_string(v);
}

/* json_print: a reply as -j prints it: indented, one member a line. */
void
json_print(FILE *f, json_object *o)
{

	fprintf(f, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
}

bool
is_tty(int fd)
{

	return isatty(fd) == 1;
}

/*
 * read_file: a whole file, NUL-terminated, of at most max bytes.
 * => NULL with errno set (EFBIG when larger than max).
 */
char *
read_file(const char *path, size_t max, size_t *lenp)
{
	char *buf;
	size_t len = 0, size = 4096;
	ssize_t n;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	buf = xmalloc(size);
	for (;;) {
		if (len + 1 >= size) {
			if (size > max) {
				free(buf);
				close(fd);
				errno = EFBIG;
				return NULL;
			}
			size *= 2;
			buf = xreallocarray(buf, 1, size);
		}
		n = read(fd, buf + len, size - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > max) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

/* ------------------------------------------------------------ tables */

struct table {
	const struct table_col *tb_cols;	/* the columns */
	int		 tb_ncols;		/* how many */
	char		**tb_cells;		/* rows * ncols texts */
	size_t		 tb_nrows;		/* rows added */
	size_t		 tb_cap;		/* rows allocated */
	int		 tb_cur;		/* next cell of the last row */
};

struct table *
table_new(const struct table_col *cols, int ncols)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->tb_cols = cols;
	t->tb_ncols = ncols;
	return t;
}

/* table_row: start a row; its cells come from table_cell, in order. */
void
table_row(struct table *t)
{

	if (t->tb_nrows == t->tb_cap) {
		t->tb_cap = t->tb_cap == 0 ? 16 : t->tb_cap * 2;
		t->tb_cells = xreallocarray(t->tb_cells, t->tb_cap,
		    (size_t)t->tb_ncols * sizeof(char *));
	}
	memset(&t->tb_cells[t->tb_nrows * (size_t)t->tb_ncols], 0,
	    (size_t)t->tb_ncols * sizeof(char *));
	t->tb_nrows++;
	t->tb_cur = 0;
}

void
table_cell(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (t->tb_nrows == 0 || t->tb_cur >= t->tb_ncols)
		return;
	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	t->tb_cells[(t->tb_nrows - 1) * (size_t)t->tb_ncols +
	    (size_t)t->tb_cur++] = s;
}

/*
 * table_print: the header (unless noheader) and the rows, columns two
 * blanks apart, each as wide as its widest cell, with no blanks at the
 * ends of lines.
 */
void
table_print(struct table *t, FILE *f, bool noheader, const char *indent)
{
	size_t r, w[64], len, off;
	const char *s;
	char *line;
	int c, n = t->tb_ncols < 64 ? t->tb_ncols : 64;

	len = strlen(indent != NULL ? indent : "") + 1;
	for (c = 0; c < n; c++)
		w[c] = noheader ? 0 : strlen(t->tb_cols[c].tc_name);
	for (r = 0; r < t->tb_nrows; r++)
		for (c = 0; c < n; c++)
			if ((s = t->tb_cells[r * (size_t)t->tb_ncols +
			    (size_t)c]) != NULL && strlen(s) > w[c])
				w[c] = strlen(s);
	for (c = 0; c < n; c++)
		len += w[c] + 2;
	line = xmalloc(len);
	for (r = noheader ? 1 : 0; r <= t->tb_nrows; r++) {
		off = (size_t)snprintf(line, len, "%s", indent != NULL ?
		    indent : "");
		for (c = 0; c < n; c++) {
			s = r == 0 ? t->tb_cols[c].tc_name :
			    t->tb_cells[(r - 1) * (size_t)t->tb_ncols +
			    (size_t)c];
			off += (size_t)snprintf(line + off, len - off,
			    (t->tb_cols[c].tc_flags & TB_LEFT) ? "%-*s%s" :
			    "%*s%s", (int)w[c], s != NULL ? s : "",
			    c == n - 1 ? "" : "  ");
		}
		while (off > 0 && line[off - 1] == ' ')
			off--;
		line[off] = '\0';
		fprintf(f, "%s\n", line);
	}
	free(line);
}

void
table_free(struct table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->tb_nrows * (size_t)t->tb_ncols; i++)
		free(t->tb_cells[i]);
	free(t->tb_cells);
	free(t);
}
