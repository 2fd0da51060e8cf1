/*
 * plot.c: history plot -- an SVG line chart of fields of a pool (or of
 * the machine's counters) over one run, written without any library.
 *
 * The chart has a title, a y axis and an x axis (seconds since boot) with
 * round tick values (1, 2 or 5 times a power of ten), grid lines, one
 * polyline per field, and a legend.  A field's missing values (a rate's
 * first sample) break its line.  A long run is thinned to at most the
 * smallest and largest value of each pixel column, in order, so that the
 * file stays small and no peak is lost.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbmemctl.h"
#include "history.h"

#define PLOT_W		900	/* the whole image */
#define PLOT_H		500
#define PLOT_L		90	/* margins around the plot area */
#define PLOT_R		30
#define PLOT_T		60
#define PLOT_B		60
#define PLOT_MAXF	8	/* fields on one chart */

static const char *const palette[PLOT_MAXF] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
	"#e377c2", "#17becf",
};

struct plot {
	struct hist	 p_h;		/* first: the stream */
	const char	*p_pool;	/* --pool, or NULL */
	const struct nbm_stat_field *p_f[PLOT_MAXF]; /* the fields */
	int		 p_nf;		/* how many */
	int		 p_col[PLOT_MAXF]; /* their output columns */
	double		*p_x;		/* seconds since boot, by point */
	double		*p_y;		/* p_nf values a point (NAN: none) */
	size_t		 p_n;		/* points */
	size_t		 p_cap;		/* allocated */
	double		 p_t0;		/* first sample time, no uptime */
};

static void
plot_begin(struct hist *h)
{
	struct plot *p = (struct plot *)h;
	int i, c;

	for (i = 0; i < p->p_nf; i++) {
		p->p_col[i] = -1;
		for (c = 0; c < h->h_ncols; c++)
			if (h->h_cols[c].hc_field == p->p_f[i])
				p->p_col[i] = c;
	}
}

static void
plot_row(struct hist *h, json_object *row)
{
	struct plot *p = (struct plot *)h;
	const struct nbm_stat_field *f;
	struct hist_val *v;
	double x;
	int i, c;

	for (c = 0; p->p_pool != NULL && c < h->h_ncols; c++) {
		f = h->h_cols[c].hc_field;
		if (f != NULL && f->sf_kind == NBM_STAT_LABEL &&
		    f->sf_type == NBM_STAT_STR &&
		    strcmp(h->h_vals[c].hv_text, p->p_pool) != 0)
			return;
	}
	if (h->h_srcup >= 0)
		x = json_object_get_double(json_object_array_get_idx(row,
		    (size_t)h->h_srcup)) / 1e9;
	else {
		x = json_object_get_double(json_object_array_get_idx(row,
		    (size_t)h->h_srctime));
		if (p->p_n == 0)
			p->p_t0 = x;
		x -= p->p_t0;
	}
	if (p->p_n == p->p_cap) {
		p->p_cap = p->p_cap == 0 ? 1024 : p->p_cap * 2;
		p->p_x = xreallocarray(p->p_x, p->p_cap, sizeof(double));
		p->p_y = xreallocarray(p->p_y, p->p_cap,
		    (size_t)p->p_nf * sizeof(double));
	}
	p->p_x[p->p_n] = x;
	for (i = 0; i < p->p_nf; i++) {
		v = p->p_col[i] >= 0 ? &h->h_vals[p->p_col[i]] : NULL;
		p->p_y[p->p_n * (size_t)p->p_nf + (size_t)i] = v == NULL ||
		    (v->hv_type != HV_INT && v->hv_type != HV_DOUBLE) ? NAN :
		    v->hv_num;
	}
	p->p_n++;
}

/* A round step for about n ticks over range: 1, 2 or 5 times 10^k. */
static double
nice_step(double range, int n)
{
	double raw = range / n, mag = pow(10, floor(log10(raw))), r = raw / mag;

	if (r <= 1)
		return mag;
	if (r <= 2)
		return 2 * mag;
	if (r <= 5)
		return 5 * mag;
	return 10 * mag;
}

static void
xml_text(FILE *f, const char *s)
{

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* A tick label: 1500000 as 1.5M, 0.25 as 0.25. */
static const char *
tick_label(double v, char *buf, size_t len)
{
	static const char units[] = " KMGTPE";
	int u = 0;

	while (fabs(v) >= 1000 && u < 6) {
		v /= 1000;
		u++;
	}
	fmt_num(round(v * 1000) / 1000, buf, len);
	if (u > 0)
		snprintf(buf + strlen(buf), len - strlen(buf), "%c", units[u]);
	return buf;
}

/* The points of one pixel column of a line, not yet drawn. */
struct thin {
	FILE		*th_f;		/* the SVG */
	struct plot	*th_p;		/* the data */
	int		 th_k;		/* the field */
	double		 th_xmin, th_xmax, th_ymin, th_ymax; /* the scales */
	double		 th_pw, th_ph;	/* plot area */
	bool		 th_pen;	/* the line goes on (L, not M) */
	int		 th_col;	/* pixel column, -1: none */
	size_t		 th_min;	/* its smallest value's point */
	size_t		 th_max;	/* its largest */
};

/* Draw the column's smallest and largest value, in time order. */
static void
thin_flush(struct thin *th)
{
	struct plot *p = th->th_p;
	size_t pts[2], m, npts;
	double x, y;

	if (th->th_col == -1)
		return;
	pts[0] = th->th_min < th->th_max ? th->th_min : th->th_max;
	pts[1] = th->th_min < th->th_max ? th->th_max : th->th_min;
	npts = pts[0] == pts[1] ? 1 : 2;
	for (m = 0; m < npts; m++) {
		x = p->p_x[pts[m]];
		y = p->p_y[pts[m] * (size_t)p->p_nf + (size_t)th->th_k];
		fprintf(th->th_f, "%s%.1f %.1f ", th->th_pen ? "L" : "M",
		    PLOT_L + (x - th->th_xmin) / (th->th_xmax - th->th_xmin) *
		    th->th_pw, PLOT_T + th->th_ph - (y - th->th_ymin) /
		    (th->th_ymax - th->th_ymin) * th->th_ph);
		th->th_pen = true;
	}
	th->th_col = -1;
}

static void
plot_svg(FILE *f, struct plot *p, const char *title, const char *ylabel)
{
	const double pw = PLOT_W - PLOT_L - PLOT_R, ph = PLOT_H - PLOT_T -
	    PLOT_B;
	double xmin = 0, xmax = 1, ymin = 0, ymax = 1, y, step, v, px, py;
	size_t i;
	bool any = false;
	char b[64];
	int k, col;

	if (p->p_n > 0) {
		xmin = p->p_x[0];
		xmax = p->p_x[p->p_n - 1];
		if (xmax <= xmin)
			xmax = xmin + 1;
	}
	for (i = 0; i < p->p_n * (size_t)p->p_nf; i++) {
		if (isnan(y = p->p_y[i]))
			continue;
		if (!any || y > ymax)
			ymax = y;
		if (!any || y < ymin)
			ymin = y;
		any = true;
	}
	if (ymin > 0)
		ymin = 0;
	if (ymax <= ymin)
		ymax = ymin + 1;
	step = nice_step(ymax - ymin, 5);
	ymax = ceil(ymax / step) * step;
	ymin = floor(ymin / step) * step;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
	    "font-size=\"12\">\n", PLOT_W, PLOT_H, PLOT_W, PLOT_H);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	    "<text x=\"%d\" y=\"24\" font-size=\"16\" text-anchor=\"middle\">",
	    PLOT_W / 2);
	xml_text(f, title);
	fprintf(f, "</text>\n");

	/* Y grid, ticks and labels. */
	for (v = ymin; v <= ymax + step / 2; v += step) {
		py = PLOT_T + ph - (v - ymin) / (ymax - ymin) * ph;
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#ddd\"/>\n<text x=\"%d\" y=\"%.1f\" "
		    "text-anchor=\"end\">%s</text>\n", PLOT_L, py, PLOT_L + pw,
		    py, PLOT_L - 6, py + 4, tick_label(v, b, sizeof(b)));
	}
	/* X grid, ticks and labels. */
	step = nice_step(xmax - xmin, 8);
	for (v = ceil(xmin / step) * step; v <= xmax + step / 1e6; v += step) {
		px = PLOT_L + (v - xmin) / (xmax - xmin) * pw;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#eee\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"middle\">%s</text>\n", px, PLOT_T, px,
		    PLOT_T + ph, px, PLOT_T + ph + 18,
		    tick_label(v, b, sizeof(b)));
	}
	/* Axes and their labels. */
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\" "
	    "stroke=\"black\"/>\n<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" "
	    "y2=\"%.1f\" stroke=\"black\"/>\n", PLOT_L, PLOT_T, PLOT_L,
	    PLOT_T + ph, PLOT_L, PLOT_T + ph, PLOT_L + pw, PLOT_T + ph);
	fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">seconds "
	    "since boot</text>\n", PLOT_L + pw / 2, PLOT_H - 14);
	fprintf(f, "<text transform=\"translate(18 %.1f) rotate(-90)\" "
	    "text-anchor=\"middle\">", PLOT_T + ph / 2);
	xml_text(f, ylabel);
	fprintf(f, "</text>\n");

	/* One path a field, thinned to min and max of each pixel column. */
	for (k = 0; k < p->p_nf; k++) {
		struct thin th = { f, p, k, xmin, xmax, ymin, ymax, pw, ph,
		    false, -1, 0, 0 };

		fprintf(f, "<path fill=\"none\" stroke=\"%s\" "
		    "stroke-width=\"1.5\" d=\"", palette[k]);
		for (i = 0; i < p->p_n; i++) {
			y = p->p_y[i * (size_t)p->p_nf + (size_t)k];
			col = (int)((p->p_x[i] - xmin) / (xmax - xmin) * pw);
			if (isnan(y) || col != th.th_col)
				thin_flush(&th);
			if (isnan(y)) {
				th.th_pen = false;
				continue;
			}
			if (th.th_col == -1) {
				th.th_col = col;
				th.th_min = th.th_max = i;
			} else if (y < p->p_y[th.th_min * (size_t)p->p_nf +
			    (size_t)k])
				th.th_min = i;
			else if (y > p->p_y[th.th_max * (size_t)p->p_nf +
			    (size_t)k])
				th.th_max = i;
		}
		thin_flush(&th);
		fprintf(f, "\"/>\n");
	}

	/* The legend, top right inside the plot. */
	for (k = 0; k < p->p_nf; k++) {
		py = PLOT_T + 14 + 18 * k;
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>\n"
		    "<text x=\"%.1f\" y=\"%.1f\">", PLOT_L + pw - 200, py - 4,
		    PLOT_L + pw - 176, py - 4, palette[k], PLOT_L + pw - 170,
		    py);
		xml_text(f, p->p_f[k]->sf_name);
		fprintf(f, " (");
		xml_text(f, p->p_f[k]->sf_descr);
		fprintf(f, ")</text>\n");
	}
	if (p->p_n == 0)
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
		    "no samples</text>\n", PLOT_L + pw / 2, PLOT_T + ph / 2);
	fprintf(f, "</svg>\n");
}

/* Say which fields a record has that can be plotted. */
static void
list_fields(const struct nbm_stat_record *rec)
{
	size_t i;
	int n = 0;

	for (i = 0; i < rec->sr_nfields; i++) {
		if (rec->sr_fields[i].sf_kind == NBM_STAT_LABEL ||
		    rec->sr_fields[i].sf_type == NBM_STAT_U64V ||
		    strcmp(rec->sr_fields[i].sf_unit, "flags") == 0)
			continue;
		fprintf(stderr, "%s%s", n++ == 0 ? "" : ", ",
		    rec->sr_fields[i].sf_name);
	}
	fputc('\n', stderr);
}

int
cmd_history_plot(struct ctl *x)
{
	static const char *const pool_dflt[] = { "nout", "nitems" };
	static const char *const machine_dflt[] = { "free", "wired" };
	struct plot p;
	const struct parse_arg *fa = ARG(x, ARG_FIELD);
	const struct nbm_stat_record *rec;
	const char *out, *table, *const *names;
	char title[256], ylabel[128], *tmp;
	int64_t run;
	json_object *params;
	FILE *f;
	int i, n, rv;

	if (!ARGSET(x, ARG_OUTPUT)) {
		fprintf(stderr, "nbmemctl: history plot needs -o FILE.svg, "
		    "the file to write the chart to\n");
		return EXIT_USAGE;
	}
	out = ARG(x, ARG_OUTPUT)->pa_str;
	memset(&p, 0, sizeof(p));
	p.p_pool = ARGSET(x, ARG_POOL) ? ARG(x, ARG_POOL)->pa_str : NULL;
	table = p.p_pool != NULL ? "pools" : "machine";
	rec = hist_record(table);
	if (fa->pa_nlist > 0) {
		names = fa->pa_list;
		n = fa->pa_nlist;
	} else {
		names = p.p_pool != NULL ? pool_dflt : machine_dflt;
		n = 2;
	}
	if (n > PLOT_MAXF) {
		fprintf(stderr, "nbmemctl: --field: at most %d fields on one "
		    "chart\n", PLOT_MAXF);
		return EXIT_USAGE;
	}
	for (i = 0; i < n; i++) {
		p.p_f[i] = hist_field(rec, names[i]);
		if (p.p_f[i] == NULL || p.p_f[i]->sf_kind == NBM_STAT_LABEL ||
		    p.p_f[i]->sf_type == NBM_STAT_U64V) {
			fprintf(stderr, "nbmemctl: --field %s: %s has no such "
			    "field to plot; give one of: ", names[i],
			    p.p_pool != NULL ? "a pool" : "the machine");
			list_fields(rec);
			return EXIT_USAGE;
		}
	}
	p.p_nf = n;
	if ((rv = ctl_connect(x)) != 0)
		return rv;
	if (p.p_pool != NULL)
		ctl_need_method(x, "pool.list");
	run = ARGSET(x, ARG_RUN) ? ARG(x, ARG_RUN)->pa_int : hist_last_run(x);
	if (run == 0)
		return EXIT_DAEMON;
	p.p_h.h_begin = plot_begin;
	p.p_h.h_row = plot_row;
	p.p_h.h_rate = ARGSET(x, ARG_RATE);
	params = hist_params(x, table, run);
	if (p.p_pool != NULL)
		json_object_object_add(params, "name",
		    json_object_new_string(p.p_pool));
	if ((rv = hist_stream(x, &p.p_h, params)) != 0)
		goto out;
	if (p.p_pool != NULL && p.p_n == 0) {
		fprintf(stderr, "nbmemctl: --pool %s: no samples of such a "
		    "pool in run %" PRId64 "; `nbmemctl show pools' lists "
		    "the pools\n", p.p_pool, run);
		rv = EXIT_DAEMON;
		goto out;
	}
	snprintf(title, sizeof(title), "%s%s, run %" PRId64,
	    p.p_pool != NULL ? "pool " : "machine", p.p_pool != NULL ?
	    p.p_pool : "", run);
	snprintf(ylabel, sizeof(ylabel), "%s%s", *p.p_f[0]->sf_unit != '\0' ?
	    p.p_f[0]->sf_unit : "count", p.p_h.h_rate ? " (counters: a "
	    "second)" : "");
	xasprintf(&tmp, "%s.tmp", out);
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "nbmemctl: -o %s: %s\n", tmp, strerror(errno));
		free(tmp);
		rv = EXIT_DAEMON;
		goto out;
	}
	plot_svg(f, &p, title, ylabel);
	if (fclose(f) != 0 || rename(tmp, out) == -1) {
		fprintf(stderr, "nbmemctl: -o %s: %s\n", out, strerror(errno));
		unlink(tmp);
		rv = EXIT_DAEMON;
	} else if (!x->x_json)
		printf("wrote %s: %s, %zu samples\n", out, title, p.p_n);
	free(tmp);
out:
	free(p.p_x);
	free(p.p_y);
	return rv;
}
