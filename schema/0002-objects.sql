-- 0002-objects.sql: schema version 2 of an nbmemd history database.
--
-- One row per sample and object: pools (kern.pool records), pool caches
-- per CPU, vmem arenas and extents, beside machine_samples.  As there,
-- the statistics columns are added by the daemon, one per field of the
-- record's field list in <nbmem/stats.h> (schema/README); the tables here
-- hold only their keys and the lists' label fields.  Names need not be
-- unique (a kernel may have two pools of one name, as kern.pool shows),
-- so a row's key is its place in the sample: seq counts the records of
-- the snapshot's section from 0, in its order (kern.pool order for
-- pools).  A sample's rows go with it (ON DELETE CASCADE), so retention
-- needs nothing more.

-- struct pool_sysctl, NBM_POOL_FIELDS.
CREATE TABLE pool_samples (
	-- the sample
	sample_id	INTEGER NOT NULL REFERENCES samples ON DELETE CASCADE,
	-- the record's place in the sample, from 0
	seq		INTEGER NOT NULL,
	-- the pool (its wait channel)
	wchan		TEXT NOT NULL,
	PRIMARY KEY (sample_id, seq)
) WITHOUT ROWID;
-- history.export of one pool.
CREATE INDEX pool_samples_wchan ON pool_samples (wchan, sample_id);

-- struct nbm_cachecpu_stats, NBM_CACHECPU_FIELDS.
CREATE TABLE cache_samples (
	-- the sample
	sample_id	INTEGER NOT NULL REFERENCES samples ON DELETE CASCADE,
	-- the record's place in the sample, from 0
	seq		INTEGER NOT NULL,
	-- the cache's pool
	wchan		TEXT NOT NULL,
	-- the CPU
	cpu		INTEGER NOT NULL,
	PRIMARY KEY (sample_id, seq)
) WITHOUT ROWID;

-- struct nbm_vmem_stats, NBM_VMEM_FIELDS; freelist is a JSON array.
CREATE TABLE vmem_samples (
	-- the sample
	sample_id	INTEGER NOT NULL REFERENCES samples ON DELETE CASCADE,
	-- the record's place in the sample, from 0
	seq		INTEGER NOT NULL,
	-- the arena
	name		TEXT NOT NULL,
	PRIMARY KEY (sample_id, seq)
) WITHOUT ROWID;

-- struct nbm_extent_stats, NBM_EXTENT_FIELDS.
CREATE TABLE extent_samples (
	-- the sample
	sample_id	INTEGER NOT NULL REFERENCES samples ON DELETE CASCADE,
	-- the record's place in the sample, from 0
	seq		INTEGER NOT NULL,
	-- the extent
	name		TEXT NOT NULL,
	PRIMARY KEY (sample_id, seq)
) WITHOUT ROWID;
