/* db_admin_sql.h: the prepared statements of `portalctl db init`
 * (app/db/db_admin.c), as designated initializers of db.c's statement table;
 * included only there, inside the table. Fields: name, SQL, flags (DB_* of
 * db_int.h). The DDL itself names databases and users, which placeholders
 * cannot, and is built in db_admin.c from checked names. */
/* clang-format off */
[S_ADM_DB_EXISTS] = {"database exists",
    "SELECT COUNT(*) FROM information_schema.schemata"
    " WHERE schema_name = ?",
    DB_SAFE},
[S_ADM_USER_EXISTS] = {"user exists",
    "SELECT COUNT(*) FROM mysql.user WHERE User = ? AND Host = ?",
    DB_SAFE},
    /* clang-format on */
