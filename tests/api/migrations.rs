//! Every migration goes up, down and up again.

use diesel::prelude::*;
use diesel_migrations::MigrationHarness;

use crate::support::TestDatabase;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

fn public_tables(conn: &mut PgConnection) -> i64 {
    diesel::sql_query(
        "SELECT count(*) AS count FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .get_result::<Count>(conn)
    .unwrap()
    .count
}

#[test]
fn migrations_go_up_down_and_up_again() {
    let database = TestDatabase::empty();
    let mut conn = database.connect();
    cdb_hub::postgres::run_migrations(&mut conn).unwrap();
    let tables = public_tables(&mut conn);
    assert!(tables > 30, "only {tables} tables after the migrations");
    let rome: Count = diesel::sql_query("SELECT count(*) AS count FROM rome_code")
        .get_result(&mut conn)
        .unwrap();
    assert!(rome.count > 10_000, "ROME codes seeded: {}", rome.count);
    conn.revert_all_migrations(cdb_hub::postgres::MIGRATIONS)
        .unwrap();
    assert_eq!(public_tables(&mut conn), 0);
    cdb_hub::postgres::run_migrations(&mut conn).unwrap();
    assert_eq!(public_tables(&mut conn), tables);
    assert!(cdb_hub::postgres::is_migrated(&mut conn).unwrap());
}

#[test]
fn one_active_referent_at_most_is_enforced_by_the_database() {
    let database = TestDatabase::new();
    let mut conn = database.connect();
    let index: Count = diesel::sql_query(
        "SELECT count(*) AS count FROM pg_indexes WHERE tablename = 'notebook_member' \
         AND indexdef ILIKE '%UNIQUE%' AND indexdef ILIKE '%referent%'",
    )
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(index.count, 1);
}
