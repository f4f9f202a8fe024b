//! PostgreSQL large objects: a big file written piece by piece as it arrives and read back
//! piece by piece, so that memory does not grow with the file.

use std::io::Read;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Integer, Oid};

use crate::postgres::{DbConnection, DbPool};

/// Pieces read at a time.
const PIECE: i32 = 1024 * 1024;

#[derive(QueryableByName)]
struct Created {
    #[diesel(sql_type = Oid)]
    oid: u32,
}

#[derive(QueryableByName)]
struct Piece {
    #[diesel(sql_type = Bytea)]
    bytes: Vec<u8>,
}

/// A file streamed into a large object.
#[derive(Debug, Clone)]
pub struct Streamed {
    /// Its first bytes (for its header).
    pub head: Vec<u8>,
    /// The object.
    pub oid: u32,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// Creates an empty large object.
pub fn create(conn: &mut PgConnection) -> QueryResult<u32> {
    diesel::sql_query("SELECT lo_create(0) AS oid")
        .get_result::<Created>(conn)
        .map(|created| created.oid)
}

/// Writes bytes at an offset of a large object.
pub fn write_at(conn: &mut PgConnection, oid: u32, offset: i64, bytes: &[u8]) -> QueryResult<()> {
    diesel::sql_query("SELECT lo_put($1, $2, $3)::text AS done")
        .bind::<Oid, _>(oid)
        .bind::<BigInt, _>(offset)
        .bind::<Bytea, _>(bytes)
        .execute(conn)
        .map(|_| ())
}

/// Deletes a large object.
pub fn unlink(conn: &mut PgConnection, oid: u32) -> QueryResult<()> {
    diesel::sql_query("SELECT lo_unlink($1)::text AS done")
        .bind::<Oid, _>(oid)
        .execute(conn)
        .map(|_| ())
}

/// Reads a large object from the start, a piece at a time, on a connection of its own.
pub struct Reader {
    conn: DbConnection,
    oid: u32,
    offset: i64,
    piece: Vec<u8>,
    position: usize,
    ended: bool,
}

impl Reader {
    /// A reader of the object, with a connection taken from the pool.
    pub fn open(pool: &DbPool, oid: u32) -> Result<Self, diesel::r2d2::PoolError> {
        Ok(Self {
            conn: pool.get()?,
            oid,
            offset: 0,
            piece: Vec::new(),
            position: 0,
            ended: false,
        })
    }
}

impl Read for Reader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.position == self.piece.len() && !self.ended {
            let piece: Piece = diesel::sql_query("SELECT lo_get($1, $2, $3) AS bytes")
                .bind::<Oid, _>(self.oid)
                .bind::<BigInt, _>(self.offset)
                .bind::<Integer, _>(PIECE)
                .get_result(&mut self.conn)
                .map_err(std::io::Error::other)?;
            self.ended = piece.bytes.is_empty();
            self.offset += i64::try_from(piece.bytes.len()).unwrap_or(0);
            self.piece = piece.bytes;
            self.position = 0;
        }
        let available = &self.piece[self.position..];
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.position += n;
        Ok(n)
    }
}
