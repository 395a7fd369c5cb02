//! What a bulk load into an empty table reads from each engine's catalogue to drop the
//! secondary indexes and counting triggers for the load and build them again after it: shared by
//! the register import (`register.rs`) and the benchmark generator (`impact/bench_data.rs`), so
//! both keep the same indexes (those behind a primary key or UNIQUE constraint always stay).

/// `(name, definition)` of a table's secondary indexes on SQLite (`$1`: the table). Indexes
/// SQLite made for constraints have no SQL and stay.
pub(crate) const SQLITE_SECONDARY_INDEXES: &str = "SELECT name, sql FROM sqlite_master
     WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name";

/// `(name, definition)` of a table's secondary indexes on PostgreSQL (`$1`: the table): every
/// index no constraint stands on.
pub(crate) const POSTGRES_SECONDARY_INDEXES: &str =
    "SELECT c.relname::TEXT, pg_get_indexdef(x.indexrelid)
     FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
     WHERE x.indrelid = $1::TEXT::regclass
       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
     ORDER BY c.relname";

/// The definition of a SQLite trigger (`$1`: its name), to create it again after a load.
pub(crate) const SQLITE_TRIGGER: &str =
    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = $1";
