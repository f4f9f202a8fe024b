//! PostgreSQL large objects: a big file written piece by piece as it arrives and read back
//! piece by piece, so that memory does not grow with the file.

use std::io::{Read, Seek, SeekFrom};

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

/// Why a file could not be streamed into a large object.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The file could not be read.
    #[error("the file cannot be read: {0}")]
    Read(#[from] std::io::Error),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Bytes written to the object at a time.
const WRITE_PIECE: usize = 4 * 1024 * 1024;

/// Copies a file into a new large object a piece at a time, keeping its first `head` bytes.
/// In the caller's transaction: if it rolls back, the object goes with it.
pub fn stream(
    conn: &mut PgConnection,
    mut file: impl Read,
    head: usize,
) -> Result<Streamed, StreamError> {
    use sha2::Digest;
    let oid = create(conn)?;
    let mut hasher = sha2::Sha256::new();
    let mut kept = Vec::new();
    let mut piece = vec![0u8; WRITE_PIECE];
    let mut size: i64 = 0;
    let copied = (|| -> Result<(), StreamError> {
        loop {
            let n = file.read(&mut piece)?;
            if n == 0 {
                return Ok(());
            }
            let bytes = &piece[..n];
            hasher.update(bytes);
            if kept.len() < head {
                kept.extend_from_slice(&bytes[..n.min(head - kept.len())]);
            }
            write_at(conn, oid, size, bytes)?;
            size += i64::try_from(n).unwrap_or(i64::MAX);
        }
    })();
    if let Err(error) = copied {
        let _ = unlink(conn, oid);
        return Err(error);
    }
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Streamed {
        head: kept,
        oid,
        size,
        sha256,
    })
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

impl Seek for Reader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        // The offset of the next byte `read` gives.
        let piece = i64::try_from(self.piece.len()).unwrap_or(i64::MAX);
        let read = i64::try_from(self.position).unwrap_or(i64::MAX);
        let current = self.offset - piece + read;
        let target = match to {
            SeekFrom::Start(at) => i64::try_from(at).unwrap_or(i64::MAX),
            SeekFrom::Current(by) => current.saturating_add(by),
            SeekFrom::End(by) => {
                // Rare (a workbook's directory is at its end): the server reads the object.
                let size: Size = diesel::sql_query("SELECT length(lo_get($1))::int8 AS size")
                    .bind::<Oid, _>(self.oid)
                    .get_result(&mut self.conn)
                    .map_err(std::io::Error::other)?;
                size.size.saturating_add(by)
            }
        };
        if target < 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            ));
        }
        self.offset = target;
        self.piece.clear();
        self.position = 0;
        self.ended = false;
        u64::try_from(target).map_err(std::io::Error::other)
    }
}

#[derive(QueryableByName)]
struct Size {
    #[diesel(sql_type = BigInt)]
    size: i64,
}
