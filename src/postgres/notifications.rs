//! Notifications of the database (`LISTEN`), followed for as long as the process runs.

use std::time::Duration;

use apalis_postgres::{PgListener, PgPool};

/// How long to wait before listening again after the connection was lost.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Follows `channel`: `on` receives each notification's payload, and `None` whenever
/// notifications may have been missed (the listening connection was lost, or could not be
/// opened): the caller then forgets everything it keeps on their word. Never returns.
pub async fn follow(pool: PgPool, channel: &'static str, on: impl Fn(Option<&str>) + Send) {
    loop {
        match listen(&pool, channel).await {
            Ok(mut listener) => loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => on(Some(notification.payload())),
                    // The connection was lost: the listener listens again on its next call.
                    Ok(None) => on(None),
                    Err(error) => {
                        tracing::warn!(%error, channel, "notifications lost");
                        on(None);
                        break;
                    }
                }
            },
            Err(error) => {
                tracing::warn!(%error, channel, "cannot listen to notifications");
                on(None);
            }
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

async fn listen(pool: &PgPool, channel: &str) -> Result<PgListener, apalis_postgres::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}
