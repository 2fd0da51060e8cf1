-- 0001-initial.sql: schema version 1 of an nbmemd history database.
--
-- Runs (one per machine boot), samples (one per recorder interval), the
-- machine's counters per sample, and events.  Times are Unix time in
-- seconds (REAL, microseconds kept); uptime_ns is the machine's own clock.
--
-- The statistics columns of the sample tables are not written here: the
-- daemon adds one INTEGER column per field of its field lists
-- (daemon/fields.h, <nbmem/stats.h>) when it opens the database, so that
-- a field added to a list needs no migration (schema/README).

CREATE TABLE runs (
	run_id		INTEGER PRIMARY KEY,	-- one per machine boot
	start_time	REAL NOT NULL,		-- when the machine process started
	end_time	REAL,			-- when it ended; NULL while running
	ended		TEXT			-- how it ended; NULL while running
	    CHECK (ended IN ('shutdown', 'daemon-stop', 'panic', 'crash',
		'hung', 'lost')),
	message		TEXT,			-- panic message or crash detail
	seed		INTEGER NOT NULL,	-- machine.seed
	ncpu		INTEGER NOT NULL,	-- machine.ncpu
	page_size	INTEGER NOT NULL,	-- machine.page_size, bytes
	physmem		INTEGER NOT NULL,	-- machine.physmem, bytes
	pid		INTEGER NOT NULL,	-- the machine process
	config		TEXT NOT NULL		-- the machine configuration (JSON)
	    CHECK (json_valid(config))
);

CREATE TABLE samples (
	sample_id	INTEGER PRIMARY KEY,	-- grows with time
	run_id		INTEGER NOT NULL	-- the machine it was taken of
	    REFERENCES runs ON DELETE CASCADE,
	time		REAL NOT NULL,		-- when it was taken
	uptime_ns	INTEGER NOT NULL	-- the machine's uptime then
);
CREATE INDEX samples_run ON samples (run_id, sample_id);
CREATE INDEX samples_time ON samples (time);

-- The machine's counters (struct nbm_uvmexp), one row per sample; one
-- column per field of NBMD_UVMEXP_FIELDS, added by the daemon.
CREATE TABLE machine_samples (
	sample_id	INTEGER PRIMARY KEY
	    REFERENCES samples ON DELETE CASCADE
);

CREATE TABLE events (
	event_id	INTEGER PRIMARY KEY,	-- grows with time
	run_id		INTEGER			-- the run, NULL if none
	    REFERENCES runs ON DELETE CASCADE,
	time		REAL NOT NULL,		-- when it was recorded
	uptime_ns	INTEGER,		-- machine uptime, if from it
	source		TEXT NOT NULL		-- who saw it
	    CHECK (source IN ('machine', 'daemon')),
	type		TEXT NOT NULL,		-- panic, hardlimit, warning,
						-- pagedaemon, intr, workload,
						-- boot, boot-failed, shutdown,
						-- daemon-stop, crash, hung,
						-- lost-events, ...
	cpu		INTEGER,		-- CPU it happened on, if known
	subject		TEXT NOT NULL DEFAULT '', -- pool, source, op, ...
	message		TEXT NOT NULL DEFAULT '' -- what happened
);
CREATE INDEX events_run ON events (run_id, event_id);
CREATE INDEX events_time ON events (time);
