/*
 * cmd-history.c: history.runs, events.list and history.export -- reading
 * the history database.
 *
 * history.runs and events.list answer with at most NBMD_ROWS_MAX rows and
 * a cursor for the next call ("before" and "since").
 *
 * history.export streams a table without holding it: each step reads the
 * next chunk by key (keyset pagination, "WHERE id > last ... LIMIT n"),
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
 * Exports.  Each table is a query that takes (last key, run or 0, since,
 * until, limit) and whose first column is the key.
 */
struct export {
	sqlite3_stmt	*ex_st;		/* the chunk query */
	json_object	*ex_columns;	/* column names */
	const char	*ex_table;
	int64_t		 ex_last;	/* key of the last row sent */
	int64_t		 ex_rows;	/* rows sent */
	int64_t		 ex_chunks;	/* chunks sent */
	int		 ex_chunk;	/* rows a chunk */
};

static const char *const history_sample_cols[] = {
	"sample", "run", "time", "uptime_ns",
};
#define NSAMPLECOLS \
	(sizeof(history_sample_cols) / sizeof(history_sample_cols[0]))

/* The chunk query and the column names of the export of `table'. */
static int
export_prepare(struct request *rq, struct export *ex, const char *table)
{
	sqlite3 *sql = db_handle(rq->rq_daemon->d_db);
	const struct nbmd_fieldset *fs = &nbmd_uvmexp_fieldset;
	char *q, *cols, *t;
	size_t i;
	int rc;

	ex->ex_columns = json_object_new_array();
	if (strcmp(table, "events") == 0) {
		ex->ex_table = "events";
		for (i = 0; i < NEVENTCOLS; i++)
			json_object_array_add(ex->ex_columns,
			    json_object_new_string(history_event_cols[i]));
		rc = sqlite3_prepare_v2(sql, "SELECT event_id, run_id, time, "
		    "uptime_ns, source, type, cpu, subject, message FROM "
		    "events WHERE event_id > ?1 AND (?2 = 0 OR run_id = ?2) "
		    "AND time >= ?3 AND time < ?4 ORDER BY event_id LIMIT ?5",
		    -1, &ex->ex_st, NULL);
		return rc == SQLITE_OK ? 0 : -1;
	}
	ex->ex_table = "machine";
	for (i = 0; i < NSAMPLECOLS; i++)
		json_object_array_add(ex->ex_columns,
		    json_object_new_string(history_sample_cols[i]));
	cols = xstrdup("");
	for (i = 0; i < fs->fs_nfields; i++) {
		json_object_array_add(ex->ex_columns,
		    json_object_new_string(fs->fs_fields[i].f_name));
		xasprintf(&t, "%s, m.\"%s\"", cols, fs->fs_fields[i].f_name);
		free(cols);
		cols = t;
	}
	q = sqlite3_mprintf("SELECT s.sample_id, s.run_id, s.time, "
	    "s.uptime_ns%s FROM samples s LEFT JOIN \"%w\" m USING "
	    "(sample_id) WHERE s.sample_id > ?1 AND (?2 = 0 OR s.run_id = ?2) "
	    "AND s.time >= ?3 AND s.time < ?4 ORDER BY s.sample_id LIMIT ?5",
	    cols, fs->fs_table);
	free(cols);
	rc = sqlite3_prepare_v2(sql, q, -1, &ex->ex_st, NULL);
	sqlite3_free(q);
	return rc == SQLITE_OK ? 0 : -1;
}

static void
export_free(struct export *ex)
{

	sqlite3_finalize(ex->ex_st);
	json_object_put(ex->ex_columns);
	free(ex);
}

/* Send chunks while the client keeps up; answer after the last. */
static void
export_step(struct request *rq)
{
	struct export *ex = rq->rq_state;
	json_object *rows, *row, *p, *r;
	int i, n, rc, ncols;

	while (rq->rq_client != NULL &&
	    client_queued(rq->rq_client) < NBMD_OUT_HIWAT) {
		sqlite3_reset(ex->ex_st);
		sqlite3_bind_int64(ex->ex_st, 1, ex->ex_last);
		sqlite3_bind_int64(ex->ex_st, 2, cmd_int(rq, "run", 0));
		sqlite3_bind_double(ex->ex_st, 3, cmd_number(rq, "since", 0));
		sqlite3_bind_double(ex->ex_st, 4, cmd_number(rq, "until",
		    1e300));
		sqlite3_bind_int(ex->ex_st, 5, ex->ex_chunk);
		ncols = sqlite3_column_count(ex->ex_st);
		rows = json_object_new_array();
		n = 0;
		while ((rc = sqlite3_step(ex->ex_st)) == SQLITE_ROW) {
			row = json_object_new_array();
			for (i = 0; i < ncols; i++)
				json_object_array_add(row,
				    history_value(ex->ex_st, i));
			ex->ex_last = sqlite3_column_int64(ex->ex_st, 0);
			json_object_array_add(rows, row);
			n++;
		}
		sqlite3_reset(ex->ex_st);
		if (rc != SQLITE_DONE) {
			json_object_put(rows);
			rq->rq_state = NULL;
			rq->rq_resume = rq->rq_cancel = NULL;
			log_warnx("history: export: %s",
			    db_errmsg(rq->rq_daemon->d_db));
			request_error(rq, PROTO_E_HISTORY, NULL, "%s",
			    db_errmsg(rq->rq_daemon->d_db));
			export_free(ex);
			return;
		}
		if (n == 0) {
			json_object_put(rows);
			r = json_object_new_object();
			json_object_object_add(r, "table",
			    json_object_new_string(ex->ex_table));
			json_object_object_add(r, "columns",
			    json_object_get(ex->ex_columns));
			json_object_object_add(r, "rows",
			    json_object_new_int64(ex->ex_rows));
			json_object_object_add(r, "chunks",
			    json_object_new_int64(ex->ex_chunks));
			rq->rq_state = NULL;
			rq->rq_resume = rq->rq_cancel = NULL;
			export_free(ex);
			request_reply(rq, r);
			return;
		}
		p = json_object_new_object();
		json_object_object_add(p, "request", json_object_get(rq->rq_id));
		json_object_object_add(p, "seq",
		    json_object_new_int64(++ex->ex_chunks));
		json_object_object_add(p, "columns",
		    json_object_get(ex->ex_columns));
		json_object_object_add(p, "rows", rows);
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

static enum cmd_retval
cmd_history_export_exec(struct request *rq)
{
	const char *table = cmd_string(rq, "table", "machine");
	struct export *ex;

	if (strcmp(table, "machine") != 0 && strcmp(table, "events") != 0) {
		request_error(rq, PROTO_E_BAD_PARAMS,
		    cmd_field_error("params.table"), "params.table: must be "
		    "\"machine\" or \"events\", got \"%.32s\"", table);
		return CMD_DONE;
	}
	if (cmd_has(rq, "since") && cmd_has(rq, "until") &&
	    cmd_number(rq, "until", 0) < cmd_number(rq, "since", 0)) {
		request_error(rq, PROTO_E_BAD_PARAMS,
		    cmd_field_error("params.until"), "params.until: must not "
		    "be before params.since");
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
	ex->ex_chunk = (int)cmd_int(rq, "chunk", 500);
	if (export_prepare(rq, ex, table) != 0) {
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
