/*
 * tui.h: nbmemctl top, the live view (tui.c: screen, keys, connection;
 * tui-views.c: the tables).
 */
#ifndef NBMCTL_TUI_H
#define NBMCTL_TUI_H

#include "nbmemctl.h"

#define TUI_MAXCOL	16	/* columns a view may have */
#define TUI_CELL	40	/* bytes of a cell's text */
#define TUI_NAME	48	/* bytes of a row's name */
#define TUI_SPARK	240	/* samples kept for a sparkline */

/* A column of a view. */
struct tcol {
	const char	*tc_title;	/* header text */
	int		 tc_width;	/* columns it takes */
	int		 tc_prio;	/* 0 always shown; higher drop first */
	int		 tc_left;	/* left-justified */
};

/* A row: its cells' text and the numbers they sort by. */
struct trow {
	char		 tr_name[TUI_NAME];	/* key; filter matches it */
	char		 tr_cell[TUI_MAXCOL][TUI_CELL]; /* texts */
	double		 tr_key[TUI_MAXCOL];	/* sort values */
	int		 tr_sub;		/* a detail row under the last */
};

struct rowset {
	struct trow	*rs_rows;	/* the rows */
	size_t		 rs_n;		/* how many */
	size_t		 rs_cap;	/* allocated */
};

struct tui;

/* A view: its columns and the function that makes its rows. */
struct tview {
	const char	*tv_name;	/* tab label */
	const struct tcol *tv_cols;	/* columns; the first is the name */
	int		 tv_ncols;	/* how many */
	int		 tv_sort;	/* default sort column */
	int		 tv_rev;	/* default: descending */
	void		(*tv_rows)(struct tui *, struct rowset *);
	const char	*tv_enter;	/* what Enter does, for the help */
};

/* A ring of a pool's recent values, for its sparkline. */
struct spark {
	char		 sp_name[TUI_NAME];	/* the pool */
	double		 sp_v[TUI_SPARK];	/* values, oldest first */
	int		 sp_n;			/* how many */
};

/* Per-view state. */
struct tviewstate {
	int		 vs_sort;		/* column sorted by */
	int		 vs_rev;		/* descending */
	int		 vs_top;		/* first row shown */
	char		 vs_sel[TUI_NAME];	/* selected row's name */
	char		 vs_open[TUI_NAME];	/* row with details shown */
};

struct tui {
	struct ctl	*t_x;		/* options */
	struct client	 t_cl;		/* the connection */
	bool		 t_up;		/* connected and subscribed */
	double		 t_retry;	/* when to reconnect */
	int		 t_attempts;	/* reconnections tried */
	char		 t_gone[512];	/* why the daemon is gone */
	int64_t		 t_subid;	/* id of the stats.subscribe request */
	int64_t		 t_sub;		/* the subscription */
	int64_t		 t_infoid;	/* id of a pending machine.info */
	int64_t		 t_wlid;	/* id of a pending workload.status */
	int64_t		 t_run;		/* run of the current info */
	json_object	*t_info;	/* machine.info */
	json_object	*t_workload;	/* workload.status, or NULL */
	json_object	*t_snap;	/* the latest snapshot */
	json_object	*t_prev;	/* the one before, for rates */
	json_object	*t_extents;	/* extent name -> regions */
	char		 t_down[256];	/* machine down: why */
	double		 t_interval;	/* seconds between updates */
	int		 t_view;	/* index into tui_views */
	struct tviewstate t_vs[8];	/* per view */
	char		 t_filter[64];	/* rows shown contain this */
	bool		 t_editing;	/* typing the filter */
	bool		 t_paused;	/* updates not shown */
	bool		 t_help;	/* the help screen */
	bool		 t_color;	/* colours (not NO_COLOR) */
	bool		 t_utf8;	/* block characters available */
	struct spark	*t_sparks;	/* per pool */
	size_t		 t_nsparks;
	uint64_t	 t_updates;	/* stats.update received */
};

extern const struct tview tui_views[];
extern const int tui_nviews;

/* tui-views.c helpers for rows. */
struct trow *rowset_add(struct rowset *, const char *name);
json_object *tui_find(json_object *array, const char *key,
	    const char *name);
double	tui_rate(struct tui *, const char *section, const char *key,
	    const char *name, const char *field);
const struct spark *tui_spark(struct tui *, const char *name);

#endif /* NBMCTL_TUI_H */
