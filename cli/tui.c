/*
 * tui.c: nbmemctl top -- a vmstat/slabtop-like live view fed by
 * stats.subscribe.
 *
 * The screen: three header lines (the machine: CPUs, mode, page size,
 * memory free and wired, page daemon activity, interrupts a second,
 * uptime, the running workload and its progress), a line of view tabs
 * with the sort column and the filter, the table of the current view
 * (tui-views.c), and a key line; in the pools view, Enter adds a
 * sparkline of the selected pool's items in use.
 *
 * One loop polls the terminal and the daemon's socket.  The daemon's
 * lines are read as they come: stats.update notifications replace the
 * snapshot (the previous one is kept for rates), and the responses of
 * the requests the loop sends without waiting (machine.info after a new
 * boot, stats.subscribe after an interval change, extent.show for the
 * extents view, workload.status) are matched by id or by shape.  When the
 * connection ends the view keeps the last data, says "daemon gone" and
 * reconnects every second; it never exits on its own.
 *
 * The screen is drawn with erase() and refresh(), which send only what
 * changed (no flicker); KEY_RESIZE redraws at the new size; colours are
 * used only when the terminal has them and NO_COLOR is not set.  SIGINT,
 * SIGTERM and SIGHUP end the loop, and the terminal is restored by
 * endwin() on every way out (an atexit hook covers the rest).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "tui.h"

#define KEY_ESC		27
#define CTRL(c)		((c) & 0x1f)
#define HEADER_LINES	5	/* header, tabs, column titles */

static const double intervals[] = { 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60 };
#define NINTERVALS	(sizeof(intervals) / sizeof(intervals[0]))

static volatile sig_atomic_t tui_quit;

static void
tui_signal(int sig)
{

	(void)sig;
	tui_quit = 1;
}

static void
tui_atexit(void)
{

	if (!isendwin())
		endwin();
}

enum {
	CP_TITLE = 1,	/* the first header line */
	CP_ALERT,	/* daemon gone, machine down */
	CP_SORT,	/* the sort column's title */
	CP_SPARK,	/* the sparkline */
};

static int
attr(struct tui *t, int pair, int fallback)
{

	return t->t_color ? (int)COLOR_PAIR(pair) : fallback;
}

/* ------------------------------------------------------------ sparklines */

const struct spark *
tui_spark(struct tui *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->t_nsparks; i++)
		if (strcmp(t->t_sparks[i].sp_name, name) == 0)
			return &t->t_sparks[i];
	return NULL;
}

/* Add the items in use of every pool of the new snapshot. */
static void
sparks_push(struct tui *t)
{
	json_object *a = jget(t->t_snap, "pools"), *p;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	struct spark *sp;
	const char *name;

	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(a, i);
		name = jstr(p, "wchan", "?");
		if ((sp = (struct spark *)tui_spark(t, name)) == NULL) {
			t->t_sparks = xreallocarray(t->t_sparks,
			    t->t_nsparks + 1, sizeof(*t->t_sparks));
			sp = &t->t_sparks[t->t_nsparks++];
			memset(sp, 0, sizeof(*sp));
			snprintf(sp->sp_name, sizeof(sp->sp_name), "%s", name);
		}
		if (sp->sp_n == TUI_SPARK) {
			memmove(sp->sp_v, sp->sp_v + 1,
			    (TUI_SPARK - 1) * sizeof(double));
			sp->sp_n--;
		}
		sp->sp_v[sp->sp_n++] = jnum(p, "nout", 0);
	}
}

/* ------------------------------------------------------------ daemon */

/* A new snapshot (or the machine down) from a stats.update. */
static void
tui_update(struct tui *t, json_object *p)
{
	json_object *s = jget(p, "snapshot"), *a;
	size_t i, n;

	t->t_updates++;
	if (strcmp(jstr(p, "state", ""), "up") != 0 || s == NULL) {
		snprintf(t->t_down, sizeof(t->t_down), "%s",
		    jstr(p, "message", "no machine is running"));
		return;
	}
	t->t_down[0] = '\0';
	if (t->t_paused)
		return;
	json_object_put(t->t_prev);
	t->t_prev = t->t_snap;
	t->t_snap = json_object_get(s);
	sparks_push(t);
	if (jint(s, "run", 0) != t->t_run && t->t_infoid == 0) {
		t->t_run = jint(s, "run", 0);
		t->t_infoid = client_send(&t->t_cl, "machine.info", NULL);
	}
	if (strcmp(tui_views[t->t_view].tv_name, "extents") == 0) {
		a = jget(s, "extents");
		n = a != NULL ? json_object_array_length(a) : 0;
		for (i = 0; i < n; i++) {
			p = json_object_new_object();
			json_object_object_add(p, "name", json_object_new_string(
			    jstr(json_object_array_get_idx(a, i), "name", "")));
			client_send(&t->t_cl, "extent.show", p);
		}
	}
	if (t->t_wlid == 0 && client_has_method(&t->t_cl, "workload.status"))
		t->t_wlid = client_send(&t->t_cl, "workload.status", NULL);
}

static void
tui_notify(struct client *c, const char *method, json_object *p, void *arg)
{

	if (strcmp(method, "stats.update") == 0)
		tui_update(arg, p);
}

/* A response to a request the loop did not wait for. */
static void
tui_response(struct tui *t, json_object *m)
{
	int64_t id = jint(m, "id", -1);
	json_object *r = jget(m, "result"), *e;

	if (id == t->t_infoid) {
		t->t_infoid = 0;
		if (r != NULL) {
			json_object_put(t->t_info);
			t->t_info = json_object_get(r);
		}
	} else if (id == t->t_wlid) {
		t->t_wlid = 0;
		json_object_put(t->t_workload);
		t->t_workload = r != NULL ? json_object_get(r) : NULL;
	} else if (id == t->t_subid) {
		t->t_subid = 0;
		if (r != NULL)
			t->t_sub = jint(r, "subscription", 0);
	} else if (r != NULL && (e = jget(r, "extent")) != NULL) {
		if (t->t_extents == NULL)
			t->t_extents = json_object_new_object();
		json_object_object_add(t->t_extents, jstr(e, "name", "?"),
		    json_object_get(jget(r, "regions")));
	}
}

static void
tui_lost(struct tui *t, const char *why)
{

	client_close(&t->t_cl);
	t->t_up = false;
	t->t_infoid = t->t_wlid = t->t_subid = 0;
	snprintf(t->t_gone, sizeof(t->t_gone), "%s", why);
	t->t_retry = now_mono() + 1;
}

static json_object *
subscribe_params(struct tui *t)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "interval", proto_number(t->t_interval));
	return p;
}

/*
 * tui_connect: connect, learn the machine and subscribe.
 * => 0, or -1 with *re saying why.
 */
static int
tui_connect(struct tui *t, struct rpc_error *re)
{
	json_object *r;

	if (client_open(&t->t_cl, t->t_x->x_socket, 0, re) != 0)
		return -1;
	t->t_cl.c_notify = tui_notify;
	t->t_cl.c_arg = t;
	if ((r = client_call(&t->t_cl, "machine.info", NULL, re)) == NULL)
		goto fail;
	json_object_put(t->t_info);
	t->t_info = r;
	t->t_run = jint(r, "run", 0);
	if ((r = client_call(&t->t_cl, "stats.subscribe", subscribe_params(t),
	    re)) == NULL)
		goto fail;
	t->t_sub = jint(r, "subscription", 0);
	json_object_put(r);
	t->t_up = true;
	t->t_gone[0] = '\0';
	t->t_attempts = 0;
	return 0;
fail:
	client_close(&t->t_cl);
	return -1;
}

/* Read what the daemon sent, without waiting. */
static void
tui_read(struct tui *t)
{
	json_object *m, *v;
	int rc;

	while (t->t_up && (rc = client_read(&t->t_cl, 0, &m)) != 1) {
		if (rc == -1) {
			tui_lost(t, "the connection closed");
			return;
		}
		if (json_object_object_get_ex(m, "method", &v))
			tui_notify(&t->t_cl, json_object_get_string(v),
			    jget(m, "params"), t);
		else
			tui_response(t, m);
		json_object_put(m);
	}
}

static void
tui_set_interval(struct tui *t, int dir)
{
	size_t i;
	json_object *p;

	for (i = 0; i < NINTERVALS - 1 && intervals[i] < t->t_interval; i++)
		;
	if (dir > 0 && intervals[i] <= t->t_interval && i < NINTERVALS - 1)
		i++;
	else if (dir < 0 && i > 0)
		i--;
	t->t_interval = intervals[i];
	if (!t->t_up)
		return;
	p = json_object_new_object();
	json_object_object_add(p, "subscription",
	    json_object_new_int64(t->t_sub));
	client_send(&t->t_cl, "stats.unsubscribe", p);
	t->t_subid = client_send(&t->t_cl, "stats.subscribe",
	    subscribe_params(t));
}

/* ------------------------------------------------------------ rows */

/* Natural order: digit runs compare as numbers (cpu2 before cpu10). */
static int
natcmp(const char *a, const char *b)
{
	unsigned long long x, y;
	char *ea, *eb;

	while (*a != '\0' && *b != '\0') {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			x = strtoull(a, &ea, 10);
			y = strtoull(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static struct tui *sort_tui;

static int
rowcmp(const void *pa, const void *pb)
{
	const struct trow *a = *(const struct trow *const *)pa;
	const struct trow *b = *(const struct trow *const *)pb;
	struct tviewstate *vs = &sort_tui->t_vs[sort_tui->t_view];
	int c = vs->vs_sort, r;

	if (c == 0 || a->tr_key[c] == b->tr_key[c])
		r = natcmp(a->tr_name, b->tr_name);
	else
		r = a->tr_key[c] < b->tr_key[c] ? -1 : 1;
	return vs->vs_rev ? -r : r;
}

static bool
matches(const char *name, const char *filter)
{
	size_t n = strlen(filter), i;

	if (n == 0)
		return true;
	for (i = 0; name[i] != '\0'; i++)
		if (strncasecmp(name + i, filter, n) == 0)
			return true;
	return false;
}

/*
 * The rows of the current view as shown: filtered, sorted, each with its
 * detail rows after it.  *np gets the number of lines.
 */
static struct trow **
tui_lines(struct tui *t, struct rowset *rs, size_t *np)
{
	struct trow **top, **lines;
	size_t i, k, ntop = 0, n = 0;

	rs->rs_n = 0;
	if (t->t_snap != NULL)
		tui_views[t->t_view].tv_rows(t, rs);
	top = xcalloc(rs->rs_n + 1, sizeof(*top));
	for (i = 0; i < rs->rs_n; i++)
		if (!rs->rs_rows[i].tr_sub &&
		    matches(rs->rs_rows[i].tr_name, t->t_filter))
			top[ntop++] = &rs->rs_rows[i];
	sort_tui = t;
	qsort(top, ntop, sizeof(*top), rowcmp);
	lines = xcalloc(rs->rs_n + 1, sizeof(*lines));
	for (i = 0; i < ntop; i++) {
		lines[n++] = top[i];
		for (k = (size_t)(top[i] - rs->rs_rows) + 1; k < rs->rs_n &&
		    rs->rs_rows[k].tr_sub; k++)
			lines[n++] = &rs->rs_rows[k];
	}
	free(top);
	*np = n;
	return lines;
}

/* ------------------------------------------------------------ drawing */

/* Print at most width columns of s at (y, x), padded. */
static void
put(int y, int x, int width, const char *s, bool left)
{
	int len = (int)strlen(s);

	if (width <= 0 || x >= COLS)
		return;
	if (x + width > COLS)
		width = COLS - x;
	if (len > width)
		len = width;
	if (left)
		mvprintw(y, x, "%-*.*s", width, len, s);
	else
		mvprintw(y, x, "%*.*s", width, len, s);
}

static void
draw_header(struct tui *t)
{
	json_object *m = jget(t->t_snap, "machine"), *c = jget(t->t_info,
	    "config");
	char l[1024], b1[32], b2[32], b3[32], b4[64];
	const char *wst;
	uint64_t ps, free, npages;
	double ir;

	attron(attr(t, CP_TITLE, A_REVERSE));
	if (c != NULL)
		snprintf(l, sizeof(l), "nbmemctl top: run %" PRId64 ", %"
		    PRId64 " CPUs %s, %s pages, %s, up %s", jint(t->t_info,
		    "run", 0), jint(c, "ncpu", 0), jstr(c, "mode", "parallel"),
		    fmt_bytes((uint64_t)jint(c, "page_size", 0), b3,
		    sizeof(b3)), fmt_bytes((uint64_t)jint(c, "physmem", 0),
		    b1, sizeof(b1)), fmt_uptime((uint64_t)jint(t->t_snap,
		    "uptime_ns", 0), b2, sizeof(b2)));
	else
		snprintf(l, sizeof(l), "nbmemctl top: no machine");
	put(0, 0, COLS, l, true);
	attroff(attr(t, CP_TITLE, A_REVERSE));

	if (!t->t_up) {
		attron(attr(t, CP_ALERT, A_BOLD));
		snprintf(l, sizeof(l), "daemon gone (%s); reconnecting, "
		    "attempt %d", t->t_gone, t->t_attempts);
		put(1, 0, COLS, l, true);
		attroff(attr(t, CP_ALERT, A_BOLD));
		snprintf(l, sizeof(l), "socket %s; what is shown is from "
		    "before", t->t_x->x_socket);
		put(2, 0, COLS, l, true);
		return;
	}
	if (t->t_down[0] != '\0') {
		attron(attr(t, CP_ALERT, A_BOLD));
		snprintf(l, sizeof(l), "machine down: %s; `nbmemctl machine "
		    "boot' starts one", t->t_down);
		put(1, 0, COLS, l, true);
		attroff(attr(t, CP_ALERT, A_BOLD));
		return;
	}
	ps = (uint64_t)jint(m, "pagesize", 0);
	free = (uint64_t)jint(m, "free", 0);
	npages = (uint64_t)jint(m, "npages", 0);
	snprintf(l, sizeof(l), "mem %s free (%.0f%%), %s wired, %s kmem  "
	    "pagedaemon %" PRId64 " wakeups, %" PRId64 " pages freed",
	    fmt_bytes(free * ps, b1, sizeof(b1)), npages == 0 ? 0 :
	    100.0 * (double)free / (double)npages,
	    fmt_bytes((uint64_t)jint(m, "wired", 0) * ps, b2, sizeof(b2)),
	    fmt_bytes((uint64_t)jint(m, "kmempages", 0) * ps, b3, sizeof(b3)),
	    jint(m, "pdwoke", 0), jint(m, "pdfreed", 0));
	put(1, 0, COLS, l, true);
	ir = tui_rate(t, "machine", NULL, NULL, "interrupts");
	/* The running workload, or the last one and how it ended. */
	if (t->t_workload != NULL) {
		wst = jstr(t->t_workload, "state", "running");
		if (strcmp(wst, "none") == 0)
			snprintf(b4, sizeof(b4), "none");
		else if (strcmp(wst, "running") == 0)
			snprintf(b4, sizeof(b4), "%s",
			    jstr(t->t_workload, "name", "?"));
		else
			snprintf(b4, sizeof(b4), "%s (%s)",
			    jstr(t->t_workload, "name", "?"), wst);
	}
	snprintf(l, sizeof(l), "intr %s/s, %s in all  workload %s",
	    isnan(ir) ? "-" : fmt_count((uint64_t)(ir + 0.5), b1, sizeof(b1)),
	    fmt_count((uint64_t)jint(m, "interrupts", 0), b2, sizeof(b2)),
	    t->t_workload != NULL ? b4 : "none");
	if (t->t_workload != NULL && jget(t->t_workload, "progress") != NULL &&
	    strcmp(jstr(t->t_workload, "state", ""), "done") != 0)
		snprintf(l + strlen(l), sizeof(l) - strlen(l), " %.0f%%",
		    jnum(t->t_workload, "progress", 0) * 100);
	put(2, 0, COLS, l, true);
}

/* Which columns fit: priority 0 always, then by priority. */
static void
visible(const struct tview *v, bool *vis)
{
	int c, p, used = 0;

	for (c = 0; c < v->tv_ncols; c++) {
		vis[c] = v->tv_cols[c].tc_prio == 0;
		if (vis[c])
			used += v->tv_cols[c].tc_width + 1;
	}
	for (p = 1; p <= 4; p++)
		for (c = 0; c < v->tv_ncols; c++)
			if (v->tv_cols[c].tc_prio == p &&
			    used + v->tv_cols[c].tc_width + 1 <= COLS) {
				vis[c] = true;
				used += v->tv_cols[c].tc_width + 1;
			}
}

static void
draw_tabs(struct tui *t)
{
	const struct tview *v = &tui_views[t->t_view];
	struct tviewstate *vs = &t->t_vs[t->t_view];
	char l[256], b[32];
	int i, x = 0;

	for (i = 0; i < tui_nviews; i++) {
		snprintf(l, sizeof(l), "%d %s", i + 1, tui_views[i].tv_name);
		if (i == t->t_view)
			attron(A_REVERSE | A_BOLD);
		put(3, x, (int)strlen(l), l, true);
		if (i == t->t_view)
			attroff(A_REVERSE | A_BOLD);
		x += (int)strlen(l) + 1;
	}
	snprintf(l, sizeof(l), " sort %s %s  %s%ss", v->tv_cols[vs->vs_sort].
	    tc_title, vs->vs_rev ? "desc" : "asc", t->t_paused ? "PAUSED, " :
	    "every ", fmt_num(t->t_interval, b, sizeof(b)));
	put(3, x, COLS - x, l, true);
}

static void
draw_table(struct tui *t, int top, int bottom)
{
	const struct tview *v = &tui_views[t->t_view];
	struct tviewstate *vs = &t->t_vs[t->t_view];
	struct rowset rs = { NULL, 0, 0 };
	struct trow **lines;
	bool vis[TUI_MAXCOL];
	char title[64];
	size_t n, i, sel = 0;
	int c, x, y, rows = bottom - top;

	visible(v, vis);
	for (c = 0, x = 0; c < v->tv_ncols; c++) {
		if (!vis[c])
			continue;
		snprintf(title, sizeof(title), "%s%s", v->tv_cols[c].tc_title,
		    c == vs->vs_sort ? (vs->vs_rev ? "v" : "^") : "");
		attron(c == vs->vs_sort ? attr(t, CP_SORT, (int)(A_REVERSE |
		    A_BOLD)) : (int)A_REVERSE);
		put(top - 1, x, v->tv_cols[c].tc_width, title,
		    v->tv_cols[c].tc_left);
		attroff(A_REVERSE | A_BOLD | attr(t, CP_SORT, 0));
		attron(A_REVERSE);
		put(top - 1, x + v->tv_cols[c].tc_width, 1, " ", true);
		attroff(A_REVERSE);
		x += v->tv_cols[c].tc_width + 1;
	}
	attron(A_REVERSE);
	put(top - 1, x, COLS - x, "", true);
	attroff(A_REVERSE);

	lines = tui_lines(t, &rs, &n);
	for (i = 0; i < n; i++)
		if (strcmp(lines[i]->tr_name, vs->vs_sel) == 0)
			sel = i;
	if (n > 0)
		snprintf(vs->vs_sel, sizeof(vs->vs_sel), "%s",
		    lines[sel]->tr_name);
	if ((int)sel < vs->vs_top)
		vs->vs_top = (int)sel;
	if ((int)sel >= vs->vs_top + rows)
		vs->vs_top = (int)sel - rows + 1;
	if (vs->vs_top > 0 && (int)n - vs->vs_top < rows)
		vs->vs_top = (int)n - rows > 0 ? (int)n - rows : 0;
	for (y = 0; y < rows && (size_t)(vs->vs_top + y) < n; y++) {
		i = (size_t)(vs->vs_top + y);
		if (i == sel)
			attron(A_REVERSE);
		for (c = 0, x = 0; c < v->tv_ncols; c++) {
			if (!vis[c])
				continue;
			put(top + y, x, v->tv_cols[c].tc_width,
			    lines[i]->tr_cell[c], v->tv_cols[c].tc_left);
			put(top + y, x + v->tv_cols[c].tc_width, 1, " ", true);
			x += v->tv_cols[c].tc_width + 1;
		}
		if (i == sel) {
			put(top + y, x, COLS - x, "", true);
			attroff(A_REVERSE);
		}
	}
	if (n == 0)
		put(top, 0, COLS, t->t_snap == NULL ? "waiting for the "
		    "first update" : t->t_filter[0] != '\0' ? "no row matches "
		    "the filter" : "nothing to show", true);
	free(lines);
	free(rs.rs_rows);
}

/* The sparkline of the open pool: two lines from y. */
static void
draw_spark(struct tui *t, int y)
{
	const struct spark *sp = tui_spark(t, t->t_vs[t->t_view].vs_open);
	char l[256], buf[4 * 512];
	double min, max;
	int i, w = COLS - 2, from;
	static const char *const utf8[] = {
		"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586",
		"\u2587", "\u2588",
	};
	size_t off = 0;

	if (sp == NULL || sp->sp_n == 0)
		return;
	if (w > 512)
		w = 512;
	from = sp->sp_n > w ? sp->sp_n - w : 0;
	min = max = sp->sp_v[from];
	for (i = from; i < sp->sp_n; i++) {
		if (sp->sp_v[i] < min)
			min = sp->sp_v[i];
		if (sp->sp_v[i] > max)
			max = sp->sp_v[i];
	}
	snprintf(l, sizeof(l), "%s items in use, last %d updates: now %.0f, "
	    "min %.0f, max %.0f", sp->sp_name, sp->sp_n - from,
	    sp->sp_v[sp->sp_n - 1], min, max);
	put(y, 0, COLS, l, true);
	for (i = from; i < sp->sp_n; i++) {
		int lvl = max > min ? (int)((sp->sp_v[i] - min) / (max - min) *
		    7.999) : 0;

		if (t->t_utf8)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			    "%s", utf8[lvl]);
		else
			buf[off++] = "_.-:=+*#"[lvl];
		buf[off] = '\0';
	}
	attron(attr(t, CP_SPARK, A_BOLD));
	mvaddstr(y + 1, 1, buf);
	attroff(attr(t, CP_SPARK, A_BOLD));
}

static void
draw_help(struct tui *t)
{
	static const char *const lines[] = {
		"nbmemctl top: keys",
		"",
		"1-6, Tab, left, right   switch view",
		"up, down, j, k, PgUp, PgDn, Home, End   select a row",
		"Enter     details: sparkline (pools), CPUs (caches)",
		"< >       sort by the previous, next column",
		"r         reverse the order",
		"/         filter rows by name (Enter ends, Esc clears)",
		"space, p  pause (the screen keeps what it shows)",
		"+ -       longer, shorter interval between updates",
		"Ctrl-L    redraw",
		"q         quit",
		"",
		"any key closes this help",
	};
	int i, n = (int)(sizeof(lines) / sizeof(lines[0]));
	int w = 60, y0 = (LINES - n - 2) / 2, x0 = (COLS - w) / 2;

	if (y0 < 0)
		y0 = 0;
	if (x0 < 0)
		x0 = 0;
	for (i = -1; i <= n; i++) {
		attron(A_REVERSE);
		put(y0 + i + 1, x0, w, "", true);
		if (i >= 0 && i < n)
			put(y0 + i + 1, x0 + 2, w - 4, lines[i], true);
		attroff(A_REVERSE);
	}
}

static void
tui_draw(struct tui *t)
{
	bool spark = t->t_vs[t->t_view].vs_open[0] != '\0' &&
	    strcmp(tui_views[t->t_view].tv_name, "pools") == 0;
	int bottom = LINES - 1 - (spark ? 2 : 0);
	char l[256];

	erase();
	if (LINES < HEADER_LINES + 3 || COLS < 40) {
		put(0, 0, COLS, "nbmemctl top: the terminal is too small",
		    true);
		refresh();
		return;
	}
	draw_header(t);
	draw_tabs(t);
	draw_table(t, HEADER_LINES, bottom);
	if (spark)
		draw_spark(t, bottom);
	if (t->t_editing || t->t_filter[0] != '\0') {
		snprintf(l, sizeof(l), "filter /%s%s  %s", t->t_filter,
		    t->t_editing ? "_" : "", t->t_editing ? "Enter ends, Esc "
		    "clears" : "Esc clears, / changes");
		put(LINES - 1, 0, COLS, l, true);
	} else
		put(LINES - 1, 0, COLS, "q quit  h help  1-6 views  < > sort  "
		    "r reverse  / filter  space pause  + - interval  Enter "
		    "details", true);
	if (t->t_help)
		draw_help(t);
	refresh();
}

/* ------------------------------------------------------------ keys */

/* Move the selection by delta rows of the current view. */
static void
tui_select(struct tui *t, int delta)
{
	struct tviewstate *vs = &t->t_vs[t->t_view];
	struct rowset rs = { NULL, 0, 0 };
	struct trow **lines;
	size_t n, i, sel = 0;
	long to;

	lines = tui_lines(t, &rs, &n);
	for (i = 0; i < n; i++)
		if (strcmp(lines[i]->tr_name, vs->vs_sel) == 0)
			sel = i;
	to = (long)sel + delta;
	if (to < 0)
		to = 0;
	if (n > 0 && to >= (long)n)
		to = (long)n - 1;
	if (n > 0)
		snprintf(vs->vs_sel, sizeof(vs->vs_sel), "%s",
		    lines[to]->tr_name);
	free(lines);
	free(rs.rs_rows);
}

/* After the order changed: the first row, at the top. */
static void
tui_select_first(struct tui *t)
{

	t->t_vs[t->t_view].vs_top = 0;
	t->t_vs[t->t_view].vs_sel[0] = '\0';
}

static void
tui_key(struct tui *t, int ch)
{
	struct tviewstate *vs = &t->t_vs[t->t_view];
	const struct tview *v = &tui_views[t->t_view];
	size_t len;

	if (t->t_help) {
		t->t_help = false;
		return;
	}
	if (t->t_editing) {
		len = strlen(t->t_filter);
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
			t->t_editing = false;
		else if (ch == KEY_ESC) {
			t->t_editing = false;
			t->t_filter[0] = '\0';
		} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) &&
		    len > 0)
			t->t_filter[len - 1] = '\0';
		else if (ch >= ' ' && ch < 127 && len + 1 < sizeof(t->t_filter)) {
			t->t_filter[len] = (char)ch;
			t->t_filter[len + 1] = '\0';
		}
		vs->vs_top = 0;
		return;
	}
	switch (ch) {
	case 'q':
	case 'Q':
		tui_quit = 1;
		break;
	case 'h':
	case '?':
		t->t_help = true;
		break;
	case '\t':
	case KEY_RIGHT:
		t->t_view = (t->t_view + 1) % tui_nviews;
		break;
	case KEY_BTAB:
	case KEY_LEFT:
		t->t_view = (t->t_view + tui_nviews - 1) % tui_nviews;
		break;
	case '>':
		vs->vs_sort = (vs->vs_sort + 1) % v->tv_ncols;
		vs->vs_rev = vs->vs_sort != 0;
		tui_select_first(t);
		break;
	case '<':
		vs->vs_sort = (vs->vs_sort + v->tv_ncols - 1) % v->tv_ncols;
		vs->vs_rev = vs->vs_sort != 0;
		tui_select_first(t);
		break;
	case 'r':
		vs->vs_rev = !vs->vs_rev;
		tui_select_first(t);
		break;
	case '/':
		t->t_editing = true;
		break;
	case KEY_ESC:
		t->t_filter[0] = '\0';
		break;
	case ' ':
	case 'p':
		t->t_paused = !t->t_paused;
		break;
	case '+':
	case '=':
		tui_set_interval(t, 1);
		break;
	case '-':
		tui_set_interval(t, -1);
		break;
	case KEY_UP:
	case 'k':
		tui_select(t, -1);
		break;
	case KEY_DOWN:
	case 'j':
		tui_select(t, 1);
		break;
	case KEY_PPAGE:
		tui_select(t, -(LINES - HEADER_LINES - 2));
		break;
	case KEY_NPAGE:
		tui_select(t, LINES - HEADER_LINES - 2);
		break;
	case KEY_HOME:
		tui_select(t, -1000000);
		break;
	case KEY_END:
		tui_select(t, 1000000);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (strcmp(vs->vs_open, vs->vs_sel) == 0)
			vs->vs_open[0] = '\0';
		else
			memcpy(vs->vs_open, vs->vs_sel, sizeof(vs->vs_open));
		break;
	case CTRL('l'):
		clearok(curscr, TRUE);
		break;
	default:
		if (ch >= '1' && ch < '1' + tui_nviews)
			t->t_view = ch - '1';
		break;
	}
}

/* ------------------------------------------------------------ main */

int
cmd_top(struct ctl *x)
{
	static struct tui tt;
	struct tui *t = &tt;
	struct rpc_error re;
	struct pollfd pfd[2];
	struct sigaction sa;
	const char *nc;
	int i, ch, timeout;

	memset(t, 0, sizeof(*t));
	t->t_x = x;
	t->t_cl.c_fd = -1;
	t->t_interval = ARGSET(x, ARG_INTERVAL) ? ARG(x, ARG_INTERVAL)->pa_num :
	    1;
	if (t->t_interval < 0.1)
		t->t_interval = 0.1;
	if (ARGSET(x, ARG_VIEW))
		t->t_view = (int)ARG(x, ARG_VIEW)->pa_int;
	for (i = 0; i < tui_nviews; i++) {
		t->t_vs[i].vs_sort = tui_views[i].tv_sort;
		t->t_vs[i].vs_rev = tui_views[i].tv_rev;
	}
	if (!is_tty(0) || !is_tty(1)) {
		fprintf(stderr, "nbmemctl: top needs a terminal on standard "
		    "input and output; for a table use `nbmemctl show pools' "
		    "or `nbmemctl vmstat -m -w 1'\n");
		return EXIT_USAGE;
	}
	if (tui_connect(t, &re) != 0) {
		x->x_cl = &t->t_cl;
		return ctl_rpc_failed(x, "stats.subscribe", &re);
	}

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = tui_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	setlocale(LC_ALL, "");
	t->t_utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	nc = getenv("NO_COLOR");
	atexit(tui_atexit);
	set_escdelay(25);
	initscr();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	t->t_color = has_colors() && (nc == NULL || *nc == '\0');
	if (t->t_color) {
		start_color();
		use_default_colors();
		init_pair(CP_TITLE, COLOR_BLACK, COLOR_CYAN);
		init_pair(CP_ALERT, COLOR_RED, -1);
		init_pair(CP_SORT, COLOR_BLACK, COLOR_YELLOW);
		init_pair(CP_SPARK, COLOR_GREEN, -1);
	}

	while (!tui_quit) {
		tui_draw(t);
		pfd[0].fd = 0;
		pfd[0].events = POLLIN;
		pfd[1].fd = t->t_up ? t->t_cl.c_fd : -1;
		pfd[1].events = POLLIN;
		timeout = t->t_up ? 1000 : (int)((t->t_retry - now_mono()) *
		    1000) + 1;
		if (timeout < 0)
			timeout = 0;
		if (poll(pfd, 2, timeout) == -1 && errno != EINTR)
			break;
		while ((ch = getch()) != ERR)
			tui_key(t, ch);
		if (t->t_up && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			tui_read(t);
		if (!t->t_up && now_mono() >= t->t_retry) {
			t->t_attempts++;
			if (tui_connect(t, &re) != 0) {
				snprintf(t->t_gone, sizeof(t->t_gone), "%s",
				    re.re_message);
				t->t_retry = now_mono() + 1;
			}
		}
	}
	endwin();
	client_close(&t->t_cl);
	json_object_put(t->t_snap);
	json_object_put(t->t_prev);
	json_object_put(t->t_info);
	json_object_put(t->t_workload);
	json_object_put(t->t_extents);
	free(t->t_sparks);
	return EXIT_OK;
}
