//! Live events. Server code publishes on a topic through PostgreSQL `NOTIFY`; every instance
//! listens on the same channel and fans the events out to its own SSE clients, so an event raised
//! on one instance reaches browsers connected to any other.
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

use super::topics::Topic;

pub const CHANNEL: &str = "switchboard_events";

/// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; events stay well under that and
/// carry identifiers, not documents: the browser refetches what changed.
pub const MAX_PAYLOAD: usize = 7900;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LiveEvent {
    pub topic: String,
    pub data: serde_json::Value,
    /// Addressed to one user's sessions only (the desk's ringing card); absent: everyone the
    /// topic's area admits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<i64>,
}

impl LiveEvent {
    /// Whether a user may receive this event: the topic's area opens to them and, when the
    /// event is addressed to one user, it is them.
    pub fn for_user(&self, user_id: i64, roles: &[crate::accounts::rules::roles::Role]) -> bool {
        self.user.is_none_or(|u| u == user_id) && crate::shell::rules::access::topic_allowed(&self.topic, roles)
    }

    /// What a browser receives: the topic and the data (never whom it was addressed to).
    pub fn to_wire(&self) -> String {
        #[derive(Serialize)]
        struct Wire<'a> {
            topic: &'a str,
            data: &'a serde_json::Value,
        }
        serde_json::to_string(&Wire {
            topic: &self.topic,
            data: &self.data,
        })
        .unwrap_or_default()
    }
}

#[derive(Clone)]
pub struct EventBus {
    db: PgPool,
    tx: broadcast::Sender<Arc<LiveEvent>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("event payload of {0} bytes is over the limit of {MAX_PAYLOAD}")]
    TooLarge(usize),
    #[error("publishing: {0}")]
    Db(#[from] sqlx::Error),
}

impl EventBus {
    pub fn new(db: PgPool) -> Self {
        let (tx, _) = broadcast::channel(4096);
        Self { db, tx }
    }

    /// Publishes at once, outside any transaction: for nudges about work already committed
    /// (a dialer round's calls, a solver's progress).
    pub async fn publish(&self, topic: Topic, data: serde_json::Value) -> Result<(), PublishError> {
        let mut conn = self.db.acquire().await?;
        notify(&mut conn, topic, data, None).await
    }

    /// [`EventBus::publish`], logging a failure instead of returning it: a missed live update
    /// is repaired by the next refetch, while the change it announces is already committed.
    pub async fn announce(&self, topic: Topic, data: serde_json::Value) {
        if let Err(e) = self.publish(topic, data).await {
            tracing::warn!(error = %e, topic = %topic, "live event not published");
        }
    }

    /// Delivers to this instance's own streams only, without `NOTIFY`: for state each instance
    /// keeps itself (the queue board it follows from its own PBX connection), which another
    /// instance's browsers must not receive and which may be larger than a `NOTIFY` payload.
    pub fn deliver_here(&self, topic: Topic, data: serde_json::Value) {
        let _ = self.tx.send(Arc::new(LiveEvent {
            topic: topic.name(),
            data,
            user: None,
        }));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.tx.subscribe()
    }

    /// Listens on the channel until the process ends, reconnecting after a lost connection.
    /// Returns once the first LISTEN is in place, so events published after it are received.
    pub async fn start_listener(&self) -> Result<tokio::task::JoinHandle<()>, sqlx::Error> {
        let mut listener = PgListener::connect_with(&self.db).await?;
        listener.listen(CHANNEL).await?;
        let tx = self.tx.clone();
        Ok(tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(note) => match serde_json::from_str::<LiveEvent>(note.payload()) {
                        Ok(ev) => {
                            let _ = tx.send(Arc::new(ev));
                        }
                        Err(e) => tracing::warn!(error = %e, "malformed live event ignored"),
                    },
                    Err(e) => {
                        // PgListener reconnects on the next recv; wait a little to avoid a spin.
                        tracing::warn!(error = %e, "live-event listener lost its connection");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
        }))
    }
}

/// A [`LiveEvent`]'s envelope built in SQL, for a statement that publishes what it writes in the
/// same round trip (`pg_notify(CHANNEL, <this>)`): `topic` is a bind parameter holding the
/// topic's name, `data` a jsonb expression, `user` a bigint expression (NULL: everyone the
/// topic's area admits). The listener reads it as any other event.
pub fn envelope_sql(topic: &str, data: &str, user: &str) -> String {
    format!("jsonb_build_object('topic', {topic}::text, 'data', {data}, 'user', {user})::text")
}

/// Publishes inside the caller's transaction: PostgreSQL delivers the notification on commit,
/// so an event never announces a change that was rolled back. Services use this.
pub async fn publish_in(
    conn: &mut sqlx::PgConnection,
    topic: Topic,
    data: serde_json::Value,
) -> Result<(), PublishError> {
    notify(conn, topic, data, None).await
}

/// [`publish_in`] addressed to one user: only their own sessions receive it.
pub async fn publish_to_user_in(
    conn: &mut sqlx::PgConnection,
    topic: Topic,
    user_id: i64,
    data: serde_json::Value,
) -> Result<(), PublishError> {
    notify(conn, topic, data, Some(user_id)).await
}

async fn notify(
    conn: &mut sqlx::PgConnection,
    topic: Topic,
    data: serde_json::Value,
    user: Option<i64>,
) -> Result<(), PublishError> {
    let payload = serde_json::to_string(&LiveEvent {
        topic: topic.name(),
        data,
        user,
    })
    .expect("a JSON value serializes");
    if payload.len() > MAX_PAYLOAD {
        return Err(PublishError::TooLarge(payload.len()));
    }
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(conn)
        .await?;
    Ok(())
}
