//! A short-lived cache of API clients' state, so that a request with a client token does not
//! cost a query. A client changed anywhere (revoked, rotated, deleted) is announced by the
//! database on [`CHANGES`] when its transaction commits, and every process forgets it at once;
//! should those announcements be missed, an entry is trusted a few seconds at most.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::store::clients::ApiClientRow;

/// The channel on which the database announces a changed client (its internal id).
pub const CHANGES: &str = "cdb_api_client";

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

    /// Follows an announcement of the database: the client it names, or `None` when some may
    /// have been missed (every client is then read again).
    pub fn announced(&self, change: Option<&str>) {
        match change.map(str::parse::<Uuid>) {
            Some(Ok(id)) => self.forget(id),
            _ => {
                if let Ok(mut entries) = self.entries.lock() {
                    entries.clear();
                }
            }
        }
    }
}
