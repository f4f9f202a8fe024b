//! A short-lived cache of API clients' state, so that a request with a client token does not
//! cost a query: a client revoked here is forgotten at once; revoked by another hub process,
//! within a few seconds (well inside a token's lifetime).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::store::clients::ApiClientRow;

/// How long a client's state is trusted.
pub const TTL: Duration = Duration::from_secs(5);

/// Active clients recently read, by internal id.
#[derive(Default)]
pub struct ClientCache {
    entries: Mutex<HashMap<Uuid, (ApiClientRow, Instant)>>,
}

impl ClientCache {
    /// A fresh enough entry.
    pub fn get(&self, id: Uuid) -> Option<ApiClientRow> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&id)
            .filter(|(_, read)| read.elapsed() < TTL)
            .map(|(client, _)| client.clone())
    }

    /// Remembers an active client.
    pub fn put(&self, client: ApiClientRow) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() > 10_000 {
                entries.retain(|_, (_, read)| read.elapsed() < TTL);
            }
            entries.insert(client.id, (client, Instant::now()));
        }
    }

    /// Forgets a client (revoked, rotated).
    pub fn forget(&self, id: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&id);
        }
    }
}
