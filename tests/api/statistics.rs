//! A load of new people refreshes the planner's statistics while the tables are young.

use cdb_hub::store::statistics::PeopleGrowth;
use diesel::prelude::*;

use crate::support::TestDatabase;

#[derive(QueryableByName)]
struct Estimate {
    #[diesel(sql_type = diesel::sql_types::Double)]
    rows: f64,
}

fn estimate(conn: &mut PgConnection) -> f64 {
    diesel::sql_query(
        "SELECT reltuples::float8 AS rows FROM pg_class WHERE oid = 'beneficiary'::regclass",
    )
    .get_result::<Estimate>(conn)
    .unwrap()
    .rows
}

#[test]
fn the_tables_are_analysed_when_they_have_doubled_and_no_longer_once_the_planner_knows_enough() {
    let database = TestDatabase::new();
    let mut conn = database.connect();
    diesel::sql_query("INSERT INTO deployment (label) VALUES ('Statistiques')")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query(
        "INSERT INTO beneficiary (deployment_id, firstname, lastname, date_of_birth) \
         SELECT (SELECT id FROM deployment WHERE label = 'Statistiques'), 'Zoé', 'N' || n, DATE '1980-01-01' + n \
         FROM generate_series(1, 1500) AS n",
    )
    .execute(&mut conn)
    .unwrap();
    let mut growth = PeopleGrowth::start(&mut conn).unwrap();
    // Too few to be worth it.
    assert!(!growth.created(&mut conn, 900).unwrap());
    // 1,500 new people and the planner knew of none: analysed.
    assert!(growth.created(&mut conn, 600).unwrap());
    assert!(estimate(&mut conn) >= 1_400.0, "{}", estimate(&mut conn));
    // Not doubled again yet.
    assert!(!growth.created(&mut conn, 1_000).unwrap());

    // A planner that knows of many people is left to autovacuum.
    diesel::sql_query(
        "INSERT INTO beneficiary (deployment_id, firstname, lastname, date_of_birth) \
         SELECT (SELECT id FROM deployment WHERE label = 'Statistiques'), 'Loïc', 'N' || n, DATE '1950-01-01' + n \
         FROM generate_series(1, 10000) AS n",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query("ANALYZE beneficiary")
        .execute(&mut conn)
        .unwrap();
    let mut growth = PeopleGrowth::start(&mut conn).unwrap();
    assert!(!growth.created(&mut conn, 50_000).unwrap());
}
