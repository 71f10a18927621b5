/* db_migrate_sql.h: the SQL of the migration statements (app/db/db_migrate.c),
 * as designated initializers of db.c's statement table; included only there,
 * inside the table. Fields: name, SQL, flags (DB_* of db_int.h). */
/* clang-format off */
[S_MIG_TABLE] = {"migrations table",
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT UNSIGNED NOT NULL, name VARCHAR(255) NOT NULL,"
    " applied_at BIGINT NOT NULL, PRIMARY KEY (version))"
    " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    " COLLATE=utf8mb4_unicode_ci",
    1},
[S_MIG_HAS] = {"migration applied",
    "SELECT version FROM schema_migrations WHERE version = ?", 1},
[S_MIG_ADD] = {"migration record",
    "INSERT INTO schema_migrations (version, name, applied_at)"
    " VALUES (?, ?, UNIX_TIMESTAMP())",
    0},
[S_MIG_EXISTS] = {"migrations table exists",
    "SELECT COUNT(*) FROM information_schema.tables"
    " WHERE table_schema = DATABASE()"
    " AND table_name = 'schema_migrations'",
    1},
    /* clang-format on */
