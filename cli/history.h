/*
 * history.h: reading history.export streams (history.c), shared by the
 * export, plot (plot.c) and diff commands.
 */
#ifndef NBMCTL_HISTORY_H
#define NBMCTL_HISTORY_H

#include <nbmem/stats.h>

/* A value of the current row. */
enum hv_type { HV_NULL, HV_INT, HV_DOUBLE, HV_STRING, HV_JSON };

struct hist_val {
	enum hv_type	 hv_type;	/* what it holds */
	int64_t		 hv_int;	/* HV_INT */
	double		 hv_num;	/* HV_INT and HV_DOUBLE */
	const char	*hv_text;	/* strings, JSON text, numbers */
	char		 hv_buf[40];	/* hv_text of a number */
};

/* An output column: a daemon column, and its field if it is one. */
struct hist_col {
	char		*hc_name;	/* the field table's name */
	int		 hc_src;	/* index in the daemon's columns */
	const struct nbm_stat_field *hc_field; /* NULL: a key column */
};

struct rate_ent;

/*
 * One export being read.  The commands embed it first in their own state
 * and set h_begin, h_row and h_rate; hist_stream() fills the rest.
 */
struct hist {
	void	(*h_begin)(struct hist *);	/* columns known */
	void	(*h_row)(struct hist *, json_object *); /* h_vals is a row */
	bool	 h_rate;			/* counters as rates */
	bool	 h_stop;			/* skip the remaining rows */
	const struct nbm_stat_record *h_rec;	/* the record type, or NULL */
	struct hist_col	*h_cols;		/* output columns */
	int	 h_ncols;			/* how many */
	struct hist_val	*h_vals;		/* the current row */
	int	 h_srcrun;			/* daemon column "run" */
	int	 h_srcup;			/* "uptime_ns" */
	int	 h_srctime;			/* "time" */
	int64_t	 h_nrows;			/* rows so far */
	int64_t	 h_total;			/* rows, from the end marker */
	struct rate_ent	*h_rates;		/* previous samples */
	size_t	 h_nrates;			/* entries used */
	size_t	 h_ratesize;			/* entries allocated */
};

const struct nbm_stat_record *hist_record(const char *table);
const struct nbm_stat_field *hist_field(const struct nbm_stat_record *,
	    const char *);
int	hist_stream(struct ctl *, struct hist *, json_object *params);
json_object *hist_params(struct ctl *, const char *table, int64_t run);
int64_t	hist_last_run(struct ctl *);

#endif /* NBMCTL_HISTORY_H */
