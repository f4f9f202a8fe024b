//! E-mail delivery over SMTP, against a minimal local SMTP server.

use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use cdb_hub::jobs::mail::{Mailer, deliver};

use crate::support::TestDatabase;

/// A local SMTP server that accepts every message and keeps its data.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.ok();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            store.lock().unwrap().push(std::mem::take(body));
                            data = None;
                            write.write_all(b"250 queued\r\n").await.ok();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.ok();
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(answer).await.ok();
                }
            });
        }
    });
    (port, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_emails_go_out_over_smtp_once() {
    let database = tokio::task::spawn_blocking(TestDatabase::new)
        .await
        .unwrap();
    let pool = database.pool();
    let url = database.url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        cdb_hub::store::outbox::queue(
            &mut conn,
            "claire@example.org",
            "Accédez à Carnet de bord",
            "Bonjour Claire,\nvoici votre lien.",
        )
        .unwrap();
    })
    .await
    .unwrap();
    let (port, received) = smtp_sink().await;
    let mailer = Mailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Carnet de bord <contact@example.org>",
    )
    .unwrap();
    assert_eq!(deliver(&pool, &mailer).await.unwrap(), 1);
    assert_eq!(
        deliver(&pool, &mailer).await.unwrap(),
        0,
        "an e-mail is sent once"
    );
    let messages = received.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains("To: claire@example.org"),
        "{}",
        messages[0]
    );
    assert!(messages[0].contains("Subject:"), "{}", messages[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_leaves_the_email_queued_with_the_reason() {
    let database = tokio::task::spawn_blocking(TestDatabase::new)
        .await
        .unwrap();
    let pool = database.pool();
    let url = database.url.clone();
    tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            let mut conn = PgConnection::establish(&url).unwrap();
            cdb_hub::store::outbox::queue(&mut conn, "claire@example.org", "Sujet", "Corps")
                .unwrap();
        }
    })
    .await
    .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mailer = Mailer::new(&format!("smtp://127.0.0.1:{closed}"), "contact@example.org").unwrap();
    assert_eq!(deliver(&pool, &mailer).await.unwrap(), 0);
    let row = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        cdb_hub::store::outbox::to_recipient(&mut conn, "claire@example.org", 1)
            .unwrap()
            .remove(0)
    })
    .await
    .unwrap();
    assert!(row.sent_at.is_none());
    assert_eq!(row.attempts, 1);
    assert!(Mailer::new("not a url", "contact@example.org").is_err());
}
