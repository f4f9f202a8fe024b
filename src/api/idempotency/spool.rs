//! A request body received whole before its request runs, so that a replay can be told from a
//! new request first: kept in memory up to 1 MiB, in an anonymous temporary file beyond, and
//! handed back to the handler as it came.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::fingerprint::Fingerprint;

/// Bodies up to this size stay in memory.
const IN_MEMORY_BYTES: usize = 1024 * 1024;

/// Size of the pieces read back from the file.
const PIECE_BYTES: usize = 64 * 1024;

/// Why a body could not be received.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// Larger than any operation accepts.
    #[error("the request body is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The client's body broke off or was malformed.
    #[error("the request body could not be read: {0}")]
    Payload(#[from] PayloadError),
    /// The temporary file failed.
    #[error("the request body could not be kept: {0}")]
    Io(#[from] std::io::Error),
}

/// A received body.
pub enum Spool {
    /// Small: in memory.
    Memory(Vec<u8>),
    /// Large: in an anonymous file, deleted when closed.
    File(tokio::fs::File),
}

impl Spool {
    /// Receives a whole body, at most `limit` bytes, feeding the fingerprint as it comes.
    pub async fn receive(
        mut payload: Payload,
        fingerprint: &mut Fingerprint,
        limit: usize,
    ) -> Result<Self, SpoolError> {
        let mut memory = Vec::new();
        let mut file: Option<tokio::fs::File> = None;
        let mut size = 0usize;
        while let Some(piece) = payload.next().await {
            let piece = piece?;
            size = size.saturating_add(piece.len());
            if size > limit {
                return Err(SpoolError::TooLarge { limit });
            }
            fingerprint.update(&piece);
            match file.as_mut() {
                Some(file) => file.write_all(&piece).await?,
                None if memory.len() + piece.len() <= IN_MEMORY_BYTES => {
                    memory.extend_from_slice(&piece)
                }
                None => {
                    let std_file = tokio::task::spawn_blocking(tempfile::tempfile)
                        .await
                        .map_err(std::io::Error::other)??;
                    let mut opened = tokio::fs::File::from_std(std_file);
                    opened.write_all(&std::mem::take(&mut memory)).await?;
                    opened.write_all(&piece).await?;
                    file = Some(opened);
                }
            }
        }
        match file {
            Some(mut file) => {
                file.flush().await?;
                file.seek(std::io::SeekFrom::Start(0)).await?;
                Ok(Spool::File(file))
            }
            None => Ok(Spool::Memory(memory)),
        }
    }

    /// The body again, as the handler's payload.
    pub fn into_payload(self) -> Payload {
        match self {
            Spool::Memory(bytes) => Payload::from(bytes),
            Spool::File(file) => {
                let pieces = futures_util::stream::unfold(Some(file), |file| async move {
                    let mut file = file?;
                    let mut buffer = vec![0u8; PIECE_BYTES];
                    match file.read(&mut buffer).await {
                        Ok(0) => None,
                        Ok(read) => {
                            buffer.truncate(read);
                            Some((Ok(Bytes::from(buffer)), Some(file)))
                        }
                        Err(error) => Some((Err(PayloadError::Io(error)), None)),
                    }
                });
                Payload::Stream {
                    payload: Box::pin(pieces.fuse()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn round_trip(body: Vec<u8>, limit: usize) -> Result<(Vec<u8>, bool), SpoolError> {
        let pieces: Vec<Result<Bytes, PayloadError>> = body
            .chunks(100_000)
            .map(|piece| Ok(Bytes::copy_from_slice(piece)))
            .collect();
        let stream: std::pin::Pin<
            Box<dyn futures_util::Stream<Item = Result<Bytes, PayloadError>>>,
        > = Box::pin(futures_util::stream::iter(pieces));
        let payload = Payload::Stream { payload: stream };
        let mut fingerprint = Fingerprint::new("/v1/x", None);
        let spool = Spool::receive(payload, &mut fingerprint, limit).await?;
        let on_disk = matches!(spool, Spool::File(_));
        let mut again = Vec::new();
        let mut payload = spool.into_payload();
        while let Some(piece) = payload.next().await {
            again.extend_from_slice(&piece?);
        }
        Ok((again, on_disk))
    }

    #[actix_web::test]
    async fn a_small_body_stays_in_memory_and_a_large_one_goes_to_a_file_unchanged() {
        let small = b"{\"a\":1}".to_vec();
        assert_eq!(
            round_trip(small.clone(), 10_000_000).await.unwrap(),
            (small, false)
        );
        let large: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(
            round_trip(large.clone(), 10_000_000).await.unwrap(),
            (large, true)
        );
    }

    #[actix_web::test]
    async fn a_body_beyond_the_limit_is_refused_without_being_kept_whole() {
        let large = vec![b'x'; 2_000_000];
        assert!(matches!(
            round_trip(large, 1_500_000).await,
            Err(SpoolError::TooLarge { limit: 1_500_000 })
        ));
    }
}
