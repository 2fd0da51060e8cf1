/*
 * cmd-history.c: history.runs, events.list and history.export -- reading
 * the history database.
 *
 * history.runs and events.list answer with at most NBMD_ROWS_MAX rows and
 * a cursor for the next call ("before" and "since").
 *
 * history.export streams a table without holding it -- the samples with
 * the machine counters, or with the rows of each pool, cache and CPU,
 * arena or extent, or the events; optionally of one run, one object and a
 * time range -- as arrays, objects or CSV text.  Each step reads the next
 * chunk by key (keyset pagination, "WHERE key > last ... LIMIT n"),
 * so that no read transaction stays open between steps, and sends it as a
 * history.chunk notification; while the client's output is above
 * NBMD_OUT_HIWAT the export waits for it to drain (control.c calls
 * rq_resume).  The export's response comes after its last chunk and is
 * the end marker, with the totals.  Exports write nothing but the client's
 * socket; no request names a file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "nbmemd.h"

#define HISTORY_MAXID	9007199254740991.0	/* 2^53 - 1 */

static enum cmd_retval cmd_history_runs_exec(struct request *);
static enum cmd_retval cmd_events_list_exec(struct request *);
static enum cmd_retval cmd_history_export_exec(struct request *);

static const struct cmd_param cmd_history_runs_params[] = {
	{ "limit", CP_INT, 1, NBMD_ROWS_MAX, false },
	{ "before", CP_INT, 1, HISTORY_MAXID, false },
	{ "run", CP_INT, 1, HISTORY_MAXID, false },
	{ NULL, 0, 0, 0, false }
};

static const struct cmd_param cmd_events_list_params[] = {
	{ "run", CP_INT, 1, HISTORY_MAXID, false },
	{ "since", CP_INT, 0, HISTORY_MAXID, false },
	{ "limit", CP_INT, 1, NBMD_ROWS_MAX, false },
	{ "source", CP_STRING, 0, 16, false },
	{ NULL, 0, 0, 0, false }
};

static const struct cmd_param cmd_history_export_params[] = {
	{ "table", CP_STRING, 0, 32, false },
	{ "run", CP_INT, 1, HISTORY_MAXID, false },
	{ "since", CP_NUMBER, 0, 1e12, false },
	{ "until", CP_NUMBER, 0, 1e12, false },
	{ "chunk", CP_INT, 1, NBMD_ROWS_MAX, false },
	{ "name", CP_STRING, 0, 64, false },
	{ "format", CP_STRING, 0, 16, false },
	{ NULL, 0, 0, 0, false }
};

const struct cmd_entry cmd_history_runs_entry = {
	"history.runs", CMD_READONLY, cmd_history_runs_params,
	cmd_history_runs_exec
};
const struct cmd_entry cmd_events_list_entry = {
	"events.list", CMD_READONLY, cmd_events_list_params,
	cmd_events_list_exec
};
const struct cmd_entry cmd_history_export_entry = {
	"history.export", CMD_READONLY, cmd_history_export_params,
	cmd_history_export_exec
};

/* Column i of the current row as JSON; "time" columns keep microseconds. */
static json_object *
history_value(sqlite3_stmt *st, int i)
{

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_object_new_int64(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return proto_time(sqlite3_column_double(st, i));
	case SQLITE_TEXT:
		return json_object_new_string_len(
		    (const char *)sqlite3_column_text(st, i),
		    sqlite3_column_bytes(st, i));
	default:
		return NULL;
	}
}

static int
history_dberror(struct request *rq, sqlite3_stmt *st)
{
	struct db *db = rq->rq_daemon->d_db;

	log_warnx("history: %s: %s", rq->rq_cmd->name, db_errmsg(db));
	request_error(rq, PROTO_E_HISTORY, NULL, "%s", db_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

/*
 * history_rows: step st to its end, making each row an object with
 * row(); *lastp gets the first column of the last row.
 * => the array, or NULL with the error answered (st finalized either way).
 */
static json_object *
history_rows(struct request *rq, sqlite3_stmt *st,
    json_object *(*row)(sqlite3_stmt *), int64_t *lastp)
{
	json_object *a = json_object_new_array();
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_object_array_add(a, row(st));
		*lastp = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		json_object_put(a);
		history_dberror(rq, st);
		return NULL;
	}
	sqlite3_finalize(st);
	return a;
}

/* Check "run" names a run, answering no-such-run if not. */
static int
history_checkrun(struct request *rq)
{
	int64_t run = cmd_int(rq, "run", 0);
	int rc;

	if (run == 0)
		return 0;
	if ((rc = db_run_exists(rq->rq_daemon->d_db, run)) == 1)
		return 0;
	if (rc < 0)
		return history_dberror(rq, NULL);
	request_error(rq, PROTO_E_NO_SUCH_RUN, cmd_field_error("params.run"),
	    "no run %lld in the history", (long long)run);
	return -1;
}

static json_object *
history_run_row(sqlite3_stmt *st)
{
	static const char *const cols[] = {
		"run", "start", "end", "ended", "message", "seed", "ncpu",
		"page_size", "physmem", "pid", "samples",
	};
	json_object *o = json_object_new_object();
	int i;

	for (i = 0; i < (int)(sizeof(cols) / sizeof(cols[0])); i++)
		json_object_object_add(o, cols[i], history_value(st, i));
	json_object_object_add(o, "config", json_tokener_parse(
	    (const char *)sqlite3_column_text(st, i)));
	return o;
}

static enum cmd_retval
cmd_history_runs_exec(struct request *rq)
{
	sqlite3 *sql = db_handle(rq->rq_daemon->d_db);
	sqlite3_stmt *st;
	json_object *r, *a;
	int64_t last = 0;

	if (history_checkrun(rq) != 0)
		return CMD_DONE;
	if (sqlite3_prepare_v2(sql, "SELECT run_id, start_time, end_time, "
	    "ended, message, seed, ncpu, page_size, physmem, pid, (SELECT "
	    "count(*) FROM samples s WHERE s.run_id = runs.run_id), config "
	    "FROM runs WHERE run_id < ?1 AND (?2 = 0 OR run_id = ?2) "
	    "ORDER BY run_id DESC LIMIT ?3", -1, &st, NULL) != SQLITE_OK) {
		history_dberror(rq, NULL);
		return CMD_DONE;
	}
	sqlite3_bind_int64(st, 1, cmd_int(rq, "before", INT64_MAX));
	sqlite3_bind_int64(st, 2, cmd_int(rq, "run", 0));
	sqlite3_bind_int64(st, 3, cmd_int(rq, "limit", 100));
	if ((a = history_rows(rq, st, history_run_row, &last)) == NULL)
		return CMD_DONE;
	r = json_object_new_object();
	json_object_object_add(r, "runs", a);
	request_reply(rq, r);
	return CMD_DONE;
}

static const char *const history_event_cols[] = {
	"event", "run", "time", "uptime_ns", "source", "type", "cpu",
	"subject", "message",
};
#define NEVENTCOLS \
	(sizeof(history_event_cols) / sizeof(history_event_cols[0]))

static json_object *
history_event_row(sqlite3_stmt *st)
{
	json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < NEVENTCOLS; i++)
		json_object_object_add(o, history_event_cols[i],
		    history_value(st, (int)i));
	return o;
}

static enum cmd_retval
cmd_events_list_exec(struct request *rq)
{
	sqlite3 *sql = db_handle(rq->rq_daemon->d_db);
	sqlite3_stmt *st;
	json_object *r, *a;
	const char *source = cmd_string(rq, "source", "");
	int64_t last = cmd_int(rq, "since", 0);

	if (*source != '\0' && strcmp(source, "machine") != 0 &&
	    strcmp(source, "daemon") != 0) {
		request_error(rq, PROTO_E_BAD_PARAMS,
		    cmd_field_error("params.source"), "params.source: must be "
		    "\"machine\" or \"daemon\", got \"%s\"", source);
		return CMD_DONE;
	}
	if (history_checkrun(rq) != 0)
		return CMD_DONE;
	if (sqlite3_prepare_v2(sql, "SELECT event_id, run_id, time, "
	    "uptime_ns, source, type, cpu, subject, message FROM events "
	    "WHERE event_id > ?1 AND (?2 = 0 OR run_id = ?2) AND "
	    "(?3 = '' OR source = ?3) ORDER BY event_id LIMIT ?4", -1, &st,
	    NULL) != SQLITE_OK) {
		history_dberror(rq, NULL);
		return CMD_DONE;
	}
	sqlite3_bind_int64(st, 1, last);
	sqlite3_bind_int64(st, 2, cmd_int(rq, "run", 0));
	sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, cmd_int(rq, "limit", 100));
	if ((a = history_rows(rq, st, history_event_row, &last)) == NULL)
		return CMD_DONE;
	r = json_object_new_object();
	json_object_object_add(r, "events", a);
	json_object_object_add(r, "last", json_object_new_int64(last));
	request_reply(rq, r);
	return CMD_DONE;
}

/*
 * Exports.  A table is the samples with one of the field sets of fields.h
 * ("machine": a row per sample; "pools", "caches", "vmem", "extents": a
 * row per sample and object), or the events.  Each chunk is the next rows
 * after the last key sent, in key order: (event), (sample) or (sample,
 * seq), seq being a row's place in its sample (schema/0002-objects.sql).
 */
struct export_table {
	const char	*et_name;	/* params.table */
	const struct nbmd_fieldset *et_fs; /* NULL: the events */
};

static const struct export_table export_tables[] = {
	{ "machine", &nbmd_fs_machine },
	{ "pools", &nbmd_fs_pools },
	{ "caches", &nbmd_fs_caches },
	{ "vmem", &nbmd_fs_vmem },
	{ "extents", &nbmd_fs_extents },
	{ "events", NULL },
};
#define NEXPORTTABLES	(sizeof(export_tables) / sizeof(export_tables[0]))

enum export_format {
	EXPORT_ROWS,		/* rows: arrays in column order */
	EXPORT_OBJECTS,		/* rows: objects keyed by column */
	EXPORT_CSV,		/* csv: RFC 4180 lines, header first */
};

static const char *const export_formats[] = {
	[EXPORT_ROWS] = "rows",
	[EXPORT_OBJECTS] = "objects",
	[EXPORT_CSV] = "csv",
};

struct export {
	sqlite3_stmt	*ex_st;		/* the chunk query */
	json_object	*ex_columns;	/* column names */
	const struct export_table *ex_table;
	enum export_format ex_format;
	bool		*ex_json;	/* column holds JSON text (U64V) */
	int		 ex_ncols;	/* columns sent; a seq may follow */
	int64_t		 ex_last;	/* sample (event) of the last row */
	int64_t		 ex_lastseq;	/* and its seq in the sample */
	int64_t		 ex_rows;	/* rows sent */
	int64_t		 ex_chunks;	/* chunks sent */
	int		 ex_chunk;	/* rows a chunk */
};

static const char *const history_sample_cols[] = {
	"sample", "run", "time", "uptime_ns",
};
#define NSAMPLECOLS \
	(sizeof(history_sample_cols) / sizeof(history_sample_cols[0]))

/*
 * A field that repeats a column of the sample (the machine's uptime_ns) is
 * left out of exports: column names are unique.
 */
static bool
export_dup(const struct nbm_stat_field *f)
{
	size_t i;

	for (i = 0; i < NSAMPLECOLS; i++)
		if (strcmp(f->sf_name, history_sample_cols[i]) == 0)
			return true;
	return false;
}

/*
 * The chunk query of a table.  Parameters: ?1 last sample (or event), ?2
 * run or 0, ?3 since, ?4 until, ?5 limit, ?6 the seq of the last row in
 * its sample, ?8 the object wanted ('' for all).
 */
static char *
export_query(struct export *ex)
{
	const struct nbmd_fieldset *fs = ex->ex_table->et_fs;
	char *cols, *t, *q;
	size_t i;

	cols = xstrdup("");
	for (i = 0; i < fs->fs_nfields; i++) {
		if (export_dup(&fs->fs_fields[i]))
			continue;
		xasprintf(&t, "%s, t.\"%s\"", cols, fs->fs_fields[i].sf_name);
		free(cols);
		cols = t;
	}
	if (!fs->fs_array)
		q = sqlite3_mprintf("SELECT s.sample_id, s.run_id, s.time, "
		    "s.uptime_ns%s FROM samples s LEFT JOIN \"%w\" t USING "
		    "(sample_id) WHERE s.sample_id > ?1 AND (?2 = 0 OR "
		    "s.run_id = ?2) AND s.time >= ?3 AND s.time < ?4 AND "
		    "?6 = ?6 AND ?8 = ?8 ORDER BY s.sample_id LIMIT ?5", cols,
		    fs->fs_table);
	else
		q = sqlite3_mprintf("SELECT s.sample_id, s.run_id, s.time, "
		    "s.uptime_ns%s, t.seq FROM \"%w\" t JOIN samples s ON "
		    "s.sample_id = t.sample_id WHERE (t.sample_id, t.seq) > "
		    "(?1, ?6) AND (?2 = 0 OR s.run_id = ?2) AND s.time >= ?3 "
		    "AND s.time < ?4 AND (?8 = '' OR t.\"%w\" = ?8) ORDER BY "
		    "t.sample_id, t.seq LIMIT ?5", cols, fs->fs_table,
		    fs->fs_fields[0].sf_name);
	free(cols);
	return q;
}

/* The chunk query and the column names of the export of `table'. */
static int
export_prepare(struct request *rq, struct export *ex)
{
	sqlite3 *sql = db_handle(rq->rq_daemon->d_db);
	const struct nbmd_fieldset *fs = ex->ex_table->et_fs;
	size_t i, ncols;
	char *q;
	int rc;

	ex->ex_columns = json_object_new_array();
	if (fs == NULL) {
		for (i = 0; i < NEVENTCOLS; i++)
			json_object_array_add(ex->ex_columns,
			    json_object_new_string(history_event_cols[i]));
		ex->ex_json = xcalloc(NEVENTCOLS, sizeof(bool));
		ex->ex_ncols = (int)NEVENTCOLS;
		rc = sqlite3_prepare_v2(sql, "SELECT event_id, run_id, time, "
		    "uptime_ns, source, type, cpu, subject, message FROM "
		    "events WHERE event_id > ?1 AND (?2 = 0 OR run_id = ?2) "
		    "AND time >= ?3 AND time < ?4 AND ?6 = ?6 AND (?8 = '' OR "
		    "subject = ?8) ORDER BY event_id LIMIT ?5",
		    -1, &ex->ex_st, NULL);
		return rc == SQLITE_OK ? 0 : -1;
	}
	ex->ex_json = xcalloc(NSAMPLECOLS + fs->fs_nfields, sizeof(bool));
	for (i = 0; i < NSAMPLECOLS; i++)
		json_object_array_add(ex->ex_columns,
		    json_object_new_string(history_sample_cols[i]));
	ncols = NSAMPLECOLS;
	for (i = 0; i < fs->fs_nfields; i++) {
		if (export_dup(&fs->fs_fields[i]))
			continue;
		json_object_array_add(ex->ex_columns,
		    json_object_new_string(fs->fs_fields[i].sf_name));
		ex->ex_json[ncols++] =
		    fs->fs_fields[i].sf_type == NBM_STAT_U64V;
	}
	ex->ex_ncols = (int)ncols;
	q = export_query(ex);
	rc = sqlite3_prepare_v2(sql, q, -1, &ex->ex_st, NULL);
	sqlite3_free(q);
	return rc == SQLITE_OK ? 0 : -1;
}

static void
export_free(struct export *ex)
{

	sqlite3_finalize(ex->ex_st);
	json_object_put(ex->ex_columns);
	free(ex->ex_json);
	free(ex);
}

/* A numeric column onto b, as JSON and CSV write it; false if not one. */
static bool
export_number(struct evbuffer *b, sqlite3_stmt *st, int i)
{

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		evbuffer_add_printf(b, "%lld",
		    (long long)sqlite3_column_int64(st, i));
		return true;
	case SQLITE_FLOAT:
		evbuffer_add_printf(b, "%.6f", sqlite3_column_double(st, i));
		return true;
	}
	return false;
}

/*
 * Column i of the current row as JSON text onto b, as history_value()
 * would make it; a JSON text column (a U64V field) goes as it is.
 */
static void
export_json_field(struct export *ex, struct evbuffer *b, int i)
{
	static const char hex[] = "0123456789abcdef";
	sqlite3_stmt *st = ex->ex_st;
	const unsigned char *s;
	char esc[6];
	int n, j;

	if (export_number(b, st, i))
		return;
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_TEXT:
		s = sqlite3_column_text(st, i);
		n = sqlite3_column_bytes(st, i);
		if (ex->ex_json[i]) {
			evbuffer_add(b, s, (size_t)n);
			break;
		}
		evbuffer_add(b, "\"", 1);
		for (j = 0; j < n; j++) {
			if (s[j] == '"' || s[j] == '\\') {
				esc[0] = '\\';
				esc[1] = (char)s[j];
				evbuffer_add(b, esc, 2);
			} else if (s[j] < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[s[j] >> 4];
				esc[5] = hex[s[j] & 15];
				evbuffer_add(b, esc, 6);
			} else
				evbuffer_add(b, s + j, 1);
		}
		evbuffer_add(b, "\"", 1);
		break;
	default:
		evbuffer_add(b, "null", 4);
		break;
	}
}

/* The current row as a JSON array or object onto b. */
static void
export_json_row(struct export *ex, struct evbuffer *b)
{
	int i;

	evbuffer_add(b, ex->ex_format == EXPORT_OBJECTS ? "{" : "[", 1);
	for (i = 0; i < ex->ex_ncols; i++) {
		if (i > 0)
			evbuffer_add(b, ",", 1);
		if (ex->ex_format == EXPORT_OBJECTS)
			evbuffer_add_printf(b, "\"%s\":",
			    json_object_get_string(json_object_array_get_idx(
			    ex->ex_columns, (size_t)i)));
		export_json_field(ex, b, i);
	}
	evbuffer_add(b, ex->ex_format == EXPORT_OBJECTS ? "}" : "]", 1);
}

/* A node that serializes as the text in b (rows, made without objects). */
static json_object *
export_rawnode(struct evbuffer *b)
{
	json_object *o = json_object_new_array();
	size_t len = evbuffer_get_length(b);
	char *text = xmalloc(len + 1);

	evbuffer_remove(b, text, len);
	text[len] = '\0';
	json_object_set_serializer(o, json_object_userdata_to_json_string,
	    text, json_object_free_userdata);
	return o;
}

/* Column i of the current row as a CSV field (RFC 4180) onto b. */
static void
export_csv_field(struct evbuffer *b, sqlite3_stmt *st, int i)
{
	const char *s, *p;

	if (export_number(b, st, i))
		return;
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_TEXT:
		s = (const char *)sqlite3_column_text(st, i);
		if (strpbrk(s, ",\"\r\n") == NULL) {
			evbuffer_add(b, s, strlen(s));
			break;
		}
		evbuffer_add(b, "\"", 1);
		while ((p = strchr(s, '"')) != NULL) {
			evbuffer_add(b, s, (size_t)(p - s) + 1);
			evbuffer_add(b, "\"", 1);
			s = p + 1;
		}
		evbuffer_add(b, s, strlen(s));
		evbuffer_add(b, "\"", 1);
		break;
	default:
		break;
	}
}

/* The header line of a CSV export. */
static void
export_csv_header(struct export *ex, struct evbuffer *b)
{
	size_t i, n = json_object_array_length(ex->ex_columns);

	for (i = 0; i < n; i++)
		evbuffer_add_printf(b, "%s%s", i > 0 ? "," : "",
		    json_object_get_string(json_object_array_get_idx(
		    ex->ex_columns, i)));
	evbuffer_add(b, "\r\n", 2);
}

/* Remember the key of the current row. */
static void
export_key(struct export *ex)
{

	ex->ex_last = sqlite3_column_int64(ex->ex_st, 0);
	if (sqlite3_column_count(ex->ex_st) > ex->ex_ncols)
		ex->ex_lastseq = sqlite3_column_int64(ex->ex_st,
		    ex->ex_ncols);
}

static void
export_error(struct request *rq, struct export *ex)
{

	rq->rq_state = NULL;
	rq->rq_resume = rq->rq_cancel = NULL;
	log_warnx("history: export: %s", db_errmsg(rq->rq_daemon->d_db));
	request_error(rq, PROTO_E_HISTORY, NULL, "%s",
	    db_errmsg(rq->rq_daemon->d_db));
	export_free(ex);
}

static void
export_end(struct request *rq, struct export *ex)
{
	json_object *r;

	r = json_object_new_object();
	json_object_object_add(r, "table",
	    json_object_new_string(ex->ex_table->et_name));
	json_object_object_add(r, "format",
	    json_object_new_string(export_formats[ex->ex_format]));
	json_object_object_add(r, "columns", json_object_get(ex->ex_columns));
	json_object_object_add(r, "rows", json_object_new_int64(ex->ex_rows));
	json_object_object_add(r, "chunks",
	    json_object_new_int64(ex->ex_chunks));
	rq->rq_state = NULL;
	rq->rq_resume = rq->rq_cancel = NULL;
	export_free(ex);
	request_reply(rq, r);
}

/* Send chunks while the client keeps up; answer after the last. */
static void
export_step(struct request *rq)
{
	struct export *ex = rq->rq_state;
	struct evbuffer *b;
	json_object *p;
	int i, n, rc;

	while (rq->rq_client != NULL &&
	    client_queued(rq->rq_client) < NBMD_OUT_HIWAT) {
		sqlite3_reset(ex->ex_st);
		sqlite3_bind_int64(ex->ex_st, 1, ex->ex_last);
		sqlite3_bind_int64(ex->ex_st, 2, cmd_int(rq, "run", 0));
		sqlite3_bind_double(ex->ex_st, 3, cmd_number(rq, "since", 0));
		sqlite3_bind_double(ex->ex_st, 4, cmd_number(rq, "until",
		    1e300));
		sqlite3_bind_int(ex->ex_st, 5, ex->ex_chunk);
		sqlite3_bind_int64(ex->ex_st, 6, ex->ex_lastseq);
		sqlite3_bind_text(ex->ex_st, 8, cmd_string(rq, "name", ""),
		    -1, SQLITE_TRANSIENT);
		b = evbuffer_new();
		if (ex->ex_format == EXPORT_CSV) {
			if (ex->ex_chunks == 0)
				export_csv_header(ex, b);
		} else
			evbuffer_add(b, "[", 1);
		n = 0;
		while ((rc = sqlite3_step(ex->ex_st)) == SQLITE_ROW) {
			if (ex->ex_format == EXPORT_CSV) {
				for (i = 0; i < ex->ex_ncols; i++) {
					if (i > 0)
						evbuffer_add(b, ",", 1);
					export_csv_field(b, ex->ex_st, i);
				}
				evbuffer_add(b, "\r\n", 2);
			} else {
				if (n > 0)
					evbuffer_add(b, ",", 1);
				export_json_row(ex, b);
			}
			export_key(ex);
			n++;
		}
		sqlite3_reset(ex->ex_st);
		if (rc != SQLITE_DONE || n == 0) {
			evbuffer_free(b);
			if (rc != SQLITE_DONE)
				export_error(rq, ex);
			else
				export_end(rq, ex);
			return;
		}
		p = json_object_new_object();
		json_object_object_add(p, "request", json_object_get(rq->rq_id));
		json_object_object_add(p, "seq",
		    json_object_new_int64(++ex->ex_chunks));
		json_object_object_add(p, "columns",
		    json_object_get(ex->ex_columns));
		if (ex->ex_format == EXPORT_CSV)
			json_object_object_add(p, "csv",
			    json_object_new_string_len((const char *)
			    evbuffer_pullup(b, -1),
			    (int)evbuffer_get_length(b)));
		else {
			evbuffer_add(b, "]", 1);
			json_object_object_add(p, "rows", export_rawnode(b));
		}
		evbuffer_free(b);
		request_notify(rq, "history.chunk", p);
		ex->ex_rows += n;
	}
}

/* The client went away in the middle of an export. */
static void
export_cancel(struct request *rq)
{

	export_free(rq->rq_state);
	rq->rq_state = NULL;
	rq->rq_resume = rq->rq_cancel = NULL;
	request_error(rq, PROTO_E_INTERNAL, NULL, "client gone");
}

/* params.NAME as one of names[n]; -1 with a bad-params error. */
static int
history_word(struct request *rq, const char *key, const char *dflt,
    const char *const *names, size_t stride, size_t n)
{
	const char *s = cmd_string(rq, key, dflt);
	char accepted[160], field[32];
	size_t i, o = 0;

	for (i = 0; i < n; i++)
		if (strcmp(*(const char *const *)(const void *)
		    ((const char *)names + i * stride), s) == 0)
			return (int)i;
	accepted[0] = '\0';
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(accepted + o, sizeof(accepted) - o,
		    "%s%s", i > 0 ? ", " : "", *(const char *const *)(const
		    void *)((const char *)names + i * stride));
	snprintf(field, sizeof(field), "params.%s", key);
	request_error(rq, PROTO_E_BAD_PARAMS, cmd_field_error(field),
	    "%s: \"%.32s\" is not accepted; accepted: %s", field, s,
	    accepted);
	return -1;
}

static enum cmd_retval
cmd_history_export_exec(struct request *rq)
{
	struct export *ex;
	int t, f;

	if ((t = history_word(rq, "table", "machine",
	    &export_tables[0].et_name, sizeof(export_tables[0]),
	    NEXPORTTABLES)) < 0 ||
	    (f = history_word(rq, "format", "rows", export_formats,
	    sizeof(export_formats[0]), sizeof(export_formats) /
	    sizeof(export_formats[0]))) < 0)
		return CMD_DONE;
	if (cmd_has(rq, "since") && cmd_has(rq, "until") &&
	    cmd_number(rq, "until", 0) < cmd_number(rq, "since", 0)) {
		request_error(rq, PROTO_E_BAD_PARAMS,
		    cmd_field_error("params.until"), "params.until: must not "
		    "be before params.since");
		return CMD_DONE;
	}
	if (cmd_has(rq, "name") && export_tables[t].et_fs != NULL &&
	    !export_tables[t].et_fs->fs_array) {
		request_error(rq, PROTO_E_BAD_PARAMS,
		    cmd_field_error("params.name"), "params.name: the %s "
		    "table has one row per sample, not per object",
		    export_tables[t].et_name);
		return CMD_DONE;
	}
	if (history_checkrun(rq) != 0)
		return CMD_DONE;
	if (rq->rq_id == NULL) {
		/* A notification: nobody to stream to. */
		request_reply(rq, NULL);
		return CMD_DONE;
	}
	ex = xcalloc(1, sizeof(*ex));
	ex->ex_table = &export_tables[t];
	ex->ex_format = (enum export_format)f;
	ex->ex_chunk = (int)cmd_int(rq, "chunk", 500);
	ex->ex_lastseq = -1;
	if (export_prepare(rq, ex) != 0) {
		export_free(ex);
		history_dberror(rq, NULL);
		return CMD_DONE;
	}
	rq->rq_state = ex;
	rq->rq_resume = export_step;
	rq->rq_cancel = export_cancel;
	export_step(rq);
	return CMD_WAIT;
}
