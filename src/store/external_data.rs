//! Raw payloads received from partners about a person (the original's `external_data`),
//! versioned per source record by content hash: a payload equal to the record's latest version
//! writes nothing; another one becomes the next version.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Jsonb, Text, Uuid as SqlUuid};
use uuid::Uuid;

/// France Travail partner APIs (`external_source` `peio`).
pub const FRANCE_TRAVAIL_API: &str = "peio";
/// France Travail weekly extract files (`external_source` `pe`).
pub const FRANCE_TRAVAIL_EXTRACT: &str = "pe";

/// A raw payload about a person, to keep.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPayload {
    /// The source's id of the record (with the API or extract it came from).
    pub source_record_id: String,
    /// The person it concerns.
    pub beneficiary_id: Uuid,
    /// The payload as received.
    pub data: serde_json::Value,
}

/// Keeps the payloads of one source that differ from their record's latest version; answers
/// how many versions were written. Within the list, a record's last payload counts.
pub fn keep(
    conn: &mut PgConnection,
    deployment: Uuid,
    source: &str,
    payloads: &[NewPayload],
) -> QueryResult<usize> {
    let mut last = std::collections::HashMap::new();
    for (position, payload) in payloads.iter().enumerate() {
        last.insert(payload.source_record_id.as_str(), position);
    }
    let mut ids = Vec::with_capacity(last.len());
    let mut people = Vec::with_capacity(last.len());
    let mut data = Vec::with_capacity(last.len());
    for (position, payload) in payloads.iter().enumerate() {
        if last.get(payload.source_record_id.as_str()) == Some(&position) {
            ids.push(payload.source_record_id.as_str());
            people.push(payload.beneficiary_id);
            data.push(&payload.data);
        }
    }
    if ids.is_empty() {
        return Ok(0);
    }
    // The hash is taken of jsonb's text, which orders keys: the same content hashes the same
    // whatever order the partner wrote it in. A concurrent writer of the same record (a refresh
    // during a run) loses the version race and writes nothing.
    diesel::sql_query(
        "INSERT INTO external_data (deployment_id, source, source_record_id, beneficiary_id, data, content_hash, version) \
         SELECT $1, $2, r.id, r.b, r.d, r.h, coalesce(l.version, 0) + 1 \
         FROM (SELECT id, b, d, encode(sha256(convert_to(d::text, 'UTF8')), 'hex') AS h \
               FROM unnest($3::text[], $4::uuid[], $5::jsonb[]) AS t(id, b, d)) r \
         LEFT JOIN LATERAL (SELECT e.version, e.content_hash FROM external_data e \
                            WHERE e.source = $2 AND e.deployment_id = $1 AND e.source_record_id = r.id \
                            ORDER BY e.version DESC LIMIT 1) l ON true \
         WHERE l.content_hash IS DISTINCT FROM r.h \
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(deployment)
    .bind::<Text, _>(source)
    .bind::<Array<Text>, _>(&ids)
    .bind::<Array<SqlUuid>, _>(&people)
    .bind::<Array<Jsonb>, _>(&data)
    .execute(conn)
}
