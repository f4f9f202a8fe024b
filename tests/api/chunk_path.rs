//! The chunk path decides and writes known people together; its outcomes must be those of the
//! pipeline taking the same records one at a time. Two deployments hold the same people; next
//! month's records go through the chunk path in one and line by line in the other, and every
//! trace is compared: outcomes, people's values and provenance, timelines, change feed, links.

use cdb_hub::domain::Nir;
use cdb_hub::domain::reach::Reach;
use cdb_hub::inbound::batch::{self, ChunkRecords, Writing};
use cdb_hub::inbound::matching::MatchKey;
use cdb_hub::inbound::pipeline::{self, Options, Outcome};
use cdb_hub::inbound::record::{PersonFields, PersonRecord, Source, SourceKind};
use chrono::{TimeZone, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Jsonb, Uuid as SqlUuid};
use serde_json::Value;
use uuid::Uuid;

use crate::fixture::world;
use crate::support::spawn_app;

fn nir(i: u32) -> Option<Nir> {
    let body = format!("1850375{:06}", 100_000 + i);
    Nir::parse(&body).ok()
}

/// Person `i` of a département's file, as of `day` of March 2026.
fn line(deployment: Uuid, i: u32, day: u32, fields: PersonFields) -> PersonRecord {
    PersonRecord {
        deployment_id: deployment,
        source: Source {
            kind: SourceKind::Departement,
            system: "departement:import".into(),
            record_id: Some(format!("SI-{i}")),
            as_of: Utc
                .with_ymd_and_hms(2026, 3, day, 8, 0, 0)
                .single()
                .unwrap(),
            author_account_id: None,
        },
        fields,
    }
}

/// Person `i`; `k` sets apart the NIRs of the two deployments (a NIR is one person's, in
/// one deployment).
fn base(i: u32, k: u32) -> PersonFields {
    PersonFields {
        firstname: Some(format!("Prénom{i}")),
        lastname: Some("Lefèvre".into()),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1985, 3, 1 + i % 27),
        nir: nir(i + k),
        external_id: Some(format!("SI-{i}")),
        email: cdb_connector::records::Email::parse(&format!("p{i}@exemple.fr")).ok(),
        mobile_number: Some("+33612345678".into()),
        city: Some("Valence".into()),
        right_rsa: Some("rsa_droit_ouvert_versable".into()),
        ..PersonFields::default()
    }
}

/// Next month: contact details, rights, nothing, a pivot that disagrees (a possible match), a
/// value CAF/MSA owns (kept), and someone new.
fn next_month(deployment: Uuid, k: u32) -> Vec<PersonRecord> {
    (0..12)
        .map(|i| {
            let mut fields = base(i, k);
            match i % 6 {
                0 => {
                    fields.email =
                        cdb_connector::records::Email::parse(&format!("nouveau{i}@exemple.fr"))
                            .ok();
                    fields.city = Some("Crest".into());
                }
                1 => fields.right_rsa = Some("rsa_droit_ouvert_et_suspendu".into()),
                2 => {}
                3 => fields.date_of_birth = chrono::NaiveDate::from_ymd_opt(1990, 1, 1),
                4 => {
                    fields.mobile_number = Some("+33698765432".into());
                    fields.right_are = Some(true);
                }
                _ => fields.nir = nir(i + k + 1000),
            }
            line(deployment, i, 20, fields)
        })
        .chain(std::iter::once(line(deployment, 99, 20, base(99, k))))
        .collect()
}

#[derive(QueryableByName)]
struct Trace {
    #[diesel(sql_type = Jsonb)]
    trace: Value,
}

/// Everything a deployment's people carry, by SI id, with what differs by nature (ids, clocks)
/// left out.
fn traces(conn: &mut PgConnection, deployment: Uuid) -> Value {
    let sql = "SELECT jsonb_build_object(\
        'people', (SELECT jsonb_object_agg(b.external_id, to_jsonb(b) - 'id' - 'deployment_id' - 'created_at' - 'updated_at' - 'provenance' - 'nir') FROM beneficiary b WHERE b.deployment_id = $1 AND b.external_id ~ '^SI-[0-9]+$'), \
        'provenance', (SELECT jsonb_object_agg(b.external_id, jsonb_build_object('fields', b.provenance -> 'fields', 'sources', \
            (SELECT jsonb_agg(x.s - 'set_at' ORDER BY x.n) FROM jsonb_array_elements(b.provenance -> 'sources') WITH ORDINALITY AS x(s, n)))) \
            FROM beneficiary b WHERE b.deployment_id = $1 AND b.external_id ~ '^SI-[0-9]+$'), \
        'timeline', (SELECT jsonb_agg(jsonb_build_array(b.external_id, e.event_type, e.event_date, e.payload, n.version) ORDER BY b.external_id, e.event_date, e.payload::text) \
            FROM notebook_event e JOIN notebook n ON n.id = e.notebook_id JOIN beneficiary b ON b.id = n.beneficiary_id WHERE e.deployment_id = $1 AND b.external_id ~ '^SI-[0-9]+$'), \
        'feed', (SELECT jsonb_agg(jsonb_build_array(b.external_id, c.kind, c.fields, c.source_system, c.notebook_id IS NOT NULL) ORDER BY c.seq) \
            FROM change c JOIN beneficiary b ON b.id = c.beneficiary_id WHERE c.deployment_id = $1 AND b.external_id ~ '^SI-[0-9]+$'), \
        'links', (SELECT jsonb_object_agg(s.source_record_id, jsonb_build_array(b.external_id, s.last_as_of)) \
            FROM beneficiary_source s JOIN beneficiary b ON b.id = s.beneficiary_id WHERE s.deployment_id = $1 AND b.external_id ~ '^SI-[0-9]+$'), \
        'possible_matches', (SELECT count(*) FROM possible_match WHERE deployment_id = $1 AND record #>> '{source,record_id}' ~ '^SI-[0-9]+$')) AS trace";
    diesel::sql_query(sql)
        .bind::<SqlUuid, _>(deployment)
        .get_result::<Trace>(conn)
        .unwrap()
        .trace
}

/// An outcome with its people named by SI id instead of their ids.
fn named(conn: &mut PgConnection, outcome: &Outcome) -> Value {
    let mut value = serde_json::to_value(outcome).unwrap();
    if let Some(id) = value.get("beneficiary_id").and_then(Value::as_str) {
        let id: Uuid = id.parse().unwrap();
        let si: String = cdb_hub::schema::beneficiary::table
            .find(id)
            .select(cdb_hub::schema::beneficiary::external_id.assume_not_null())
            .get_result(conn)
            .unwrap();
        value["beneficiary_id"] = Value::String(si);
    }
    if let Some(object) = value.as_object_mut() {
        object.remove("possible_match_id");
        object.remove("notebook_id");
    }
    value
}

/// Records as an import's chunk takes them: what the chunk decides together, the rest alone
/// (each in a savepoint, a refusal of the database being the record's), the changes recorded
/// last. Each outcome says whether the chunk decided it.
fn through_chunk(conn: &mut PgConnection, records: &[PersonRecord]) -> Vec<(Outcome, bool)> {
    let refs: Vec<&PersonRecord> = records.iter().collect();
    let chunk = ChunkRecords::new(&refs);
    let wanted = vec![true; records.len()];
    conn.transaction(|conn| {
        let known = batch::known(conn, &chunk, &wanted, true, Writing::Write)?;
        let mut outcomes = Vec::new();
        let mut pending = Vec::new();
        for (record, found) in records.iter().zip(known) {
            if let Some(found) = found {
                pending.extend(found.change);
                outcomes.push((found.outcome, true));
                continue;
            }
            let alone = conn.transaction(|conn| {
                pipeline::ingest(
                    conn,
                    record,
                    "import",
                    Reach::Everything,
                    Options::default(),
                )
            });
            match alone {
                Ok((outcome, change)) => {
                    pending.extend(change);
                    outcomes.push((outcome, false));
                }
                Err(diesel::result::Error::DatabaseError(..)) => outcomes.push((
                    Outcome::Rejected {
                        code: "not_applicable".into(),
                        message: String::new(),
                    },
                    false,
                )),
                Err(error) => return Err(error),
            }
        }
        cdb_hub::store::changes::record(conn, &pending)?;
        Ok::<_, diesel::result::Error>(outcomes)
    })
    .unwrap()
}

/// Asserts two traces are equal, naming the first part that differs.
fn same(mine: &Value, theirs: &Value) {
    for part in [
        "people",
        "provenance",
        "timeline",
        "feed",
        "links",
        "possible_matches",
    ] {
        let (a, b) = (&mine[part], &theirs[part]);
        if let (Some(a), Some(b)) = (a.as_object(), b.as_object()) {
            for (key, value) in a {
                assert_eq!(Some(value), b.get(key), "{part} of {key}");
            }
        } else if let (Some(a), Some(b)) = (a.as_array(), b.as_array()) {
            for (x, y) in a.iter().zip(b) {
                assert_eq!(x, y, "{part}");
            }
        }
        assert_eq!(a, b, "{part}");
    }
}

/// The status of each outcome.
fn statuses(outcomes: impl IntoIterator<Item = Outcome>) -> Vec<Value> {
    outcomes
        .into_iter()
        .map(|outcome| serde_json::to_value(outcome).unwrap()["status"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chunk_path_leaves_what_the_pipeline_leaves_line_by_line() {
    let app = spawn_app().await;
    let world = world(&app).await;
    let (chunked, alone) = (world.deployment_a, world.deployment_b);
    let url = app.database.url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        for (deployment, k) in [(chunked, 0), (alone, 5000)] {
            let first: Vec<PersonRecord> = (0..12)
                .map(|i| line(deployment, i, 1, base(i, k)))
                .collect();
            cdb_hub::inbound::ingest_all(&mut conn, &first, "import", Reach::Everything).unwrap();
        }
        // Line by line, as the pipeline always did.
        let records = next_month(alone, 5000);
        let by_line =
            cdb_hub::inbound::ingest_all(&mut conn, &records, "import", Reach::Everything).unwrap();
        let records = next_month(chunked, 0);
        let together = through_chunk(&mut conn, &records);
        // The chunk decided the known people that change or not; the pivot conflicts and the
        // new person went alone.
        let decided: Vec<bool> = together.iter().map(|(_, together)| *together).collect();
        assert_eq!(decided.iter().filter(|d| **d).count(), 8, "{decided:?}");
        assert!(
            together
                .iter()
                .any(|(o, t)| *t && matches!(o, Outcome::Updated { .. }))
        );
        assert!(
            together
                .iter()
                .any(|(o, t)| *t && matches!(o, Outcome::Unchanged { .. }))
        );
        for ((outcome, _), expected) in together.iter().zip(&by_line) {
            assert_eq!(named(&mut conn, outcome), named(&mut conn, expected));
            if let (
                Outcome::Updated {
                    changes,
                    kept_values,
                    ..
                },
                Outcome::Updated {
                    changes: c2,
                    kept_values: k2,
                    ..
                },
            ) = (outcome, expected)
            {
                assert_eq!(changes, c2);
                assert_eq!(kept_values, k2);
            }
        }
        let (mine, theirs) = (traces(&mut conn, chunked), traces(&mut conn, alone));
        assert!(
            mine["timeline"].as_array().is_some_and(|t| !t.is_empty()),
            "{mine}"
        );
        assert_eq!(mine["possible_matches"], 4, "{mine}");
        same(&mine, &theirs);
        // A record the database refuses (a right it does not know) undoes the chunk's writes:
        // its changes go alone, and the refused one is told, as line by line.
        let refused = |deployment, k| {
            let mut wrong = base(4, k);
            wrong.right_rsa = Some("droit_inconnu".into());
            let mut moved = base(0, k);
            moved.city = Some("Die".into());
            vec![
                line(deployment, 4, 25, wrong),
                line(deployment, 0, 25, moved),
            ]
        };
        let by_line = cdb_hub::inbound::ingest_all(
            &mut conn,
            &refused(alone, 5000),
            "import",
            Reach::Everything,
        )
        .unwrap();
        let together = through_chunk(&mut conn, &refused(chunked, 0));
        assert!(together.iter().all(|(_, decided)| !decided), "{together:?}");
        assert_eq!(
            statuses(together.into_iter().map(|(o, _)| o)),
            statuses(by_line)
        );
        same(&traces(&mut conn, chunked), &traces(&mut conn, alone));
        // A CAF/MSA flux reports the same people, not linked to it yet: the chunk finds them by
        // their NIR and links them, as the matching does; a NIR of the other deployment goes
        // alone (a possible match for the managers).
        let flux = |deployment: Uuid, k: u32, other: u32| {
            [0, 1, 2, 6, 7, 8]
                .into_iter()
                .map(|i| (i, nir(i + k)))
                .chain(std::iter::once((30, nir(1 + other))))
                .map(|(i, nir)| PersonRecord {
                    deployment_id: deployment,
                    source: Source {
                        kind: SourceKind::CafMsa,
                        system: "cafmsa".into(),
                        record_id: Some(format!("CAF-{i}")),
                        as_of: Utc.with_ymd_and_hms(2026, 3, 28, 8, 0, 0).single().unwrap(),
                        author_account_id: None,
                    },
                    fields: PersonFields {
                        nir,
                        caf_number: cdb_connector::identity::CafMatricule::parse(&format!(
                            "{:07}",
                            1_000 + i
                        ))
                        .ok(),
                        right_rsa: Some(
                            if i % 2 == 0 {
                                "rsa_droit_ouvert_et_suspendu"
                            } else {
                                "rsa_droit_ouvert_versable"
                            }
                            .into(),
                        ),
                        ..PersonFields::default()
                    },
                })
                .collect::<Vec<_>>()
        };
        let by_line = cdb_hub::inbound::ingest_all(
            &mut conn,
            &flux(alone, 5000, 0),
            "import",
            Reach::Everything,
        )
        .unwrap();
        let together = through_chunk(&mut conn, &flux(chunked, 0, 5000));
        let decided: Vec<bool> = together.iter().map(|(_, decided)| *decided).collect();
        assert_eq!(decided, [true, true, true, true, true, true, false]);
        assert!(
            together.iter().any(|(o, _)| matches!(
                o,
                Outcome::Updated {
                    matched_by: MatchKey::Nir,
                    ..
                }
            )),
            "{together:?}"
        );
        for ((outcome, _), expected) in together.iter().zip(&by_line) {
            assert_eq!(named(&mut conn, outcome), named(&mut conn, expected));
        }
        let (mine, theirs) = (traces(&mut conn, chunked), traces(&mut conn, alone));
        assert!(mine["links"].get("CAF-6").is_some(), "{mine}");
        same(&mine, &theirs);
    })
    .await
    .unwrap();
}
