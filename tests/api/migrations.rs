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

#[derive(QueryableByName, Debug, PartialEq)]
struct FieldSource {
    #[diesel(sql_type = diesel::sql_types::Text)]
    field: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    source_system: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    source_record_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    as_of: String,
}

#[test]
fn the_provenance_of_each_field_moves_into_the_person_row_intact() {
    let database = TestDatabase::empty();
    let mut conn = database.connect();
    cdb_hub::postgres::run_migrations(&mut conn).unwrap();
    // Back to the row-per-field table (before migration 25), with people whose fields came
    // from two sources.
    while conn
        .applied_migrations()
        .unwrap()
        .iter()
        .any(|version| version.to_string().as_str() >= "20261124000025")
    {
        conn.revert_last_migration(cdb_hub::postgres::MIGRATIONS)
            .unwrap();
    }
    for statement in [
        "INSERT INTO deployment (id, label) VALUES ('00000000-0000-0000-0000-000000000026', 'CD 26')",
        "INSERT INTO beneficiary (id, deployment_id, firstname, lastname, date_of_birth, city, right_rsa, updated_at) \
         VALUES ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-000000000026', 'Zoé', 'Lefèvre', '1980-01-02', \
         'Die', 'rsa_droit_ouvert_versable', '2026-01-01T00:00:00Z')",
        "INSERT INTO beneficiary (id, deployment_id, firstname, lastname, date_of_birth) \
         VALUES ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-000000000026', 'Loïc', 'Dupré', '1990-03-04')",
        "INSERT INTO field_provenance (beneficiary_id, field, source_system, source_record_id, as_of) VALUES \
         ('00000000-0000-0000-0000-00000000000a', 'firstname', 'import', 'SI1', '2026-10-01T00:00:00Z'), \
         ('00000000-0000-0000-0000-00000000000a', 'city', 'import', 'SI1', '2026-10-01T00:00:00Z'), \
         ('00000000-0000-0000-0000-00000000000a', 'right_rsa', 'cafmsa:26', NULL, '2026-11-01T00:00:00Z')",
    ] {
        diesel::sql_query(statement).execute(&mut conn).unwrap();
    }
    cdb_hub::postgres::run_migrations(&mut conn).unwrap();
    let sources: Vec<FieldSource> = diesel::sql_query(
        "SELECT field, source_system, source_record_id, to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS as_of \
         FROM field_provenance ORDER BY beneficiary_id, field",
    )
    .load(&mut conn)
    .unwrap();
    let source = |field: &str, system: &str, record: Option<&str>, as_of: &str| FieldSource {
        field: field.into(),
        source_system: system.into(),
        source_record_id: record.map(str::to_owned),
        as_of: as_of.into(),
    };
    assert_eq!(
        sources,
        [
            source("city", "import", Some("SI1"), "2026-10-01"),
            source("firstname", "import", Some("SI1"), "2026-10-01"),
            source("right_rsa", "cafmsa:26", None, "2026-11-01"),
        ]
    );
    // Moving the provenance did not touch the people.
    let untouched: Count = diesel::sql_query(
        "SELECT count(*) AS count FROM beneficiary WHERE updated_at = '2026-01-01T00:00:00Z'",
    )
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(untouched.count, 1);
    let empty: Count = diesel::sql_query(
        "SELECT count(*) AS count FROM beneficiary WHERE provenance = '{}'::jsonb",
    )
    .get_result(&mut conn)
    .unwrap();
    assert_eq!(empty.count, 1);
}

#[test]
fn stored_caf_numbers_take_the_one_parsers_form() {
    #[derive(QueryableByName)]
    struct Number {
        #[diesel(sql_type = diesel::sql_types::Text)]
        caf_number: String,
    }
    let database = TestDatabase::empty();
    let mut conn = database.connect();
    cdb_hub::postgres::run_migrations(&mut conn).unwrap();
    while conn
        .applied_migrations()
        .unwrap()
        .iter()
        .any(|version| version.to_string().as_str() >= "20261124000031")
    {
        conn.revert_last_migration(cdb_hub::postgres::MIGRATIONS)
            .unwrap();
    }
    // Numbers as the former file rule stored them, and as partners sent them raw.
    let raw = [
        "1234560",
        "123",
        "2055990",
        "0123456",
        "CAF0027004992",
        "isqcjqo",
        "12 34 567",
        "000205599000000",
        "012345600000000",
        "0002055990",
    ];
    diesel::sql_query("INSERT INTO deployment (id, label) VALUES ('00000000-0000-0000-0000-000000000031', 'CD 31')")
        .execute(&mut conn)
        .unwrap();
    for (index, number) in raw.iter().enumerate() {
        diesel::sql_query(format!(
            "INSERT INTO beneficiary (deployment_id, firstname, lastname, date_of_birth, caf_number) \
             VALUES ('00000000-0000-0000-0000-000000000031', 'P', 'N{index}', '1980-01-01', '{number}')"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    cdb_hub::postgres::run_migrations(&mut conn).unwrap();
    let stored: Vec<Number> =
        diesel::sql_query("SELECT caf_number FROM beneficiary ORDER BY substr(lastname, 2)::int")
            .load(&mut conn)
            .unwrap();
    for (number, stored) in raw.iter().zip(stored) {
        let parsed = cdb_connector::identity::CafMatricule::parse(number).unwrap();
        assert_eq!(stored.caf_number, parsed.as_str(), "{number}");
    }
}

#[test]
fn processes_starting_together_on_an_empty_database_migrate_it_once() {
    let database = crate::support::TestDatabase::empty();
    let children: Vec<std::process::Child> = (0..3)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_cdb-hub"))
                .env("DATABASE_URL", &database.url)
                .env("CDB_LOG_LEVEL", "warn")
                .arg("migrate")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut conn = database.connect();
    assert!(cdb_hub::postgres::is_migrated(&mut conn).unwrap());
    let applied = diesel::sql_query("SELECT count(*) AS count FROM __diesel_schema_migrations")
        .get_result::<Count>(&mut conn)
        .unwrap();
    let shipped = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().path().join("up.sql").exists())
        .count();
    assert_eq!(applied.count, shipped as i64, "each migration once");
}
