//! The contract every connector implements: pull, look up, push.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::error::ConnectorError;
use crate::identity::IdentityKeys;
use crate::outbound::{OutboundOperation, PushOutcome};
use crate::records::Record;
use crate::source::SourceSystem;

/// Where a pull stopped, in the connector's own terms (an offset, a date, a page token…).
///
/// Opaque to everything but the connector that made it; the job runner persists it between
/// runs and gives it back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps a connector's own encoding of a position.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The connector's encoding, for the connector that made it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One page of pulled records and where to resume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// The records, in the source's order.
    pub records: Vec<Record>,
    /// Where the next pull starts; persist it once the records are safely stored.
    pub next: Cursor,
    /// True when the source had more records right away (pull again without waiting).
    pub has_more: bool,
}

/// Which operations a connector offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// [`Connector::pull`] is offered.
    pub pull: bool,
    /// [`Connector::lookup`] is offered.
    pub lookup: bool,
    /// [`Connector::push`] is offered.
    pub push: bool,
}

/// A connector: translates one outside system into canonical records and carries outbound
/// operations back. It never touches the database and never decides matching.
///
/// Operations it does not offer (see [`Connector::capabilities`]) fail with a fatal error.
pub trait Connector: Send + Sync {
    /// The system this connector speaks for (stamped in every [`SourceRef`](crate::SourceRef)).
    fn system(&self) -> SourceSystem;

    /// Which of pull, lookup and push this connector offers.
    fn capabilities(&self) -> Capabilities;

    /// Reads the next page of records after `cursor` (from the beginning when `None`),
    /// at most `max_records` of them.
    fn pull(
        &self,
        cursor: Option<&Cursor>,
        max_records: usize,
    ) -> impl Future<Output = Result<Page, ConnectorError>> + Send {
        let _ = (cursor, max_records);
        async { Err(ConnectorError::unsupported("pull")) }
    }

    /// Finds the person the keys designate and returns what the system knows of them;
    /// fails with `NotFound` or `Ambiguous` rather than guessing.
    fn lookup(
        &self,
        keys: &IdentityKeys,
    ) -> impl Future<Output = Result<Vec<Record>, ConnectorError>> + Send {
        let _ = keys;
        async { Err(ConnectorError::unsupported("lookup")) }
    }

    /// Applies an operation remotely, at most once per idempotency key: pushing the same
    /// operation again answers `AlreadyApplied` instead of applying it twice.
    fn push(
        &self,
        operation: &OutboundOperation,
    ) -> impl Future<Output = Result<PushOutcome, ConnectorError>> + Send {
        let _ = operation;
        async { Err(ConnectorError::unsupported("push")) }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::pin::pin;
    use std::sync::Mutex;
    use std::task::{Context, Poll, Waker};

    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::identity::Nir;
    use crate::outbound::{IdempotencyKey, OutboundAction, ResourceRef};
    use crate::records::{Contact, RecordBody};
    use crate::source::SourceRef;

    /// Polls a future that never waits, as the in-memory connectors below.
    fn ready<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("the test connector never waits"),
        }
    }

    fn assert_send<T: Send>(value: T) -> T {
        value
    }

    /// An in-memory system: a list of records and a push journal.
    struct Memory {
        records: Vec<Record>,
        pushed: Mutex<HashMap<IdempotencyKey, String>>,
    }

    impl Connector for Memory {
        fn system(&self) -> SourceSystem {
            SourceSystem::Hub
        }

        fn capabilities(&self) -> Capabilities {
            Capabilities {
                pull: true,
                lookup: true,
                push: true,
            }
        }

        async fn pull(
            &self,
            cursor: Option<&Cursor>,
            max_records: usize,
        ) -> Result<Page, ConnectorError> {
            let start = match cursor {
                Some(cursor) => cursor
                    .as_str()
                    .parse::<usize>()
                    .map_err(|e| ConnectorError::fatal("unreadable cursor", e))?,
                None => 0,
            };
            let end = (start + max_records).min(self.records.len());
            Ok(Page {
                records: self.records[start.min(end)..end].to_vec(),
                next: Cursor::new(end.to_string()),
                has_more: end < self.records.len(),
            })
        }

        async fn lookup(&self, keys: &IdentityKeys) -> Result<Vec<Record>, ConnectorError> {
            let found: Vec<Record> = self
                .records
                .iter()
                .filter(|r| keys.nir.is_some() && r.subject.nir == keys.nir)
                .cloned()
                .collect();
            match found.len() {
                0 => Err(ConnectorError::NotFound),
                1 => Ok(found),
                n => Err(ConnectorError::Ambiguous {
                    candidates: Some(n),
                }),
            }
        }

        async fn push(&self, operation: &OutboundOperation) -> Result<PushOutcome, ConnectorError> {
            let mut pushed = self
                .pushed
                .lock()
                .map_err(|_| ConnectorError::unsupported("a poisoned journal"))?;
            let key = operation.idempotency_key();
            if let Some(remote_id) = pushed.get(&key) {
                return Ok(PushOutcome::AlreadyApplied {
                    remote_id: Some(remote_id.clone()),
                });
            }
            let remote_id = format!("remote-{}", pushed.len() + 1);
            pushed.insert(key, remote_id.clone());
            Ok(PushOutcome::Applied {
                remote_id: Some(remote_id),
            })
        }
    }

    /// A connector that only pulls, relying on the default lookup and push.
    struct PullOnly;

    impl Connector for PullOnly {
        fn system(&self) -> SourceSystem {
            SourceSystem::CafMsa
        }

        fn capabilities(&self) -> Capabilities {
            Capabilities {
                pull: true,
                lookup: false,
                push: false,
            }
        }
    }

    fn record(nir: &str) -> Record {
        Record {
            source: SourceRef {
                system: SourceSystem::Hub,
                record_id: nir.to_owned(),
                as_of: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
                run_id: None,
            },
            subject: IdentityKeys {
                nir: Some(Nir::parse(nir).unwrap()),
                ..IdentityKeys::default()
            },
            body: RecordBody::Contact(Contact::default()),
        }
    }

    fn memory() -> Memory {
        Memory {
            records: vec![
                record("1841276451089"),
                record("2820251108030"),
                record("2820251108030"),
            ],
            pushed: Mutex::new(HashMap::new()),
        }
    }

    #[test]
    fn pulling_pages_resumes_from_the_cursor() {
        let connector = memory();
        let first = ready(assert_send(connector.pull(None, 2))).unwrap();
        assert_eq!(first.records.len(), 2);
        assert!(first.has_more);
        let second = ready(connector.pull(Some(&first.next), 2)).unwrap();
        assert_eq!(second.records.len(), 1);
        assert!(!second.has_more);
        let json = serde_json::to_string(&second.next).unwrap();
        let cursor: Cursor = serde_json::from_str(&json).unwrap();
        assert!(
            ready(connector.pull(Some(&cursor), 2))
                .unwrap()
                .records
                .is_empty()
        );
    }

    #[test]
    fn lookups_never_guess() {
        let connector = memory();
        let keys = |nir: &str| IdentityKeys {
            nir: Some(Nir::parse(nir).unwrap()),
            ..IdentityKeys::default()
        };
        assert_eq!(
            ready(assert_send(connector.lookup(&keys("1841276451089"))))
                .unwrap()
                .len(),
            1
        );
        assert!(matches!(
            ready(connector.lookup(&keys("2820251108030"))),
            Err(ConnectorError::Ambiguous {
                candidates: Some(2)
            })
        ));
        assert!(matches!(
            ready(connector.lookup(&keys("1770393050005"))),
            Err(ConnectorError::NotFound)
        ));
    }

    #[test]
    fn pushing_twice_applies_once() {
        let connector = memory();
        let operation = OutboundOperation {
            resource: ResourceRef {
                kind: "appointment".to_owned(),
                id: "a1".to_owned(),
                version: 1,
            },
            subject: IdentityKeys::default(),
            remote_id: None,
            action: OutboundAction::Delete,
        };
        let first = ready(assert_send(connector.push(&operation))).unwrap();
        let again = ready(connector.push(&operation)).unwrap();
        assert_eq!(
            first,
            PushOutcome::Applied {
                remote_id: Some("remote-1".to_owned())
            }
        );
        assert_eq!(
            again,
            PushOutcome::AlreadyApplied {
                remote_id: Some("remote-1".to_owned())
            }
        );
    }

    #[test]
    fn operations_not_offered_fail_fatally() {
        let connector = PullOnly;
        assert!(!connector.capabilities().lookup);
        let error = ready(assert_send(connector.lookup(&IdentityKeys::default()))).unwrap_err();
        assert_eq!(error.code(), "fatal");
        assert!(!error.is_retryable());
        assert!(ready(connector.pull(None, 10)).is_err());
    }
}
