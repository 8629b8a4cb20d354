//! The embedded store's journal: a thread of its own that writes every change to SQLite.
//!
//! It owns its runtime and connection, so the store can be shared by every Pingora service
//! (each has its own runtime) without tying SQLite I/O to any of them.

use super::{Meeting, Server};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};
use std::path::Path;
use tokio::sync::{mpsc, oneshot};

pub(super) enum Op {
    UpsertServer(Box<Server>),
    DeleteServer(String),
    UpsertMeeting(Box<Meeting>, i64),
    DeleteMeeting(String),
    Expire(Vec<String>, i64),
}

pub(super) struct Job {
    pub op: Op,
    pub done: Option<oneshot::Sender<()>>,
}

/// What was on disk at start-up.
pub(super) struct Loaded {
    pub servers: Vec<Server>,
    pub meetings: Vec<(Meeting, i64)>,
}

/// Why the state file could not be opened and loaded.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{}: {source}", dir.display())]
    Dir {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("state db: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("state db migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("state journal thread: {0}")]
    Thread(String),
}

/// Open (or create) the state file, load it, and keep writing jobs until the sender is dropped.
pub(super) fn spawn(path: &Path) -> Result<(mpsc::UnboundedSender<Job>, Loaded), JournalError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| JournalError::Dir {
            dir: dir.to_path_buf(),
            source,
        })?;
    }
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .disable_statement_logging();
    let (tx, rx) = mpsc::unbounded_channel::<Job>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("state-journal".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(JournalError::Thread(e.to_string())));
                    return;
                }
            };
            rt.block_on(async move {
                let mut conn = match open(opts).await {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                match load(&mut conn).await {
                    Ok(loaded) => {
                        let _ = ready_tx.send(Ok(loaded));
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                }
                run(conn, rx).await;
            });
        })
        .map_err(|e| JournalError::Thread(e.to_string()))?;
    let loaded = ready_rx
        .recv()
        .map_err(|_| JournalError::Thread("it died".into()))??;
    Ok((tx, loaded))
}

async fn open(opts: SqliteConnectOptions) -> Result<SqliteConnection, JournalError> {
    let mut conn = opts.connect().await?;
    sqlx::migrate!("migrations/state").run(&mut conn).await?;
    Ok(conn)
}

async fn load(conn: &mut SqliteConnection) -> Result<Loaded, JournalError> {
    let err = JournalError::Sql;
    let mut servers = Vec::new();
    for row in sqlx::query("SELECT data FROM servers")
        .fetch_all(&mut *conn)
        .await
        .map_err(err)?
    {
        let data: String = row.get(0);
        match serde_json::from_str::<Server>(&data) {
            Ok(s) => servers.push(s),
            Err(e) => log::error!("state db: skipping unreadable server record: {e}"),
        }
    }
    let rows = sqlx::query(
        "SELECT id, server_id, moderator_pw, voice_bridge, tenant_id, expires_at FROM meetings",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(err)?;
    let meetings = rows
        .into_iter()
        .map(|r| {
            let m = Meeting {
                id: r.get(0),
                server_id: r.get(1),
                moderator_pw: r.get(2),
                voice_bridge: r.get(3),
                tenant_id: r.get(4),
            };
            (m, r.get::<i64, _>(5))
        })
        .collect();
    Ok(Loaded { servers, meetings })
}

async fn run(mut conn: SqliteConnection, mut rx: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = rx.recv().await {
        // Write whatever queued up meanwhile in one transaction: one fsync for a burst.
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
            if batch.len() >= 512 {
                break;
            }
        }
        if let Err(e) = write_batch(&mut conn, &batch).await {
            log::error!("state db: write failed: {e}");
        }
        for job in batch {
            if let Some(done) = job.done {
                let _ = done.send(());
            }
        }
    }
}

async fn write_batch(conn: &mut SqliteConnection, batch: &[Job]) -> Result<(), sqlx::Error> {
    let mut tx = conn.begin().await?;
    for job in batch {
        match &job.op {
            Op::UpsertServer(s) => {
                let data = serde_json::to_string(s.as_ref()).unwrap_or_default();
                sqlx::query("INSERT INTO servers (id, data) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET data = excluded.data")
                    .bind(&s.id)
                    .bind(data)
                    .execute(&mut *tx)
                    .await?;
            }
            Op::DeleteServer(id) => {
                sqlx::query("DELETE FROM servers WHERE id = ?1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            Op::UpsertMeeting(m, expires) => {
                sqlx::query("INSERT INTO meetings (id, server_id, moderator_pw, voice_bridge, tenant_id, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET server_id = excluded.server_id, moderator_pw = excluded.moderator_pw, voice_bridge = excluded.voice_bridge, tenant_id = excluded.tenant_id, expires_at = excluded.expires_at")
                    .bind(&m.id)
                    .bind(&m.server_id)
                    .bind(&m.moderator_pw)
                    .bind(&m.voice_bridge)
                    .bind(&m.tenant_id)
                    .bind(expires)
                    .execute(&mut *tx)
                    .await?;
            }
            Op::DeleteMeeting(id) => {
                sqlx::query("DELETE FROM meetings WHERE id = ?1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            Op::Expire(ids, expires) => {
                for id in ids {
                    sqlx::query("UPDATE meetings SET expires_at = ?1 WHERE id = ?2")
                        .bind(expires)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
    }
    tx.commit().await
}
