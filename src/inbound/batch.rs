//! A chunk of records at once, for files: one query tells which records can match nobody,
//! and those that then can only be new people are created together in a few statements.
//! The outcome is the one [`pipeline::ingest`] gives one record at a time; every other record
//! (a key known in the database, a key shared with another record of the chunk, an identity
//! to reject) is left to it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{
    Array, Date, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use uuid::Uuid;

use super::matching::MatchKey;
use super::pipeline::{self, Options, Outcome};
use super::record::{PersonField, PersonRecord};
use crate::domain::provenance::FieldSources;
use crate::store::changes::PendingChange;
use cdb_connector::text::fold;

/// A record's result from the batch: created, or `None` for [`pipeline::ingest`] to handle.
pub type Created = Option<(Outcome, Option<PendingChange>)>;

/// The identity keys of a record, as strings comparable between records of a chunk; coarser
/// than the database's comparisons (names are folded harder), never finer.
fn keys(record: &PersonRecord) -> Vec<String> {
    let deployment = record.deployment_id;
    let fields = &record.fields;
    let mut keys = Vec::new();
    if let Some(id) = &record.source.record_id {
        keys.push(format!("source:{deployment}:{}:{id}", record.source.system));
    }
    if let Some(nir) = record.nir() {
        keys.push(format!("nir:{}", nir.as_str()));
    }
    if let Some(caf) = &fields.caf_number {
        // The matching tells a household's people apart by role (none stored is the
        // applicant), or, for a record without one, by birth date (none is the applicant).
        let caf = caf.as_str();
        match (fields.household_role, fields.date_of_birth) {
            (Some(role), born) => {
                keys.push(format!("caf:{deployment}:{caf}:{}", role.code()));
                keys.extend(born.map(|born| format!("caf:{deployment}:{caf}:born:{born}")));
            }
            (None, Some(born)) => keys.push(format!("caf:{deployment}:{caf}:born:{born}")),
            (None, None) => keys.push(format!("caf:{deployment}:{caf}:DEM")),
        }
    }
    if let Some(ft) = &fields.france_travail_id {
        keys.push(format!("ft:{deployment}:{}", ft.as_str()));
    }
    if let Some(external) = &fields.external_id {
        keys.push(format!("si:{deployment}:{external}"));
    }
    if let (Some(first), Some(last), Some(birth)) =
        (&fields.firstname, &fields.lastname, fields.date_of_birth)
    {
        let name = |text: &str| fold(text).replace('ß', "ss");
        keys.push(format!(
            "names:{deployment}:{birth}:{}:{}",
            name(first),
            name(last)
        ));
    }
    keys
}

/// Whether the pipeline would create this record if nobody matched it (identity complete; a
/// NIR is valid by its type).
fn creatable(record: &PersonRecord) -> bool {
    let fields = &record.fields;
    fields.firstname.is_some() && fields.lastname.is_some() && fields.date_of_birth.is_some()
}

#[derive(QueryableByName)]
struct Index {
    #[diesel(sql_type = Integer)]
    i: i32,
}

/// For each record, whether no person of the database can match it on any of its keys (one
/// query for the whole chunk, as inclusive as the matching: a `false` only means "ask it").
/// Each `EXISTS` ends with `OFFSET 0` so that it stays a probe of an index per record: without
/// it the planner may hash the whole table once per chunk and key, a cost that grows with the
/// deployment (a file of 110,000 new people then took minutes instead of seconds).
pub fn unknown(conn: &mut PgConnection, records: &[&PersonRecord]) -> QueryResult<Vec<bool>> {
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let text = |f: &dyn Fn(&PersonRecord) -> Option<String>| -> Vec<Option<String>> {
        records.iter().map(|record| f(record)).collect()
    };
    let index: Vec<i32> = (0..records.len())
        .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
        .collect();
    let deployments: Vec<Uuid> = records.iter().map(|r| r.deployment_id).collect();
    let births: Vec<Option<NaiveDate>> = records.iter().map(|r| r.fields.date_of_birth).collect();
    // The CAF/MSA and SI clauses are the matching's own: a household's other members (a
    // child, a spouse) do not make a record ask.
    let hits: Vec<Index> = diesel::sql_query(
        "SELECT t.i FROM unnest($1::int4[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], \
           $7::text[], $8::text[], $9::date[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[]) \
           AS t(i, dep, sys, rid, nir, caf, ft, ext, dob, fn, ln, org, role, ext_role) \
         WHERE (t.rid IS NOT NULL AND EXISTS (SELECT 1 FROM beneficiary_source s WHERE s.deployment_id = t.dep \
                AND s.source_system = t.sys AND s.source_record_id = t.rid OFFSET 0)) \
            OR (t.nir IS NOT NULL AND EXISTS (SELECT 1 FROM beneficiary b WHERE b.nir = t.nir OFFSET 0)) \
            OR (t.caf IS NOT NULL AND EXISTS (SELECT 1 FROM beneficiary b WHERE b.deployment_id = t.dep AND b.caf_number = t.caf \
                AND (t.org IS NULL OR b.caf_organisation IS NULL OR b.caf_organisation = t.org) \
                AND CASE WHEN t.role IS NOT NULL THEN coalesce(b.household_role, 'DEM') = t.role \
                         WHEN t.dob IS NOT NULL THEN b.date_of_birth = t.dob \
                         ELSE coalesce(b.household_role, 'DEM') = 'DEM' END OFFSET 0)) \
            OR (t.ft IS NOT NULL AND EXISTS (SELECT 1 FROM beneficiary b WHERE b.deployment_id = t.dep AND b.france_travail_id = t.ft OFFSET 0)) \
            OR (t.ext IS NOT NULL AND EXISTS (SELECT 1 FROM beneficiary b WHERE b.deployment_id = t.dep AND b.external_id = t.ext \
                AND (t.ext_role IS NULL OR b.external_role IS NULL OR b.external_role = t.ext_role) OFFSET 0)) \
            OR (t.dob IS NOT NULL AND t.fn IS NOT NULL AND t.ln IS NOT NULL AND EXISTS (SELECT 1 FROM beneficiary b \
                WHERE b.deployment_id = t.dep AND b.date_of_birth = t.dob \
                AND lower(unaccent(btrim(b.firstname))) = lower(unaccent(btrim(t.fn))) \
                AND lower(unaccent(btrim(b.lastname))) = lower(unaccent(btrim(t.ln))) OFFSET 0))",
    )
    .bind::<Array<Integer>, _>(&index)
    .bind::<Array<SqlUuid>, _>(&deployments)
    .bind::<Array<Nullable<Text>>, _>(text(&|r| Some(r.source.system.clone())))
    .bind::<Array<Nullable<Text>>, _>(text(&|r| r.source.record_id.clone()))
    .bind::<Array<Nullable<Text>>, _>(text(&|r| r.fields.nir.clone().map(String::from)))
    .bind::<Array<Nullable<Text>>, _>(text(&|r| r.fields.caf_number.clone().map(String::from)))
    .bind::<Array<Nullable<Text>>, _>(text(&|r| r.fields.france_travail_id.clone().map(String::from)))
    .bind::<Array<Nullable<Text>>, _>(text(&|r| r.fields.external_id.clone()))
    .bind::<Array<Nullable<Date>>, _>(&births)
    .bind::<Array<Nullable<Text>>, _>(text(&|r| r.fields.firstname.clone()))
    .bind::<Array<Nullable<Text>>, _>(text(&|r| r.fields.lastname.clone()))
    .bind::<Array<Nullable<Text>>, _>(text(&|r| r.fields.caf_organisation.clone()))
    .bind::<Array<Nullable<Text>>, _>(text(&|r| r.fields.household_role.map(|role| role.code().to_owned())))
    .bind::<Array<Nullable<Text>>, _>(text(&|r| r.fields.external_role.clone()))
    .load(conn)?;
    let mut unknown = vec![true; records.len()];
    for hit in hits {
        if let Some(slot) = usize::try_from(hit.i).ok().and_then(|i| unknown.get_mut(i)) {
            *slot = false;
        }
    }
    Ok(unknown)
}

/// For each record, whether none of its keys is shared with another record of the slice.
fn alone(records: &[&PersonRecord]) -> Vec<bool> {
    let record_keys: Vec<Vec<String>> = records.iter().map(|record| keys(record)).collect();
    let mut shared: HashMap<&str, usize> = HashMap::new();
    for key in record_keys.iter().flatten() {
        *shared.entry(key.as_str()).or_default() += 1;
    }
    record_keys
        .iter()
        .map(|keys| {
            keys.iter()
                .all(|key| shared.get(key.as_str()).copied() == Some(1))
        })
        .collect()
}

/// A chunk's records, with which of them share none of their keys with another (computed
/// once for both chunk paths).
pub struct ChunkRecords<'a, 'r> {
    records: &'a [&'r PersonRecord],
    lonely: Vec<bool>,
}

impl<'a, 'r> ChunkRecords<'a, 'r> {
    /// The chunk's records, in file order.
    pub fn new(records: &'a [&'r PersonRecord]) -> Self {
        Self {
            records,
            lonely: alone(records),
        }
    }
}

/// For each record of a chunk applied in order, whether it surely matches nobody. `inert`
/// says which records cannot create anyone (a flux that only updates known people): such a
/// record, matching nobody at the chunk's start, changes nothing whenever it is applied. A
/// record is surely unknown when none of its keys is known in the database at the chunk's
/// start, nor shared with another record of the chunk that may create or change someone
/// before it (any record but an inert one matching nobody).
pub fn surely_unknown(
    conn: &mut PgConnection,
    records: &[&PersonRecord],
    inert: &[bool],
) -> QueryResult<Vec<bool>> {
    let unknown = unknown(conn, records)?;
    let idle: Vec<bool> = (0..records.len())
        .map(|i| unknown[i] && inert.get(i).copied().unwrap_or(false))
        .collect();
    let record_keys: Vec<Vec<String>> = records.iter().map(|record| keys(record)).collect();
    let mut acting: HashMap<&str, usize> = HashMap::new();
    for (i, keys) in record_keys.iter().enumerate() {
        if !idle[i] {
            for key in keys {
                *acting.entry(key.as_str()).or_default() += 1;
            }
        }
    }
    Ok(record_keys
        .iter()
        .enumerate()
        .map(|(i, keys)| {
            // Its own keys count once among the acting records' when it is one of them.
            let own = usize::from(!idle[i]);
            unknown[i]
                && keys
                    .iter()
                    .all(|key| acting.get(key.as_str()).copied().unwrap_or(0) <= own)
        })
        .collect())
}

/// Whether what a chunk finds is written whole, or only what later lines match against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writing {
    /// Write it.
    Write,
    /// A preview, whose transaction is rolled back at the end of the file: the people, their
    /// empty notebooks and their source links are written (a later line of the file matches
    /// them as the commit will), their timeline, creations and links seen are not.
    Preview,
}

/// One person to create together with others.
struct NewPerson<'a> {
    record: &'a PersonRecord,
    beneficiary: Uuid,
    notebook: Uuid,
    present: Vec<(PersonField, serde_json::Value)>,
}

/// Creates together the records that can only be new people (see the module); answers each
/// record's outcome, `None` for those left to [`pipeline::ingest`]. `wanted` says which records
/// the caller lets go together: the others are only there for their keys (a record applied the
/// usual way may create or change someone the others would then match). Runs in the caller's
/// transaction (in a savepoint: if the database refuses one of them, none is created here and
/// all are left to the per-record path, which tells which one). With [`Writing::Preview`]
/// the people are written without their notebooks' creations.
pub fn create_new(
    conn: &mut PgConnection,
    chunk: &ChunkRecords<'_, '_>,
    wanted: &[bool],
    creation_source: &str,
    writing: Writing,
) -> QueryResult<Vec<Created>> {
    let records = chunk.records;
    let mut results: Vec<Created> = vec![None; records.len()];
    let wanted = |i: usize| wanted.get(i).copied().unwrap_or(false) && creatable(records[i]);
    if !(0..records.len()).any(wanted) {
        return Ok(results);
    }
    // Keys shared with any other record count, wanted or not.
    let lonely = &chunk.lonely;
    let candidates: Vec<usize> = (0..records.len())
        .filter(|&i| wanted(i) && lonely[i])
        .collect();
    let asked: Vec<&PersonRecord> = candidates.iter().map(|&i| records[i]).collect();
    let unknown = unknown(conn, &asked)?;
    let people: Vec<(usize, NewPerson<'_>)> = candidates
        .iter()
        .zip(unknown)
        .filter(|(_, unknown)| *unknown)
        .map(|(&i, _)| {
            let record = records[i];
            let present = pipeline::present_values(record);
            let person = NewPerson {
                record,
                beneficiary: Uuid::new_v4(),
                notebook: Uuid::new_v4(),
                present,
            };
            (i, person)
        })
        .collect();
    if people.is_empty() {
        return Ok(results);
    }
    {
        let written = conn.transaction(|conn| insert(conn, &people, creation_source, writing));
        match written {
            Ok(()) => {}
            Err(DieselError::DatabaseError(..)) => return Ok(results),
            Err(error) => return Err(error),
        }
    }
    for (i, person) in people {
        let fields: Vec<String> = person
            .present
            .into_iter()
            .map(|(field, _)| field.column().to_owned())
            .collect();
        results[i] = Some((
            Outcome::Created {
                beneficiary_id: person.beneficiary,
                notebook_id: person.notebook,
            },
            Some(PendingChange {
                deployment_id: person.record.deployment_id,
                beneficiary_id: person.beneficiary,
                notebook_id: Some(person.notebook),
                kind: "beneficiary.created",
                fields,
                source_system: Some(person.record.source.system.clone()),
            }),
        ));
    }
    Ok(results)
}

#[derive(QueryableByName)]
struct ColumnDefault {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    default: String,
}

/// The people's columns that cannot be null and have a default, read once: the schema is the
/// binary's own (its migrations).
static DEFAULTS: std::sync::OnceLock<HashMap<String, String>> = std::sync::OnceLock::new();

/// The people's columns that cannot be null and have a default, with it (as SQL).
fn defaults(conn: &mut PgConnection) -> QueryResult<&'static HashMap<String, String>> {
    if let Some(defaults) = DEFAULTS.get() {
        return Ok(defaults);
    }
    let read = read_defaults(conn)?;
    Ok(DEFAULTS.get_or_init(|| read))
}

fn read_defaults(conn: &mut PgConnection) -> QueryResult<HashMap<String, String>> {
    let rows: Vec<ColumnDefault> = diesel::sql_query(
        "SELECT a.attname::text AS name, pg_get_expr(d.adbin, d.adrelid) AS default \
         FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE a.attrelid = 'beneficiary'::regclass AND a.attnotnull AND NOT a.attisdropped",
    )
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| (row.name, row.default))
        .collect())
}

/// The people (with the provenance of their fields), their notebooks and creations, and their
/// source links: a statement each. The people's statement names every column one of them has;
/// a column another lacks takes its default, as when it is not named.
fn insert(
    conn: &mut PgConnection,
    people: &[(usize, NewPerson<'_>)],
    creation_source: &str,
    writing: Writing,
) -> QueryResult<()> {
    let now = Utc::now();
    let mut names: Vec<&str> = Vec::new();
    let mut rows = Vec::with_capacity(people.len());
    for (_, person) in people {
        for (field, _) in &person.present {
            if !names.contains(&field.column()) {
                names.push(field.column());
            }
        }
        let mut object: serde_json::Map<String, serde_json::Value> = person
            .present
            .iter()
            .map(|(field, value)| (field.column().to_owned(), value.clone()))
            .collect();
        let provenance = FieldSources::new(
            person.record.claim(now),
            person
                .present
                .iter()
                .map(|(field, _)| field.column().to_owned()),
        );
        object.insert("provenance".into(), provenance.to_json());
        object.insert("id".into(), person.beneficiary.to_string().into());
        object.insert(
            "deployment_id".into(),
            person.record.deployment_id.to_string().into(),
        );
        rows.push(serde_json::Value::Object(object));
    }
    let defaults = defaults(conn)?;
    let values: Vec<String> = names
        .iter()
        .map(|name| match defaults.get(*name) {
            Some(default) => format!("coalesce(r.{name}, {default})"),
            None => format!("r.{name}"),
        })
        .collect();
    diesel::sql_query(format!(
        "INSERT INTO beneficiary (id, deployment_id, provenance, {}) \
         SELECT r.id, r.deployment_id, r.provenance, {} FROM jsonb_populate_recordset(NULL::beneficiary, $1) AS r",
        names.join(", "),
        values.join(", ")
    ))
    .bind::<Jsonb, _>(serde_json::Value::Array(rows))
    .execute(conn)?;
    let column = |f: &dyn Fn(&NewPerson<'_>) -> Uuid| -> Vec<Uuid> {
        people.iter().map(|(_, person)| f(person)).collect()
    };
    let notebooks = column(&|p| p.notebook);
    let beneficiaries = column(&|p| p.beneficiary);
    let deployments = column(&|p| p.record.deployment_id);
    diesel::sql_query(
        "INSERT INTO notebook (id, deployment_id, beneficiary_id) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[])",
    )
    .bind::<Array<SqlUuid>, _>(&notebooks)
    .bind::<Array<SqlUuid>, _>(&deployments)
    .bind::<Array<SqlUuid>, _>(&beneficiaries)
    .execute(conn)?;
    if writing == Writing::Write {
        diesel::sql_query(
            "INSERT INTO notebook_creation (deployment_id, notebook_id, source) \
             SELECT d, n, $3 FROM unnest($1::uuid[], $2::uuid[]) AS t(d, n)",
        )
        .bind::<Array<SqlUuid>, _>(&deployments)
        .bind::<Array<SqlUuid>, _>(&notebooks)
        .bind::<Text, _>(creation_source)
        .execute(conn)?;
    }
    let linked: Vec<&NewPerson<'_>> = people
        .iter()
        .map(|(_, person)| person)
        .filter(|person| person.record.source.record_id.is_some())
        .collect();
    if !linked.is_empty() {
        let pick = |f: &dyn Fn(&NewPerson<'_>) -> String| -> Vec<String> {
            linked.iter().map(|person| f(person)).collect()
        };
        let deployments: Vec<Uuid> = linked.iter().map(|p| p.record.deployment_id).collect();
        let beneficiaries: Vec<Uuid> = linked.iter().map(|p| p.beneficiary).collect();
        let as_of: Vec<DateTime<Utc>> = linked.iter().map(|p| p.record.source.as_of).collect();
        diesel::sql_query(
            "INSERT INTO beneficiary_source (deployment_id, beneficiary_id, source_system, source_record_id, last_as_of) \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[]) \
             ON CONFLICT (deployment_id, source_system, source_record_id) DO UPDATE \
             SET beneficiary_id = EXCLUDED.beneficiary_id, last_as_of = greatest(beneficiary_source.last_as_of, EXCLUDED.last_as_of), \
             last_seen_at = now(), no_longer_reported_at = NULL",
        )
        .bind::<Array<SqlUuid>, _>(&deployments)
        .bind::<Array<SqlUuid>, _>(&beneficiaries)
        .bind::<Array<Text>, _>(pick(&|p| p.record.source.system.clone()))
        .bind::<Array<Text>, _>(pick(&|p| p.record.source.record_id.clone().unwrap_or_default()))
        .bind::<Array<Timestamptz>, _>(&as_of)
        .execute(conn)?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Linked {
    #[diesel(sql_type = Integer)]
    i: i32,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    source_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    notebook_id: Option<Uuid>,
    #[diesel(sql_type = Jsonb)]
    row: serde_json::Value,
}

/// What a record did to the person its source record is linked to, decided with its chunk.
#[derive(Debug, Clone)]
pub struct Known {
    /// `Updated` or `Unchanged`, as [`pipeline::ingest`] answers it.
    pub outcome: Outcome,
    /// The change to record.
    pub change: Option<PendingChange>,
}

/// Positions in a chunk, as the queries carry them.
fn positions(asked: &[usize]) -> Vec<i32> {
    asked
        .iter()
        .map(|&i| i32::try_from(i).unwrap_or(i32::MAX))
        .collect()
}

/// The people of a chunk's records found by their source link, one probe per record (OFFSET
/// 0: see `unknown`); `lock` locks their rows, as the pipeline locks one.
fn by_link(
    conn: &mut PgConnection,
    records: &[&PersonRecord],
    asked: &[usize],
    lock: &str,
) -> QueryResult<Vec<Linked>> {
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    let index = positions(asked);
    let deployments: Vec<Uuid> = asked.iter().map(|&i| records[i].deployment_id).collect();
    let systems: Vec<&str> = asked
        .iter()
        .map(|&i| records[i].source.system.as_str())
        .collect();
    let ids: Vec<&str> = asked
        .iter()
        .map(|&i| records[i].source.record_id.as_deref().unwrap_or_default())
        .collect();
    diesel::sql_query(format!(
        "SELECT t.i, p.source_id, p.notebook_id, p.row FROM unnest($1::int4[], $2::uuid[], $3::text[], $4::text[]) AS t(i, dep, sys, rid) \
         CROSS JOIN LATERAL (SELECT s.id AS source_id, n.id AS notebook_id, to_jsonb(b) AS row FROM beneficiary_source s \
             JOIN beneficiary b ON b.id = s.beneficiary_id \
             LEFT JOIN notebook n ON n.beneficiary_id = b.id \
             WHERE s.deployment_id = t.dep AND s.source_system = t.sys AND s.source_record_id = t.rid OFFSET 0{lock}) AS p",
    ))
    .bind::<Array<Integer>, _>(&index)
    .bind::<Array<SqlUuid>, _>(&deployments)
    .bind::<Array<Text>, _>(&systems)
    .bind::<Array<Text>, _>(&ids)
    .load(conn)
}

/// The people of a chunk's records found by their NIR, as the matching finds them when no
/// source link does: a record is answered only when its NIR is exactly one person's, of the
/// record's deployment (several, or someone elsewhere, is the pipeline's to tell).
fn by_nir(
    conn: &mut PgConnection,
    records: &[&PersonRecord],
    asked: &[usize],
    lock: &str,
) -> QueryResult<Vec<Linked>> {
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    let index = positions(asked);
    let nirs: Vec<String> = asked
        .iter()
        .map(|&i| {
            records[i]
                .nir()
                .map(|nir| nir.as_str().to_owned())
                .unwrap_or_default()
        })
        .collect();
    let found: Vec<Linked> = diesel::sql_query(format!(
        "SELECT t.i, NULL::uuid AS source_id, p.notebook_id, p.row FROM unnest($1::int4[], $2::text[]) AS t(i, nir) \
         CROSS JOIN LATERAL (SELECT n.id AS notebook_id, to_jsonb(b) AS row FROM beneficiary b \
             LEFT JOIN notebook n ON n.beneficiary_id = b.id WHERE b.nir = t.nir OFFSET 0{lock}) AS p",
    ))
    .bind::<Array<Integer>, _>(&index)
    .bind::<Array<Text>, _>(&nirs)
    .load(conn)?;
    let mut people: HashMap<i32, usize> = HashMap::new();
    for linked in &found {
        *people.entry(linked.i).or_default() += 1;
    }
    let deployment_of = |row: &serde_json::Value| {
        row.get("deployment_id")
            .and_then(|id| id.as_str())
            .and_then(|id| id.parse::<Uuid>().ok())
    };
    Ok(found
        .into_iter()
        .filter(|linked| people.get(&linked.i) == Some(&1))
        .filter(|linked| {
            usize::try_from(linked.i)
                .ok()
                .and_then(|i| records.get(i))
                .is_some_and(|record| deployment_of(&linked.row) == Some(record.deployment_id))
        })
        .collect())
}

/// For each wanted record alone in the chunk that matches a known person by its source link,
/// or (no link) by its NIR alone: what it does to that person, decided by the pipeline's own
/// decision ([`pipeline::decide_known`]) over their row read for the whole chunk in one query
/// per key, and written for the whole chunk in one statement per table (the person's values
/// and provenance, timeline events, links made or seen). `None` for the others, left to the
/// pipeline: a pivot that disagrees (a possible match), a record dated in the future, a NIR of
/// several people or of another deployment, any other key. The caller's reach is the whole
/// deployment (the département's own sources). With `updates` false, only the records that
/// change nothing are answered; with [`Writing::Preview`] only the people and their links are
/// written. Should the
/// database refuse the chunk's writes (a constraint one record breaks), they are undone and
/// every record that would have changed someone is left to the pipeline, which tells which
/// one.
pub fn known(
    conn: &mut PgConnection,
    chunk: &ChunkRecords<'_, '_>,
    wanted: &[bool],
    updates: bool,
    writing: Writing,
) -> QueryResult<Vec<Option<Known>>> {
    let records = chunk.records;
    let mut results: Vec<Option<Known>> = vec![None; records.len()];
    let lonely = &chunk.lonely;
    let candidates: Vec<usize> = (0..records.len())
        .filter(|&i| {
            wanted.get(i).copied().unwrap_or(false)
                && lonely[i]
                && pipeline::future_as_of(records[i]).is_none()
        })
        .collect();
    if candidates.is_empty() {
        return Ok(results);
    }
    let lock = if updates && writing == Writing::Write {
        " FOR UPDATE OF b"
    } else {
        ""
    };
    let with_id: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&i| records[i].source.record_id.is_some())
        .collect();
    let mut found: Vec<(MatchKey, Linked)> = by_link(conn, records, &with_id, lock)?
        .into_iter()
        .map(|linked| (MatchKey::SourceRecord, linked))
        .collect();
    let linked: std::collections::HashSet<i32> = found.iter().map(|(_, l)| l.i).collect();
    let unlinked: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&i| records[i].nir().is_some())
        .filter(|&i| !linked.contains(&i32::try_from(i).unwrap_or(i32::MAX)))
        .collect();
    found.extend(
        by_nir(conn, records, &unlinked, lock)?
            .into_iter()
            .map(|linked| (MatchKey::Nir, linked)),
    );
    let mut seen: Vec<(Uuid, DateTime<Utc>)> = Vec::new();
    let mut seen_changing: Vec<(Uuid, DateTime<Utc>)> = Vec::new();
    let mut links: Vec<(usize, Uuid)> = Vec::new();
    let mut links_changing: Vec<(usize, Uuid)> = Vec::new();
    let mut writes: Vec<(usize, Option<Uuid>, pipeline::PersonWrite)> = Vec::new();
    for (key, found) in found {
        let Some(i) = usize::try_from(found.i).ok().filter(|&i| i < records.len()) else {
            continue;
        };
        let record = records[i];
        let Some(beneficiary_id) = found
            .row
            .get("id")
            .and_then(|id| id.as_str())
            .and_then(|id| id.parse().ok())
        else {
            continue;
        };
        let Some(decided) =
            pipeline::decide_known(record, beneficiary_id, key, &found.row, Options::default())
        else {
            continue;
        };
        let changing = decided.write.is_some();
        if changing && !updates {
            continue;
        }
        match (found.source_id, &record.source.record_id) {
            (Some(link), _) if changing => seen_changing.push((link, record.source.as_of)),
            (Some(link), _) => seen.push((link, record.source.as_of)),
            (None, Some(_)) if changing => links_changing.push((i, beneficiary_id)),
            (None, Some(_)) => links.push((i, beneficiary_id)),
            (None, None) => {}
        }
        if let Some(write) = decided.write {
            writes.push((i, found.notebook_id, write));
        }
        results[i] = Some(Known {
            outcome: decided.outcome,
            change: decided.change.map(|change| PendingChange {
                notebook_id: found.notebook_id,
                ..change
            }),
        });
    }
    let write = writing == Writing::Write;
    {
        let written = conn.transaction(|conn| {
            write_updates(conn, records, &writes, write)?;
            if write {
                mark_seen(conn, seen_changing)?;
            }
            link(conn, records, &links_changing)
        });
        match written {
            Ok(()) => {}
            Err(DieselError::DatabaseError(..)) => {
                for (i, _, _) in &writes {
                    results[*i] = None;
                }
            }
            Err(error) => return Err(error),
        }
        if write {
            mark_seen(conn, seen)?;
        }
        link(conn, records, &links)?;
    }
    Ok(results)
}

/// Links records to the people they matched by another key, as the pipeline links one (the
/// link of the same source record to someone else moves).
fn link(
    conn: &mut PgConnection,
    records: &[&PersonRecord],
    links: &[(usize, Uuid)],
) -> QueryResult<()> {
    if links.is_empty() {
        return Ok(());
    }
    let deployments: Vec<Uuid> = links
        .iter()
        .map(|&(i, _)| records[i].deployment_id)
        .collect();
    let people: Vec<Uuid> = links.iter().map(|&(_, person)| person).collect();
    let systems: Vec<&str> = links
        .iter()
        .map(|&(i, _)| records[i].source.system.as_str())
        .collect();
    let ids: Vec<&str> = links
        .iter()
        .map(|&(i, _)| records[i].source.record_id.as_deref().unwrap_or_default())
        .collect();
    let as_of: Vec<DateTime<Utc>> = links
        .iter()
        .map(|&(i, _)| records[i].source.as_of)
        .collect();
    diesel::sql_query(
        "INSERT INTO beneficiary_source (deployment_id, beneficiary_id, source_system, source_record_id, last_as_of) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[]) \
         ON CONFLICT (deployment_id, source_system, source_record_id) DO UPDATE \
         SET beneficiary_id = EXCLUDED.beneficiary_id, last_as_of = greatest(beneficiary_source.last_as_of, EXCLUDED.last_as_of), \
         last_seen_at = now(), no_longer_reported_at = NULL",
    )
    .bind::<Array<SqlUuid>, _>(&deployments)
    .bind::<Array<SqlUuid>, _>(&people)
    .bind::<Array<Text>, _>(&systems)
    .bind::<Array<Text>, _>(&ids)
    .bind::<Array<Timestamptz>, _>(&as_of)
    .execute(conn)
    .map(|_| ())
}

/// The links reported again, marked seen in one statement.
fn mark_seen(conn: &mut PgConnection, seen: Vec<(Uuid, DateTime<Utc>)>) -> QueryResult<()> {
    if seen.is_empty() {
        return Ok(());
    }
    let (links, as_of): (Vec<Uuid>, Vec<DateTime<Utc>>) = seen.into_iter().unzip();
    diesel::sql_query(
        "UPDATE beneficiary_source s SET last_as_of = greatest(s.last_as_of, t.as_of), \
         last_seen_at = now(), no_longer_reported_at = NULL \
         FROM unnest($1::uuid[], $2::timestamptz[]) AS t(id, as_of) \
         WHERE s.id = t.id AND s.id = ANY ($1)",
    )
    .bind::<Array<SqlUuid>, _>(&links)
    .bind::<Array<Timestamptz>, _>(&as_of)
    .execute(conn)?;
    Ok(())
}

/// The changes of a chunk's known people: one statement for their values and provenance
/// (each row takes its own fields over its current values) and, with `events`, one for their
/// timeline events.
fn write_updates(
    conn: &mut PgConnection,
    records: &[&PersonRecord],
    writes: &[(usize, Option<Uuid>, pipeline::PersonWrite)],
    events: bool,
) -> QueryResult<()> {
    if writes.is_empty() {
        return Ok(());
    }
    let people: Vec<Uuid> = writes.iter().map(|(_, _, w)| w.beneficiary).collect();
    let patches: Vec<serde_json::Value> = writes
        .iter()
        .map(|(_, _, write)| {
            let mut patch: serde_json::Map<String, serde_json::Value> = write
                .values
                .iter()
                .map(|(field, value)| (field.column().to_owned(), value.clone()))
                .collect();
            patch.insert("provenance".into(), write.provenance.clone());
            serde_json::Value::Object(patch)
        })
        .collect();
    let names = std::iter::once("provenance")
        .chain(PersonField::ALL.iter().map(|field| field.column()))
        .collect::<Vec<_>>()
        .join(", ");
    let picked = std::iter::once("p.provenance".to_owned())
        .chain(
            PersonField::ALL
                .iter()
                .map(|field| format!("p.{}", field.column())),
        )
        .collect::<Vec<_>>()
        .join(", ");
    diesel::sql_query(format!(
        "UPDATE beneficiary b SET ({names}) = (SELECT {picked} FROM jsonb_populate_record(b, t.patch) AS p) \
         FROM unnest($1::uuid[], $2::jsonb[]) AS t(id, patch) WHERE b.id = t.id AND b.id = ANY ($1)"
    ))
    .bind::<Array<SqlUuid>, _>(&people)
    .bind::<Array<Jsonb>, _>(&patches)
    .execute(conn)?;
    if !events {
        return Ok(());
    }
    let events: Vec<(Uuid, crate::store::timeline::Event<'_>)> = writes
        .iter()
        .filter_map(|(i, notebook, write)| {
            let notebook = (*notebook)?;
            Some((notebook, write.event.as_event(records[*i])))
        })
        .collect();
    crate::store::timeline::record_events(conn, &events)
}
