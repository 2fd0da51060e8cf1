/*
 * db.c: the history database -- opening, migrating, and the statements
 * the recorder and the history methods use.
 *
 * Guarantees.  The database is in WAL mode with synchronous=NORMAL: a
 * transaction that returned from COMMIT survives the daemon's death at any
 * point (kill -9 included); only a crash of the host may lose the last
 * transactions, never the database's integrity.  Each sample is one
 * transaction.  Readers (history methods, sqlite3(1) on the file) never
 * block the recorder.
 *
 * Opening: a lock file beside the database (flock) keeps a second nbmemd
 * off it; the file must be empty or carry nbmemd's application_id; its
 * user_version must not be newer than the newest migration compiled in.
 * Pending migrations, and the statistics columns of the sample tables
 * (one per field of each field set, added when missing; schema/README),
 * are applied in one transaction.  Runs left open by a daemon that died
 * are then closed as "lost" at their last sample.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "nbmemd.h"

enum db_stmt {
	DB_RUN_BEGIN,
	DB_RUN_END,
	DB_EVENT,
	DB_SAMPLE,
	DB_RUN_EXISTS,
	DB_NSTMTS
};

static const char *const db_sql[DB_NSTMTS] = {
	[DB_RUN_BEGIN] = "INSERT INTO runs (start_time, seed, ncpu, page_size, "
	    "physmem, pid, config) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[DB_RUN_END] = "UPDATE runs SET end_time = ?, ended = ?, message = ? "
	    "WHERE run_id = ?",
	[DB_EVENT] = "INSERT INTO events (run_id, time, uptime_ns, source, "
	    "type, cpu, subject, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[DB_SAMPLE] = "INSERT INTO samples (run_id, time, uptime_ns) "
	    "VALUES (?, ?, ?)",
	[DB_RUN_EXISTS] = "SELECT 1 FROM runs WHERE run_id = ?",
};

struct db {
	sqlite3		*db_sql;	/* the connection */
	char		*db_path;
	int		 db_lockfd;	/* flock()ed, or -1 */
	sqlite3_stmt	*db_stmts[DB_NSTMTS];	/* prepared when first used */
	sqlite3_stmt	**db_fieldstmts;	/* per field set */
};

static int
db_fail(char **errp, const char *path, sqlite3 *sql, const char *what)
{

	free(*errp);
	xasprintf(errp, "%s: %s: %s", path, what,
	    sql != NULL ? sqlite3_errmsg(sql) : "out of memory");
	return -1;
}

/* One integer from a statement such as a PRAGMA. */
static int
db_int(sqlite3 *sql, const char *q, int64_t *vp)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(sql, q, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*vp = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
db_exec(sqlite3 *sql, const char *q)
{

	return sqlite3_exec(sql, q, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Make the directories above path, 0700, as mkdir -p would. */
static int
db_mkdirs(const char *path, char **errp)
{
	char buf[PATH_MAX], *p, c;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		xasprintf(errp, "%s: path too long", path);
		return -1;
	}
	if ((p = strrchr(buf, '/')) == NULL || p == buf)
		return 0;
	*p = '\0';
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
			xasprintf(errp, "%s: cannot create directory %s: %s",
			    path, buf, strerror(errno));
			return -1;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

/*
 * db_version: check that sql is empty or an nbmemd database this daemon
 * knows, and return its schema version.
 */
static int
db_version(sqlite3 *sql, const char *path, int64_t *vp, bool *emptyp,
    char **errp)
{
	int64_t appid = 0, v = 0, nobj = 0;
	int64_t latest = (int64_t)db_nmigrations;

	if (db_int(sql, "PRAGMA application_id", &appid) != 0 ||
	    db_int(sql, "PRAGMA user_version", &v) != 0 ||
	    db_int(sql, "SELECT count(*) FROM sqlite_master", &nobj) != 0)
		return db_fail(errp, path, sql, "cannot read the database");
	*emptyp = nobj == 0 && v == 0 && appid == 0;
	if (!*emptyp && appid != DB_APPLICATION_ID) {
		xasprintf(errp, "%s: not an nbmemd database (application_id "
		    "0x%llx, expected 0x%x); give another file with -D", path,
		    (unsigned long long)appid, DB_APPLICATION_ID);
		return -1;
	}
	if (v > latest) {
		xasprintf(errp, "%s: schema version %lld is newer than this "
		    "nbmemd knows (%lld): it was written by a newer nbmemd; "
		    "run that one, or give another database with -D", path,
		    (long long)v, (long long)latest);
		return -1;
	}
	*vp = v;
	return 0;
}

/*
 * Add the missing statistics columns of every field set's table: one per
 * field but the labels (the keys, which the migrations declare); INTEGER,
 * or TEXT for a U64V field (a JSON array).
 */
static int
db_fieldcolumns(sqlite3 *sql)
{
	const struct nbmd_fieldset *fs;
	const struct nbm_stat_field *f;
	sqlite3_stmt *st;
	char *q;
	size_t i, j;
	bool have;
	int rc;

	for (i = 0; i < nbmd_nfieldsets; i++) {
		fs = nbmd_fieldsets[i];
		for (j = 0; j < fs->fs_nfields; j++) {
			f = &fs->fs_fields[j];
			if (f->sf_kind == NBM_STAT_LABEL)
				continue;
			q = sqlite3_mprintf("SELECT 1 FROM "
			    "pragma_table_info(%Q) WHERE name = %Q",
			    fs->fs_table, f->sf_name);
			rc = sqlite3_prepare_v2(sql, q, -1, &st, NULL);
			sqlite3_free(q);
			if (rc != SQLITE_OK)
				return -1;
			have = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_finalize(st);
			if (have)
				continue;
			q = sqlite3_mprintf("ALTER TABLE \"%w\" ADD COLUMN "
			    "\"%w\" %s", fs->fs_table, f->sf_name,
			    f->sf_type == NBM_STAT_U64V ? "TEXT" : "INTEGER");
			rc = db_exec(sql, q);
			sqlite3_free(q);
			if (rc != 0)
				return -1;
		}
	}
	return 0;
}

/* Apply the pending migrations and the field columns in one transaction. */
static int
db_migrate(sqlite3 *sql, const char *path, int64_t from, char **errp)
{
	char *q, what[128];
	size_t i;

	if (db_exec(sql, "BEGIN IMMEDIATE") != 0)
		return db_fail(errp, path, sql, "cannot begin the migration");
	for (i = 0; i < db_nmigrations; i++) {
		if (db_migrations[i].dm_version <= from)
			continue;
		if (db_exec(sql, db_migrations[i].dm_sql) != 0) {
			snprintf(what, sizeof(what), "migration %s",
			    db_migrations[i].dm_name);
			db_fail(errp, path, sql, what);
			db_exec(sql, "ROLLBACK");
			return -1;
		}
		log_info("%s: migrated to schema version %d (%s)", path,
		    db_migrations[i].dm_version, db_migrations[i].dm_name);
	}
	q = sqlite3_mprintf("PRAGMA user_version = %d; "
	    "PRAGMA application_id = %d", (int)db_nmigrations,
	    DB_APPLICATION_ID);
	if (db_exec(sql, q) != 0 || db_fieldcolumns(sql) != 0) {
		sqlite3_free(q);
		db_fail(errp, path, sql, "cannot finish the migration");
		db_exec(sql, "ROLLBACK");
		return -1;
	}
	sqlite3_free(q);
	if (db_exec(sql, "COMMIT") != 0) {
		db_fail(errp, path, sql, "cannot commit the migration");
		db_exec(sql, "ROLLBACK");
		return -1;
	}
	return 0;
}

/* Check a database for -n: never create or change anything. */
static struct db *
db_check(const char *path, char **errp)
{
	sqlite3 *sql = NULL;
	struct db *db;
	struct stat st;
	int64_t v;
	bool empty;
	sqlite3_stmt *qc;
	const char *res;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT) {
			log_info("%s: does not exist yet; nbmemd will create "
			    "it", path);
			return xcalloc(1, sizeof(struct db));
		}
		xasprintf(errp, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (sqlite3_open_v2(path, &sql, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		db_fail(errp, path, sql, "cannot open");
		sqlite3_close(sql);
		return NULL;
	}
	if (db_version(sql, path, &v, &empty, errp) != 0) {
		sqlite3_close(sql);
		return NULL;
	}
	if (sqlite3_prepare_v2(sql, "PRAGMA quick_check", -1, &qc, NULL) !=
	    SQLITE_OK || sqlite3_step(qc) != SQLITE_ROW) {
		db_fail(errp, path, sql, "quick_check failed");
		sqlite3_finalize(qc);
		sqlite3_close(sql);
		return NULL;
	}
	res = (const char *)sqlite3_column_text(qc, 0);
	if (res == NULL || strcmp(res, "ok") != 0) {
		xasprintf(errp, "%s: damaged: %s", path,
		    res != NULL ? res : "?");
		sqlite3_finalize(qc);
		sqlite3_close(sql);
		return NULL;
	}
	sqlite3_finalize(qc);
	log_info("%s: schema version %lld of %zu%s", path, (long long)v,
	    db_nmigrations, v < (int64_t)db_nmigrations ? "; nbmemd will "
	    "migrate it" : "");
	db = xcalloc(1, sizeof(*db));
	db->db_sql = sql;
	db->db_lockfd = -1;
	return db;
}

/*
 * db_open: open (creating it and its directories if needed) and migrate
 * the history database; with DB_READONLY, only check it.
 * => the database, or NULL with a message naming the file in *errp.
 */
struct db *
db_open(const char *path, int flags, char **errp)
{
	sqlite3 *sql = NULL;
	struct db *db;
	char *lock;
	int64_t v;
	bool empty;
	int fd;

	if (flags & DB_READONLY)
		return db_check(path, errp);
	if (flags & DB_MEMORY) {
		path = ":memory:";
		fd = -1;
		goto open;
	}
	if (db_mkdirs(path, errp) != 0)
		return NULL;
	xasprintf(&lock, "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		xasprintf(errp, "%s: %s", lock, strerror(errno));
		free(lock);
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		xasprintf(errp, "%s: in use by another nbmemd (%s is locked)",
		    path, lock);
		free(lock);
		close(fd);
		return NULL;
	}
	free(lock);
open:
	if (sqlite3_open_v2(path, &sql, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		db_fail(errp, path, sql, "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(sql, 1);
	sqlite3_busy_timeout(sql, 200);
	if (db_version(sql, path, &v, &empty, errp) != 0)
		goto fail;
	if (empty && db_exec(sql, "PRAGMA auto_vacuum = INCREMENTAL") != 0) {
		db_fail(errp, path, sql, "cannot set auto_vacuum");
		goto fail;
	}
	if (db_exec(sql, "PRAGMA journal_mode = WAL") != 0 ||
	    db_exec(sql, "PRAGMA synchronous = NORMAL") != 0 ||
	    db_exec(sql, "PRAGMA foreign_keys = ON") != 0) {
		db_fail(errp, path, sql, "cannot set WAL mode");
		goto fail;
	}
	if (db_migrate(sql, path, v, errp) != 0)
		goto fail;
	if (db_exec(sql, "UPDATE runs SET ended = 'lost', end_time = "
	    "coalesce((SELECT max(time) FROM samples s WHERE s.run_id = "
	    "runs.run_id), start_time), message = 'the daemon ended "
	    "without closing the run' WHERE end_time IS NULL") != 0) {
		db_fail(errp, path, sql, "cannot close the lost runs");
		goto fail;
	}
	if (sqlite3_changes(sql) > 0)
		log_info("%s: %d run(s) left open by an earlier nbmemd marked "
		    "lost", path, sqlite3_changes(sql));
	db = xcalloc(1, sizeof(*db));
	db->db_sql = sql;
	db->db_path = xstrdup(path);
	db->db_lockfd = fd;
	db->db_fieldstmts = xcalloc(nbmd_nfieldsets, sizeof(sqlite3_stmt *));
	return db;

fail:
	sqlite3_close(sql);
	if (fd >= 0)
		close(fd);
	return NULL;
}

void
db_close(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < DB_NSTMTS; i++)
		sqlite3_finalize(db->db_stmts[i]);
	if (db->db_fieldstmts != NULL)
		for (i = 0; i < nbmd_nfieldsets; i++)
			sqlite3_finalize(db->db_fieldstmts[i]);
	free(db->db_fieldstmts);
	if (db->db_sql != NULL && sqlite3_close(db->db_sql) != SQLITE_OK)
		log_warnx("%s: close: %s", db->db_path != NULL ? db->db_path :
		    "database", sqlite3_errmsg(db->db_sql));
	if (db->db_lockfd >= 0)
		close(db->db_lockfd);
	free(db->db_path);
	free(db);
}

struct sqlite3 *
db_handle(struct db *db)
{

	return db->db_sql;
}

const char *
db_errmsg(struct db *db)
{

	return db != NULL && db->db_sql != NULL ? sqlite3_errmsg(db->db_sql) :
	    "no database";
}

static sqlite3_stmt *
db_stmt(struct db *db, enum db_stmt which)
{
	sqlite3_stmt **st = &db->db_stmts[which];

	if (*st == NULL && sqlite3_prepare_v3(db->db_sql, db_sql[which], -1,
	    SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(*st);
	sqlite3_clear_bindings(*st);
	return *st;
}

/* Step a prepared insert or update to its end. */
static int
db_done(struct db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_begin(struct db *db)
{

	return db_exec(db->db_sql, "BEGIN IMMEDIATE");
}

int
db_commit(struct db *db)
{

	return db_exec(db->db_sql, "COMMIT");
}

void
db_rollback(struct db *db)
{

	(void)db_exec(db->db_sql, "ROLLBACK");
}

/*
 * db_run_begin: a runs row for a machine that just booted.
 * => the run id, or -1.
 */
int64_t
db_run_begin(struct db *db, double t, pid_t pid, const struct nbm_config *mc)
{
	sqlite3_stmt *st = db_stmt(db, DB_RUN_BEGIN);
	json_object *cfg;
	const char *s;
	size_t len;
	int rc;

	if (st == NULL)
		return -1;
	cfg = config_machine_json(mc, false);
	s = proto_string(cfg, &len);
	sqlite3_bind_double(st, 1, t);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)mc->seed);
	sqlite3_bind_int64(st, 3, mc->ncpu);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)mc->page_size);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)mc->physmem);
	sqlite3_bind_int64(st, 6, pid);
	sqlite3_bind_text(st, 7, s, (int)len, SQLITE_TRANSIENT);
	rc = db_done(db, st);
	json_object_put(cfg);
	return rc == 0 ? sqlite3_last_insert_rowid(db->db_sql) : -1;
}

int
db_run_end(struct db *db, int64_t run, double t, const char *ended,
    const char *message)
{
	sqlite3_stmt *st = db_stmt(db, DB_RUN_END);

	if (st == NULL)
		return -1;
	sqlite3_bind_double(st, 1, t);
	sqlite3_bind_text(st, 2, ended, -1, SQLITE_STATIC);
	if (message != NULL)
		sqlite3_bind_text(st, 3, message, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, run);
	return db_done(db, st);
}

/* An events row; run <= 0, uptime_ns < 0 and cpu < 0 are NULL. */
int
db_event(struct db *db, int64_t run, double t, int64_t uptime_ns,
    const char *source, const char *type, int cpu, const char *subject,
    const char *message)
{
	sqlite3_stmt *st = db_stmt(db, DB_EVENT);

	if (st == NULL)
		return -1;
	if (run > 0)
		sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_double(st, 2, t);
	if (uptime_ns >= 0)
		sqlite3_bind_int64(st, 3, uptime_ns);
	sqlite3_bind_text(st, 4, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, type, -1, SQLITE_TRANSIENT);
	if (cpu >= 0)
		sqlite3_bind_int(st, 6, cpu);
	sqlite3_bind_text(st, 7, subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, message, -1, SQLITE_TRANSIENT);
	return db_done(db, st);
}

int
db_sample(struct db *db, int64_t run, double t, uint64_t uptime_ns,
    int64_t *idp)
{
	sqlite3_stmt *st = db_stmt(db, DB_SAMPLE);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_double(st, 2, t);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)uptime_ns);
	if (db_done(db, st) != 0)
		return -1;
	*idp = sqlite3_last_insert_rowid(db->db_sql);
	return 0;
}

/*
 * db_fieldrow: a row of a field set's sample table from one record (as in
 * memory: <nbmem/stats.h>), the seq-th of its section (ignored for the
 * machine's).
 */
int
db_fieldrow(struct db *db, const struct nbmd_fieldset *fs, int64_t sample,
    int64_t seq, const void *rec)
{
	const struct nbm_stat_field *f;
	sqlite3_stmt **stp = NULL;
	json_object *v;
	const char *s;
	char *q, *cols, *qs, *t;
	size_t i, len;
	int base;

	for (i = 0; i < nbmd_nfieldsets; i++)
		if (nbmd_fieldsets[i] == fs)
			stp = &db->db_fieldstmts[i];
	if (stp == NULL)
		return -1;
	if (*stp == NULL) {
		cols = xstrdup(fs->fs_array ? "sample_id, seq" : "sample_id");
		qs = xstrdup(fs->fs_array ? "?, ?" : "?");
		for (i = 0; i < fs->fs_nfields; i++) {
			xasprintf(&t, "%s, \"%s\"", cols,
			    fs->fs_fields[i].sf_name);
			free(cols);
			cols = t;
			xasprintf(&t, "%s, ?", qs);
			free(qs);
			qs = t;
		}
		q = sqlite3_mprintf("INSERT INTO \"%w\" (%s) VALUES (%s)",
		    fs->fs_table, cols, qs);
		free(cols);
		free(qs);
		if (sqlite3_prepare_v3(db->db_sql, q, -1,
		    SQLITE_PREPARE_PERSISTENT, stp, NULL) != SQLITE_OK) {
			sqlite3_free(q);
			return -1;
		}
		sqlite3_free(q);
	}
	sqlite3_reset(*stp);
	sqlite3_bind_int64(*stp, 1, sample);
	if (fs->fs_array)
		sqlite3_bind_int64(*stp, 2, seq);
	base = fs->fs_array ? 3 : 2;
	for (i = 0; i < fs->fs_nfields; i++) {
		f = &fs->fs_fields[i];
		switch (f->sf_type) {
		case NBM_STAT_STR:
			s = (const char *)rec + f->sf_offset;
			sqlite3_bind_text(*stp, (int)i + base, s,
			    (int)strnlen(s, f->sf_size), SQLITE_STATIC);
			break;
		case NBM_STAT_U64V:
			v = nbmd_vector_json(f, rec);
			s = proto_string(v, &len);
			sqlite3_bind_text(*stp, (int)i + base, s, (int)len,
			    SQLITE_TRANSIENT);
			json_object_put(v);
			break;
		default:
			/* I64, and U64 as its two's complement bits. */
			sqlite3_bind_int64(*stp, (int)i + base,
			    (sqlite3_int64)nbm_stat_u64(f, rec, 0));
			break;
		}
	}
	return db_done(db, *stp);
}

int
db_run_exists(struct db *db, int64_t run)
{
	sqlite3_stmt *st = db_stmt(db, DB_RUN_EXISTS);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * db_retention: one bounded step of retention, in its own transaction:
 * delete at most batch samples older than cutoff (0: none), or the oldest
 * batch when the database holds more than maxsize bytes (0: no limit),
 * with the events and finished runs older than cutoff; then give at most
 * batch free pages back to the file system.
 * => 0, and *morep when another step would delete more.
 */
int
db_retention(struct db *db, double cutoff, uint64_t maxsize, int batch,
    bool *morep)
{
	sqlite3_stmt *st;
	int64_t npages = 0, nfree = 0, pgsize = 0;
	int deleted = 0;
	bool over = false;
	char *q;

	*morep = false;
	if (maxsize > 0) {
		if (db_int(db->db_sql, "PRAGMA page_count", &npages) != 0 ||
		    db_int(db->db_sql, "PRAGMA freelist_count", &nfree) != 0 ||
		    db_int(db->db_sql, "PRAGMA page_size", &pgsize) != 0)
			return -1;
		over = (uint64_t)((npages - nfree) * pgsize) > maxsize;
	}
	if (cutoff <= 0 && !over)
		return 0;
	if (db_begin(db) != 0)
		return -1;
	if (sqlite3_prepare_v2(db->db_sql, "DELETE FROM samples WHERE "
	    "sample_id IN (SELECT sample_id FROM samples WHERE time < ?1 "
	    "ORDER BY sample_id LIMIT ?2)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_double(st, 1, over ? 1e300 : cutoff);
	sqlite3_bind_int(st, 2, batch);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	deleted = sqlite3_changes(db->db_sql);
	if (cutoff > 0) {
		q = sqlite3_mprintf("DELETE FROM events WHERE event_id IN "
		    "(SELECT event_id FROM events WHERE time < %.6f ORDER BY "
		    "event_id LIMIT %d); DELETE FROM runs WHERE end_time < "
		    "%.6f AND NOT EXISTS (SELECT 1 FROM samples s WHERE "
		    "s.run_id = runs.run_id)", cutoff, batch, cutoff);
		if (db_exec(db->db_sql, q) != 0) {
			sqlite3_free(q);
			goto fail;
		}
		sqlite3_free(q);
	}
	if (db_commit(db) != 0)
		goto fail;
	q = sqlite3_mprintf("PRAGMA incremental_vacuum(%d)", batch);
	(void)db_exec(db->db_sql, q);
	sqlite3_free(q);
	*morep = deleted == batch || (over && deleted > 0);
	return 0;

fail:
	db_rollback(db);
	return -1;
}
