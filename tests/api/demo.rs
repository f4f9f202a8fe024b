//! The demo loader: complete notebooks, realistic identifiers, idempotent.

use diesel::prelude::*;

use crate::support::TestDatabase;

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct Counts {
    #[diesel(sql_type = diesel::sql_types::Text)]
    counts: String,
}

const TABLES: &[&str] = &[
    "deployment",
    "structure",
    "orientation_system",
    "professional",
    "account",
    "beneficiary",
    "notebook",
    "notebook_member",
    "beneficiary_structure",
    "notebook_focus",
    "notebook_target",
    "notebook_action",
    "notebook_appointment",
    "notebook_situation",
    "professional_project",
    "notebook_event",
    "notebook_creation",
];

fn snapshot(conn: &mut PgConnection) -> String {
    let parts: Vec<String> = TABLES
        .iter()
        .map(|t| format!("'{t}=' || (SELECT count(*) || ':' || coalesce(md5(string_agg(r::text, ',' ORDER BY r.id)), '') FROM {t} r)"))
        .collect();
    diesel::sql_query(format!("SELECT {} AS counts", parts.join(" || ' ' || ")))
        .get_result::<Counts>(conn)
        .unwrap()
        .counts
}

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    value: i64,
}

fn scalar(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Value>(conn)
        .unwrap()
        .value
}

#[test]
fn loading_the_demo_twice_changes_nothing() {
    let database = TestDatabase::new();
    let pool = database.pool();
    let first = cdb_hub::demo::load(&pool, 60).unwrap();
    assert_eq!(first.deployments_created, 2);
    assert_eq!(first.beneficiaries_created, 60);
    let mut conn = database.connect();
    let before = snapshot(&mut conn);
    let second = cdb_hub::demo::load(&pool, 60).unwrap();
    assert_eq!(second.deployments_created, 0);
    assert_eq!(second.beneficiaries_created, 0);
    assert_eq!(second.rows_written, 0);
    assert_eq!(snapshot(&mut conn), before);
    // A larger size adds only the missing people.
    let third = cdb_hub::demo::load(&pool, 80).unwrap();
    assert_eq!(third.beneficiaries_created, 20);
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) AS value FROM beneficiary"),
        80
    );
    // Every demo person is announced once in the change feed, in sequence.
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT count(*) AS value FROM change WHERE kind = 'beneficiary.created'"
        ),
        80
    );
    assert_eq!(
        scalar(&mut conn, "SELECT max(seq) AS value FROM change"),
        80
    );
}

#[test]
fn demo_notebooks_are_complete_and_identifiers_valid() {
    let database = TestDatabase::new();
    cdb_hub::demo::load(&database.pool(), 200).unwrap();
    let mut conn = database.connect();
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) AS value FROM deployment"),
        2
    );
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) AS value FROM notebook"),
        200
    );
    for table in [
        "notebook_member",
        "notebook_focus",
        "notebook_target",
        "notebook_action",
        "notebook_appointment",
        "notebook_situation",
        "professional_project",
        "notebook_event",
    ] {
        assert!(
            scalar(&mut conn, &format!("SELECT count(*) AS value FROM {table}")) > 20,
            "{table} is nearly empty"
        );
    }
    // Every NIR is 13 characters whose key can be computed; the demo's are all valid.
    #[derive(QueryableByName)]
    struct Nir {
        #[diesel(sql_type = diesel::sql_types::Text)]
        nir: String,
    }
    let nirs: Vec<Nir> = diesel::sql_query("SELECT nir FROM beneficiary WHERE nir IS NOT NULL")
        .load(&mut conn)
        .unwrap();
    assert!(nirs.len() > 150);
    for Nir { nir } in nirs {
        assert!(cdb_hub::domain::Nir::parse(&nir).is_ok(), "{nir}");
    }
    // ROME codes of projects come from the referential, and each oriented notebook has exactly one referent.
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT count(*) AS value FROM professional_project p LEFT JOIN rome_code r ON r.id = p.rome_code_id WHERE p.rome_code_id IS NOT NULL AND r.id IS NULL"
        ),
        0
    );
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT count(*) AS value FROM (SELECT notebook_id FROM notebook_member WHERE active AND member_type = 'referent' GROUP BY notebook_id HAVING count(*) > 1) twice"
        ),
        0
    );
    // Couples share a CAF matricule with DEM and CJT roles.
    assert!(
        scalar(
            &mut conn,
            "SELECT count(*) AS value FROM beneficiary WHERE household_role = 'CJT'"
        ) > 0
    );
}

#[test]
fn a_second_active_referent_is_refused_by_the_database() {
    let database = TestDatabase::new();
    cdb_hub::demo::load(&database.pool(), 10).unwrap();
    let mut conn = database.connect();
    let result = diesel::sql_query(
        "INSERT INTO notebook_member (deployment_id, notebook_id, account_id, member_type) \
         SELECT m.deployment_id, m.notebook_id, a.id, 'referent' FROM notebook_member m \
         JOIN account a ON a.deployment_id = m.deployment_id AND a.role = 'professional' AND a.id <> m.account_id \
         WHERE m.active AND m.member_type = 'referent' LIMIT 1",
    )
    .execute(&mut conn);
    let error = result.unwrap_err().to_string();
    assert!(
        error.contains("notebook_member_active_referent_key"),
        "{error}"
    );
}
