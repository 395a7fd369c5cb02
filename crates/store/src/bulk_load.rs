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

/// `(name, kind, definition)` of the constraints on a table (`$1`) that a bulk load into it
/// when empty drops and adds again after (PostgreSQL): UNIQUE constraints (`u`) no foreign key
/// leans on, and its own foreign keys (`f`). The primary key stays.
pub(crate) const POSTGRES_DROPPABLE_CONSTRAINTS: &str =
    "SELECT k.conname::TEXT, k.contype::TEXT, pg_get_constraintdef(k.oid)
     FROM pg_constraint k
     WHERE k.conrelid = $1::TEXT::regclass
       AND (k.contype = 'f' OR (k.contype = 'u' AND NOT EXISTS (
            SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = k.conindid)))
     ORDER BY k.contype DESC, k.conname";

/// The definition of a PostgreSQL trigger (`$1`: its table, `$2`: its name).
pub(crate) const POSTGRES_TRIGGER: &str = "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t
     WHERE t.tgrelid = $1::TEXT::regclass AND t.tgname = $2 AND NOT t.tgisinternal";
