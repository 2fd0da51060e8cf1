/*
 * history.c: the recorded history: history runs, export and diff, and
 * the stream of rows that export, plot (plot.c) and diff read.
 *
 * history.export sends a table as history.chunk notifications and ends
 * with its response (the end marker).  hist_stream() hands every row to a
 * callback as it arrives, so an export of any size is written in constant
 * memory.  On the way each row goes through the columns of its record
 * type: the daemon's key columns (sample, run, time, ...) first, then the
 * statistics in the order of libnbmem's field table for the record
 * (stats.h), so that the CSV header and the JSON member names are the
 * field tables' names, never a list kept here; a column the table does
 * not know is a key column.  With --rate each counter (a field of kind
 * NBM_STAT_COUNTER) becomes its increase a second since the previous
 * sample of the same object (same run, same label fields), over the
 * seconds of machine uptime between them (simulated time in a
 * deterministic machine) or, where uptime stood still or is not in the
 * table, over the seconds between the sample times; the first sample of
 * each object has no rate (empty in CSV, null in JSON).
 * Remembering the previous sample costs one entry per object, not per
 * sample.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nbmem/stats.h>

#include "nbmemctl.h"
#include "history.h"

/* The record type of each exported table, by the name export takes. */
static const struct {
	const char	*ht_table;	/* --table */
	const char	*ht_record;	/* nbm_stat_records[] name */
} hist_tables[] = {
	{ "machine", "machine" },
	{ "pools", "pool" },
	{ "caches", "cachecpu" },
	{ "vmem", "vmem" },
	{ "extents", "extent" },
	{ "events", NULL },
};

const struct nbm_stat_record *
hist_record(const char *table)
{
	size_t i, j;

	for (i = 0; i < sizeof(hist_tables) / sizeof(hist_tables[0]); i++) {
		if (strcmp(hist_tables[i].ht_table, table) != 0 ||
		    hist_tables[i].ht_record == NULL)
			continue;
		for (j = 0; j < nbm_stat_nrecords; j++)
			if (strcmp(nbm_stat_records[j].sr_name,
			    hist_tables[i].ht_record) == 0)
				return &nbm_stat_records[j];
	}
	return NULL;
}

const struct nbm_stat_field *
hist_field(const struct nbm_stat_record *rec, const char *name)
{
	size_t i;

	if (rec == NULL)
		return NULL;
	for (i = 0; i < rec->sr_nfields; i++)
		if (strcmp(rec->sr_fields[i].sf_name, name) == 0)
			return &rec->sr_fields[i];
	return NULL;
}

/* ------------------------------------------------------------ columns */

/* Index of a daemon column by name, or -1. */
static int
col_index(json_object *cols, const char *name)
{
	size_t i, n = json_object_array_length(cols);

	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(cols, i)), name) == 0)
			return (int)i;
	return -1;
}

/*
 * hist_columns: the output columns for the daemon's columns: key columns
 * in the daemon's order, then the record's fields in table order.
 */
static void
hist_columns(struct hist *h, json_object *cols)
{
	const struct nbm_stat_field *f;
	size_t i, n = json_object_array_length(cols);
	const char *name;

	h->h_ncols = 0;
	h->h_cols = xcalloc(n + 1, sizeof(*h->h_cols));
	for (i = 0; i < n; i++) {
		name = json_object_get_string(json_object_array_get_idx(cols,
		    i));
		if (hist_field(h->h_rec, name) != NULL)
			continue;
		h->h_cols[h->h_ncols].hc_name = xstrdup(name);
		h->h_cols[h->h_ncols].hc_src = (int)i;
		h->h_ncols++;
	}
	for (i = 0; h->h_rec != NULL && i < h->h_rec->sr_nfields; i++) {
		f = &h->h_rec->sr_fields[i];
		if (col_index(cols, f->sf_name) < 0)
			continue;
		h->h_cols[h->h_ncols].hc_name = xstrdup(f->sf_name);
		h->h_cols[h->h_ncols].hc_src = col_index(cols, f->sf_name);
		h->h_cols[h->h_ncols].hc_field = f;
		h->h_ncols++;
	}
	h->h_srcrun = col_index(cols, "run");
	h->h_srcup = col_index(cols, "uptime_ns");
	h->h_srctime = col_index(cols, "time");
	h->h_vals = xcalloc(h->h_ncols + 1, sizeof(*h->h_vals));
}

/* ------------------------------------------------------------ rates */

struct rate_ent {
	char		*re_key;	/* run and label fields */
	double		 re_up;		/* uptime at the previous sample, s */
	double		 re_wall;	/* its Unix time */
	double		*re_prev;	/* previous values, by output column */
};

static uint64_t
fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* The previous sample of the object with this key, made if new. */
static struct rate_ent *
rate_lookup(struct hist *h, const char *key, bool *isnew)
{
	struct rate_ent *old, *e;
	size_t i, n, oldsize;

	if (h->h_nrates * 2 >= h->h_ratesize) {
		old = h->h_rates;
		oldsize = h->h_ratesize;
		h->h_ratesize = oldsize == 0 ? 64 : oldsize * 2;
		h->h_rates = xcalloc(h->h_ratesize, sizeof(*h->h_rates));
		for (i = 0; i < oldsize; i++) {
			if (old[i].re_key == NULL)
				continue;
			n = fnv(old[i].re_key) & (h->h_ratesize - 1);
			while (h->h_rates[n].re_key != NULL)
				n = (n + 1) & (h->h_ratesize - 1);
			h->h_rates[n] = old[i];
		}
		free(old);
	}
	n = fnv(key) & (h->h_ratesize - 1);
	for (;;) {
		e = &h->h_rates[n];
		if (e->re_key == NULL)
			break;
		if (strcmp(e->re_key, key) == 0) {
			*isnew = false;
			return e;
		}
		n = (n + 1) & (h->h_ratesize - 1);
	}
	e->re_key = xstrdup(key);
	e->re_prev = xcalloc(h->h_ncols + 1, sizeof(double));
	h->h_nrates++;
	*isnew = true;
	return e;
}

static void
rates_free(struct hist *h)
{
	size_t i;

	for (i = 0; i < h->h_ratesize; i++) {
		free(h->h_rates[i].re_key);
		free(h->h_rates[i].re_prev);
	}
	free(h->h_rates);
	h->h_rates = NULL;
	h->h_ratesize = h->h_nrates = 0;
}

/* A double of the row's daemon column i, or NAN when there is none. */
static double
row_num(json_object *row, int i)
{
	json_object *o;

	if (i < 0 || (o = json_object_array_get_idx(row, (size_t)i)) == NULL ||
	    (!json_object_is_type(o, json_type_int) &&
	    !json_object_is_type(o, json_type_double)))
		return NAN;
	return json_object_get_double(o);
}

/*
 * Turn the counters of the current row into rates: a second of machine
 * uptime when it advanced, else a second of wall-clock time (an idle
 * deterministic machine's clock stands still, and its counters too).
 */
static void
hist_rate(struct hist *h, json_object *row)
{
	struct rate_ent *e;
	struct hist_val *v;
	char key[512];
	size_t off = 0;
	double up, wall, dt, cur;
	bool isnew;
	int i;

	up = row_num(row, h->h_srcup) / 1e9;
	wall = row_num(row, h->h_srctime);
	off = (size_t)snprintf(key, sizeof(key), "%s", h->h_srcrun < 0 ? "" :
	    json_object_get_string(json_object_array_get_idx(row,
	    (size_t)h->h_srcrun)));
	for (i = 0; i < h->h_ncols && off < sizeof(key); i++)
		if (h->h_cols[i].hc_field != NULL &&
		    h->h_cols[i].hc_field->sf_kind == NBM_STAT_LABEL)
			off += (size_t)snprintf(key + off, sizeof(key) - off,
			    "\037%s", h->h_vals[i].hv_text);
	e = rate_lookup(h, key, &isnew);
	dt = up - e->re_up;
	if (!(dt > 0))
		dt = wall - e->re_wall;
	for (i = 0; i < h->h_ncols; i++) {
		v = &h->h_vals[i];
		if (h->h_cols[i].hc_field == NULL ||
		    h->h_cols[i].hc_field->sf_kind != NBM_STAT_COUNTER ||
		    (v->hv_type != HV_INT && v->hv_type != HV_DOUBLE))
			continue;
		cur = v->hv_num;
		if (isnew || !(dt > 0))
			v->hv_type = HV_NULL;
		else {
			v->hv_type = HV_DOUBLE;
			v->hv_num = (cur - e->re_prev[i]) / dt;
		}
		e->re_prev[i] = cur;
	}
	e->re_up = up;
	e->re_wall = wall;
}

/* Read the current row into h_vals. */
static void
hist_values(struct hist *h, json_object *row)
{
	struct hist_val *v;
	json_object *o;
	int i;

	for (i = 0; i < h->h_ncols; i++) {
		v = &h->h_vals[i];
		o = json_object_array_get_idx(row, (size_t)h->h_cols[i].hc_src);
		switch (json_object_get_type(o)) {
		case json_type_int:
			v->hv_type = HV_INT;
			v->hv_int = json_object_get_int64(o);
			v->hv_num = (double)v->hv_int;
			break;
		case json_type_double:
			v->hv_type = HV_DOUBLE;
			v->hv_num = json_object_get_double(o);
			break;
		case json_type_string:
			v->hv_type = HV_STRING;
			break;
		case json_type_array:
		case json_type_object:
			v->hv_type = HV_JSON;
			break;
		default:
			v->hv_type = HV_NULL;
			break;
		}
		v->hv_text = v->hv_type == HV_STRING ? json_object_get_string(o) :
		    v->hv_type == HV_JSON ? json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN) : NULL;
	}
	/* Labels are keys of the rate table: give numeric ones text too. */
	for (i = 0; i < h->h_ncols; i++) {
		v = &h->h_vals[i];
		if (v->hv_text == NULL) {
			if (v->hv_type == HV_INT)
				snprintf(v->hv_buf, sizeof(v->hv_buf), "%"
				    PRId64, v->hv_int);
			else if (v->hv_type == HV_DOUBLE)
				fmt_num(v->hv_num, v->hv_buf,
				    sizeof(v->hv_buf));
			else
				v->hv_buf[0] = '\0';
			v->hv_text = v->hv_buf;
		}
	}
}

/* ------------------------------------------------------------ stream */

struct stream {
	struct hist	*s_h;		/* the export being read */
	int64_t		 s_id;		/* its request's id */
	json_object	*s_cols;	/* columns of the first chunk */
};

static void
stream_notify(struct client *c, const char *method, json_object *p,
    void *arg)
{
	struct stream *s = arg;
	struct hist *h = s->s_h;
	json_object *rows, *row;
	size_t i, n;

	if (strcmp(method, "history.chunk") != 0 ||
	    jint(p, "request", -1) != s->s_id)
		return;
	if (h->h_cols == NULL) {
		s->s_cols = json_object_get(jget(p, "columns"));
		if (s->s_cols == NULL)
			return;
		hist_columns(h, s->s_cols);
		if (h->h_begin != NULL)
			h->h_begin(h);
	}
	rows = jget(p, "rows");
	n = rows != NULL ? json_object_array_length(rows) : 0;
	for (i = 0; i < n && !h->h_stop; i++) {
		row = json_object_array_get_idx(rows, i);
		if (!json_object_is_type(row, json_type_array) ||
		    json_object_array_length(row) <
		    json_object_array_length(s->s_cols))
			continue;
		hist_values(h, row);
		if (h->h_rate)
			hist_rate(h, row);
		h->h_nrows++;
		h->h_row(h, row);
	}
}

/*
 * hist_stream: run a history.export with params (taken over) and feed
 * each row to h->h_row.
 * => 0, or EXIT_DAEMON with the reason printed.
 */
int
hist_stream(struct ctl *x, struct hist *h, json_object *params)
{
	struct stream s;
	struct rpc_error re;
	json_object *r;
	const char *table = jstr(params, "table", "machine");
	int i;

	memset(&s, 0, sizeof(s));
	s.s_h = h;
	h->h_rec = hist_record(table);
	x->x_cl->c_notify = stream_notify;
	x->x_cl->c_arg = &s;
	s.s_id = client_send(x->x_cl, "history.export", params);
	r = s.s_id == -1 ? NULL : client_wait(x->x_cl, s.s_id, &re);
	x->x_cl->c_notify = NULL;
	if (s.s_id == -1)
		snprintf(re.re_message, sizeof(re.re_message),
		    "nbmemd closed the connection");
	if (r != NULL && h->h_cols == NULL) {
		/* No rows: the end marker still names the columns. */
		hist_columns(h, jget(r, "columns"));
		if (h->h_begin != NULL)
			h->h_begin(h);
	}
	for (i = 0; h->h_cols != NULL && i < h->h_ncols; i++)
		free(h->h_cols[i].hc_name);
	free(h->h_cols);
	free(h->h_vals);
	h->h_cols = NULL;
	h->h_vals = NULL;
	json_object_put(s.s_cols);
	rates_free(h);
	if (r == NULL) {
		if (ctl_interrupted()) {
			fprintf(stderr, "nbmemctl: interrupted\n");
			return EXIT_DAEMON;
		}
		return ctl_rpc_failed(x, "history.export", &re);
	}
	h->h_total = jint(r, "rows", -1);
	json_object_put(r);
	return 0;
}

/* The export parameters common to export, plot and diff. */
json_object *
hist_params(struct ctl *x, const char *table, int64_t run)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "table", json_object_new_string(table));
	if (run > 0)
		json_object_object_add(p, "run", json_object_new_int64(run));
	if (ARGSET(x, ARG_SINCE))
		json_object_object_add(p, "since",
		    proto_time(ARG(x, ARG_SINCE)->pa_num));
	if (ARGSET(x, ARG_UNTIL))
		json_object_object_add(p, "until",
		    proto_time(ARG(x, ARG_UNTIL)->pa_num));
	json_object_object_add(p, "chunk", json_object_new_int(1000));
	return p;
}

/* ------------------------------------------------------------ runs */

int
cmd_history_runs(struct ctl *x)
{
	json_object *p = json_object_new_object(), *r;

	json_object_object_add(p, "limit", json_object_new_int64(
	    ARGSET(x, ARG_LIMIT) ? ARG(x, ARG_LIMIT)->pa_int : 100));
	r = ctl_call(x, "history.runs", p);
	x->x_out->o_runs(x, r);
	json_object_put(r);
	return EXIT_OK;
}

/* hist_last_run: the newest run's id, or 0 with a message. */
int64_t
hist_last_run(struct ctl *x)
{
	json_object *p = json_object_new_object(), *r;
	int64_t run;

	json_object_object_add(p, "limit", json_object_new_int(1));
	r = ctl_call(x, "history.runs", p);
	run = jint(json_object_array_get_idx(jget(r, "runs"), 0), "run", 0);
	json_object_put(r);
	if (run == 0)
		fprintf(stderr, "nbmemctl: the history has no runs yet; boot "
		    "a machine with `nbmemctl machine boot'\n");
	return run;
}

/* ------------------------------------------------------------ export */

struct export {
	struct hist	 e_h;		/* first: the stream */
	FILE		*e_f;		/* where rows go */
	int		 e_format;	/* 0 csv, 1 json, 2 ndjson */
	bool		 e_noheader;	/* -n */
	bool		 e_progress;	/* show progress on stderr */
	double		 e_t0;		/* when it started */
	double		 e_tlast;	/* last progress line */
};

static void
csv_text(FILE *f, const char *s)
{

	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* The value of output column i as JSON or CSV text. */
static void
put_value(struct export *e, int i)
{
	struct hist_val *v = &e->e_h.h_vals[i];
	json_object *s;
	char buf[64];

	switch (v->hv_type) {
	case HV_NULL:
		if (e->e_format != 0)
			fputs("null", e->e_f);
		break;
	case HV_INT:
		fprintf(e->e_f, "%" PRId64, v->hv_int);
		break;
	case HV_DOUBLE:
		fputs(fmt_num(v->hv_num, buf, sizeof(buf)), e->e_f);
		break;
	case HV_JSON:
		if (e->e_format == 0)
			csv_text(e->e_f, v->hv_text);
		else
			fputs(v->hv_text, e->e_f);
		break;
	case HV_STRING:
		if (e->e_format == 0) {
			csv_text(e->e_f, v->hv_text);
			break;
		}
		s = json_object_new_string(v->hv_text);
		fputs(json_object_to_json_string_ext(s,
		    JSON_C_TO_STRING_NOSLASHESCAPE), e->e_f);
		json_object_put(s);
		break;
	}
}

static void
export_begin(struct hist *h)
{
	struct export *e = (struct export *)h;
	int i;

	if (e->e_format == 1)
		fputs("[", e->e_f);
	if (e->e_format != 0 || e->e_noheader)
		return;
	for (i = 0; i < h->h_ncols; i++) {
		if (i > 0)
			fputc(',', e->e_f);
		csv_text(e->e_f, h->h_cols[i].hc_name);
	}
	fputc('\n', e->e_f);
}

static void
export_progress(struct export *e, bool last)
{
	double t = now_mono();

	if (!e->e_progress || (!last && t - e->e_tlast < 0.25))
		return;
	e->e_tlast = t;
	fprintf(stderr, "\rnbmemctl: exported %" PRId64 " rows in %.1f s%s",
	    e->e_h.h_nrows, t - e->e_t0, last ? "\n" : "");
}

static void
export_row(struct hist *h, json_object *row)
{
	struct export *e = (struct export *)h;
	int i;

	if (e->e_format == 1)
		fputs(h->h_nrows > 1 ? ",\n" : "\n", e->e_f);
	if (e->e_format != 0)
		fputc('{', e->e_f);
	for (i = 0; i < h->h_ncols; i++) {
		if (i > 0)
			fputc(',', e->e_f);
		if (e->e_format != 0)
			fprintf(e->e_f, "\"%s\":", h->h_cols[i].hc_name);
		put_value(e, i);
	}
	fputs(e->e_format != 0 ? "}" : "", e->e_f);
	if (e->e_format != 1)
		fputc('\n', e->e_f);
	export_progress(e, false);
}

int
cmd_history_export(struct ctl *x)
{
	struct export e;
	const char *out = ARGSET(x, ARG_OUTPUT) ? ARG(x, ARG_OUTPUT)->pa_str :
	    NULL;
	const char *table = ARGSET(x, ARG_TABLE) ? ARG(x, ARG_TABLE)->pa_str :
	    (ARGSET(x, ARG_POOL) ? "pools" : "machine");
	char *tmp = NULL;
	json_object *p;
	int rv;

	memset(&e, 0, sizeof(e));
	e.e_format = ARGSET(x, ARG_FORMAT) ? (int)ARG(x, ARG_FORMAT)->pa_int :
	    0;
	e.e_noheader = x->x_noheader;
	e.e_h.h_rate = ARGSET(x, ARG_RATE);
	e.e_h.h_begin = export_begin;
	e.e_h.h_row = export_row;
	if (ARGSET(x, ARG_POOL) && strcmp(table, "pools") != 0 &&
	    strcmp(table, "caches") != 0) {
		fprintf(stderr, "nbmemctl: --pool goes with --table pools or "
		    "caches, not %s\n", table);
		return EXIT_USAGE;
	}
	if ((rv = ctl_connect(x)) != 0)
		return rv;
	p = hist_params(x, table, ARGSET(x, ARG_RUN) ?
	    ARG(x, ARG_RUN)->pa_int : 0);
	if (ARGSET(x, ARG_POOL))
		json_object_object_add(p, "name",
		    json_object_new_string(ARG(x, ARG_POOL)->pa_str));
	if (out != NULL && strcmp(out, "-") != 0) {
		xasprintf(&tmp, "%s.tmp", out);
		if ((e.e_f = fopen(tmp, "w")) == NULL) {
			fprintf(stderr, "nbmemctl: -o %s: %s\n", tmp,
			    strerror(errno));
			free(tmp);
			json_object_put(p);
			return EXIT_DAEMON;
		}
	} else
		e.e_f = stdout;
	e.e_progress = is_tty(2) && (e.e_f != stdout || !is_tty(1));
	e.e_t0 = e.e_tlast = now_mono();
	ctl_catch_interrupt(true);
	rv = hist_stream(x, &e.e_h, p);
	ctl_catch_interrupt(false);
	if (rv == 0 && e.e_format == 1)
		fputs(e.e_h.h_nrows > 0 ? "\n]\n" : "]\n", e.e_f);
	if (rv == 0)
		export_progress(&e, true);
	else if (e.e_progress)
		fputc('\n', stderr);
	if (tmp != NULL) {
		if ((fclose(e.e_f) != 0 || rv != 0) && rv == 0) {
			fprintf(stderr, "nbmemctl: -o %s: %s\n", out,
			    strerror(errno));
			rv = EXIT_DAEMON;
		}
		if (rv == 0 && rename(tmp, out) == -1) {
			fprintf(stderr, "nbmemctl: -o %s: %s\n", out,
			    strerror(errno));
			rv = EXIT_DAEMON;
		}
		if (rv != 0)
			unlink(tmp);
		free(tmp);
	}
	return rv;
}

/* ------------------------------------------------------------ diff */

/*
 * history diff: the last sample of each object in each run, compared
 * field by field.  Only the last sample is kept per object.
 */
struct diffobj {
	char		*do_name;	/* label fields */
	double		*do_val[2];	/* last values, by field index */
	bool		 do_seen[2];	/* present in run A, B */
};

struct diff {
	struct hist	 d_h;		/* first: the stream */
	int		 d_side;	/* 0: run A, 1: run B */
	struct diffobj	*d_obj;		/* objects, in first-seen order */
	size_t		 d_nobj;	/* how many */
	const char	*d_pool;	/* --pool */
};

static void
diff_row(struct hist *h, json_object *row)
{
	struct diff *d = (struct diff *)h;
	struct diffobj *o = NULL;
	const struct nbm_stat_field *f;
	char name[256];
	size_t i, off = 0;
	int c;

	name[0] = '\0';
	for (c = 0; c < h->h_ncols; c++) {
		f = h->h_cols[c].hc_field;
		if (f != NULL && f->sf_kind == NBM_STAT_LABEL)
			off += (size_t)snprintf(name + off, off < sizeof(name) ?
			    sizeof(name) - off : 0, "%s%s", off > 0 ? "/" : "",
			    h->h_vals[c].hv_text);
	}
	if (off == 0)
		snprintf(name, sizeof(name), "machine");
	if (d->d_pool != NULL && strcmp(d->d_pool, name) != 0)
		return;
	for (i = 0; i < d->d_nobj; i++)
		if (strcmp(d->d_obj[i].do_name, name) == 0)
			o = &d->d_obj[i];
	if (o == NULL) {
		d->d_obj = xreallocarray(d->d_obj, d->d_nobj + 1,
		    sizeof(*d->d_obj));
		o = &d->d_obj[d->d_nobj++];
		memset(o, 0, sizeof(*o));
		o->do_name = xstrdup(name);
	}
	if (o->do_val[d->d_side] == NULL)
		o->do_val[d->d_side] = xcalloc(h->h_rec->sr_nfields,
		    sizeof(double));
	o->do_seen[d->d_side] = true;
	for (c = 0; c < h->h_ncols; c++) {
		f = h->h_cols[c].hc_field;
		if (f == NULL || f->sf_kind == NBM_STAT_LABEL ||
		    (h->h_vals[c].hv_type != HV_INT &&
		    h->h_vals[c].hv_type != HV_DOUBLE))
			continue;
		o->do_val[d->d_side][f - h->h_rec->sr_fields] =
		    h->h_vals[c].hv_num;
	}
}

static void
diff_print(struct ctl *x, struct diff *d, const char *table, int64_t a,
    int64_t b)
{
	static const struct table_col cols[] = {
		{ "NAME", TB_LEFT }, { "FIELD", TB_LEFT }, { "RUN_A", 0 },
		{ "RUN_B", 0 }, { "DELTA", 0 }, { "CHANGE", 0 },
	};
	const struct nbm_stat_record *rec = hist_record(table);
	const struct nbm_stat_field *f;
	struct table *t = table_new(cols, 6);
	struct diffobj *o;
	char b1[64], b2[64], b3[64];
	double va, vb;
	size_t i, k, nrows = 0;

	for (i = 0; i < d->d_nobj; i++) {
		o = &d->d_obj[i];
		if (!o->do_seen[0] || !o->do_seen[1]) {
			table_row(t);
			nrows++;
			table_cell(t, "%s", o->do_name);
			table_cell(t, "%s", "(only in run)");
			table_cell(t, "%s", o->do_seen[0] ? "yes" : "-");
			table_cell(t, "%s", o->do_seen[1] ? "yes" : "-");
			table_cell(t, "-");
			table_cell(t, "-");
			continue;
		}
		for (k = 0; k < rec->sr_nfields; k++) {
			f = &rec->sr_fields[k];
			if (f->sf_kind == NBM_STAT_LABEL ||
			    strcmp(f->sf_unit, "flags") == 0 ||
			    f->sf_type == NBM_STAT_U64V)
				continue;
			va = o->do_val[0][k];
			vb = o->do_val[1][k];
			if (va == vb && x->x_verbose == 0)
				continue;
			table_row(t);
			nrows++;
			table_cell(t, "%s", o->do_name);
			table_cell(t, "%s", f->sf_name);
			table_cell(t, "%s", fmt_num(va, b1, sizeof(b1)));
			table_cell(t, "%s", fmt_num(vb, b2, sizeof(b2)));
			table_cell(t, "%s%s", vb > va ? "+" : "",
			    fmt_num(vb - va, b3, sizeof(b3)));
			if (va != 0)
				table_cell(t, "%+.1f%%", (vb - va) / va * 100);
			else
				table_cell(t, "%s", vb != 0 ? "new" : "");
		}
	}
	if (!x->x_noheader)
		printf("%s: run %" PRId64 " (A) against run %" PRId64
		    " (B), last samples%s\n", table, a, b, nrows == 0 ?
		    ": no differences" : "");
	if (nrows == 0) {
		table_free(t);
		return;
	}
	table_print(t, stdout, x->x_noheader, NULL);
	table_free(t);
}

/* diff_table: both runs of one table, compared. */
static int
diff_table(struct ctl *x, const char *table, const int64_t *run,
    const char *pool)
{
	struct diff d;
	size_t i;
	int side, rv = 0;

	memset(&d, 0, sizeof(d));
	d.d_h.h_row = diff_row;
	d.d_pool = pool;
	for (side = 0; side < 2 && rv == 0; side++) {
		d.d_side = side;
		rv = hist_stream(x, &d.d_h, hist_params(x, table, run[side]));
	}
	if (rv == 0 && pool != NULL && d.d_nobj == 0) {
		fprintf(stderr, "nbmemctl: --pool %s: no such pool in runs %"
		    PRId64 " and %" PRId64 "; `nbmemctl show pools' lists the "
		    "pools\n", pool, run[0], run[1]);
		rv = EXIT_DAEMON;
	}
	if (rv == 0)
		diff_print(x, &d, table, run[0], run[1]);
	for (i = 0; i < d.d_nobj; i++) {
		free(d.d_obj[i].do_name);
		free(d.d_obj[i].do_val[0]);
		free(d.d_obj[i].do_val[1]);
	}
	free(d.d_obj);
	return rv;
}

/*
 * history diff: the machine's counters, then every pool (or the one of
 * --pool), of two runs.
 */
int
cmd_history_diff(struct ctl *x)
{
	const char *pool = ARGSET(x, ARG_POOL) ? ARG(x, ARG_POOL)->pa_str :
	    NULL;
	bool pools = client_has_method(x->x_cl, "pool.list");
	int64_t run[2];
	int rv;

	run[0] = ARG(x, ARG_RUN_A)->pa_int;
	run[1] = ARG(x, ARG_RUN_B)->pa_int;
	if (pool != NULL && !pools) {
		fprintf(stderr, "nbmemctl: --pool: this nbmemd records no "
		    "pools\n");
		return EXIT_DAEMON;
	}
	if (pool == NULL && (rv = diff_table(x, "machine", run, NULL)) != 0)
		return rv;
	if (!pools)
		return EXIT_OK;
	if (pool == NULL)
		printf("\n");
	return diff_table(x, "pools", run, pool);
}
