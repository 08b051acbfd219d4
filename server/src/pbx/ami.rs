//! The Asterisk Manager Interface adapter: the `Pbx` port over one TCP connection, kept up by a
//! task that logs in, reconnects with backoff and reconciles (`QueueStatus`) after every
//! (re)connect. Replies and list events are routed to their action by `ActionID`; every other
//! event goes to the subscribers.
use app::ports::{BoxFuture, Pbx, PbxError, PbxNews, QueueMemberSpec};
use app::queue::rules::ami::{
    Action, Decoder, Frame, Incoming, ListCollector, QueueSnapshot, Refusal, classify, parse_event,
};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, oneshot};

/// How long an action waits for its reply.
const ACTION_TIMEOUT: Duration = Duration::from_secs(5);
const BACKOFF_FIRST: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct AmiConfig {
    pub addr: SocketAddr,
    pub username: String,
    /// Secret: never logged.
    pub secret: String,
}

impl std::fmt::Debug for AmiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmiConfig")
            .field("addr", &self.addr)
            .field("username", &self.username)
            .field("secret", &"<set>")
            .finish()
    }
}

/// What a pending action waits for.
enum Pending {
    Reply(oneshot::Sender<Result<(), Refusal>>),
    List(ListCollector, oneshot::Sender<Result<QueueSnapshot, Refusal>>),
}

struct Link {
    /// Writes to the current connection; `None` while disconnected.
    out: Option<mpsc::UnboundedSender<String>>,
    pending: HashMap<String, Pending>,
    next_id: u64,
}

pub struct AmiClient {
    link: Mutex<Link>,
    news: broadcast::Sender<PbxNews>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for AmiClient {
    fn drop(&mut self) {
        if let Some(t) = self.task.lock().expect("ami task").take() {
            t.abort();
        }
    }
}

impl AmiClient {
    /// Starts the connection task; the client works once it has connected.
    pub fn spawn(cfg: AmiConfig) -> Arc<AmiClient> {
        let (news, _) = broadcast::channel(4096);
        let client = Arc::new(AmiClient {
            link: Mutex::new(Link {
                out: None,
                pending: HashMap::new(),
                next_id: 0,
            }),
            news,
            task: Mutex::new(None),
        });
        let weak = Arc::downgrade(&client);
        let task = tokio::spawn(async move {
            let mut backoff = BACKOFF_FIRST;
            loop {
                let Some(c) = weak.upgrade() else { return };
                let why = match c.session(&cfg).await {
                    Ok(()) => "the PBX closed the connection".to_string(),
                    Err(e) => e,
                };
                c.disconnected(&why);
                let healthy = why == "the PBX closed the connection";
                drop(c);
                tracing::warn!(addr = %cfg.addr, reason = %why, retry_in = ?backoff, "AMI disconnected");
                tokio::time::sleep(backoff).await;
                backoff = if healthy {
                    BACKOFF_FIRST
                } else {
                    (backoff * 2).min(BACKOFF_MAX)
                };
            }
        });
        *client.task.lock().expect("ami task") = Some(task);
        client
    }

    fn disconnected(&self, why: &str) {
        let mut link = self.link.lock().expect("ami link");
        link.out = None;
        for (_, p) in link.pending.drain() {
            // Waiting actions learn at once instead of at their time-out.
            match p {
                Pending::Reply(tx) => drop(tx),
                Pending::List(_, tx) => drop(tx),
            }
        }
        drop(link);
        let _ = self.news.send(PbxNews::Disconnected(why.to_string()));
    }

    /// One connection: greeting, login, the reconciling status, then messages until it ends.
    async fn session(self: &Arc<Self>, cfg: &AmiConfig) -> Result<(), String> {
        let tcp = tokio::time::timeout(ACTION_TIMEOUT, TcpStream::connect(cfg.addr))
            .await
            .map_err(|_| "connecting timed out".to_string())?
            .map_err(|e| format!("connecting: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let (mut rd, mut wr) = tcp.into_split();
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        let writer = tokio::spawn(async move {
            while let Some(s) = rx.recv().await {
                if wr.write_all(s.as_bytes()).await.is_err() {
                    break;
                }
            }
        });
        let mut decoder = Decoder::new();
        let mut buf = vec![0u8; 16 * 1024];
        let mut greeted = false;
        let mut logged_in = false;
        let login_id = "login".to_string();
        // A peer that never greets or answers the login is not a manager we can use.
        let login_deadline = tokio::time::Instant::now() + ACTION_TIMEOUT;
        let result = loop {
            let read = if logged_in {
                Ok(rd.read(&mut buf).await)
            } else {
                tokio::time::timeout_at(login_deadline, rd.read(&mut buf)).await
            };
            let n = match read {
                Err(_) if greeted => break Err("the PBX did not answer the login in time".into()),
                Err(_) => break Err("the peer sent no Asterisk Call Manager greeting".into()),
                Ok(Ok(0)) => break Ok(()),
                Ok(Ok(n)) => n,
                Ok(Err(e)) => break Err(format!("reading: {e}")),
            };
            decoder.push(&buf[..n]);
            let mut failed = None;
            while let Some(frame) = decoder.next_frame() {
                let m = match frame {
                    Ok(Frame::Greeting(version)) => {
                        greeted = true;
                        tracing::info!(%version, "AMI greeting");
                        let login = Action::Login {
                            username: cfg.username.clone(),
                            secret: cfg.secret.clone(),
                        };
                        let _ = tx.send(login.to_message(&login_id).to_wire());
                        continue;
                    }
                    Ok(Frame::Message(m)) => m,
                    Err(e) => {
                        tracing::warn!(error = %e, "AMI: a message skipped");
                        continue;
                    }
                };
                let incoming = match classify(m) {
                    Ok(i) => i,
                    Err(e) => {
                        tracing::warn!(error = %e, "AMI: a message skipped");
                        continue;
                    }
                };
                if !logged_in {
                    if let Incoming::Reply(r) = &incoming
                        && r.action_id.as_deref() == Some(login_id.as_str())
                    {
                        match &r.outcome {
                            Ok(_) => {
                                logged_in = true;
                                self.link.lock().expect("ami link").out = Some(tx.clone());
                                let _ = self.news.send(PbxNews::Connected);
                                let me = self.clone();
                                tokio::spawn(async move { me.reconcile().await });
                            }
                            Err(refusal) => failed = Some(refusal.to_string()),
                        }
                    }
                    continue;
                }
                self.route(incoming);
            }
            if let Some(why) = failed {
                break Err(why);
            }
        };
        writer.abort();
        result
    }

    async fn reconcile(self: Arc<Self>) {
        match self.queue_status_now(None).await {
            Ok(snapshot) => {
                let _ = self.news.send(PbxNews::Snapshot(snapshot));
            }
            Err(e) => tracing::warn!(error = %e, "AMI: the reconciling QueueStatus failed"),
        }
    }

    /// A reply or a list event to its action; other events to the subscribers.
    fn route(&self, incoming: Incoming) {
        let mut link = self.link.lock().expect("ami link");
        match incoming {
            Incoming::Reply(r) => {
                let Some(id) = r.action_id.clone() else { return };
                match (link.pending.remove(&id), r.outcome) {
                    (Some(Pending::Reply(tx)), outcome) => {
                        let _ = tx.send(outcome.map(|_| ()));
                    }
                    (Some(Pending::List(c, tx)), Ok(_)) if r.list_start => {
                        link.pending.insert(id, Pending::List(c, tx));
                    }
                    (Some(Pending::List(_, tx)), Ok(_)) => {
                        let _ = tx.send(Ok(QueueSnapshot::default()));
                    }
                    (Some(Pending::List(_, tx)), Err(refusal)) => {
                        let _ = tx.send(Err(refusal));
                    }
                    (None, _) => {}
                }
            }
            Incoming::Event {
                name,
                action_id,
                message,
            } => {
                let event = match parse_event(&message) {
                    Ok(e) => e,
                    Err(e) => {
                        tracing::warn!(event = %name, error = %e, "AMI: an event skipped");
                        return;
                    }
                };
                if let Some(id) = action_id
                    && let Some(Pending::List(mut collector, tx)) = link.pending.remove(&id)
                {
                    if collector.take(event) {
                        let _ = tx.send(Ok(collector.snapshot));
                    } else {
                        link.pending.insert(id, Pending::List(collector, tx));
                    }
                    return;
                }
                drop(link);
                let _ = self.news.send(PbxNews::Event(event));
            }
        }
    }

    fn send(&self, action: &Action, pending: impl FnOnce() -> Pending) -> Result<(), PbxError> {
        let mut link = self.link.lock().expect("ami link");
        let Some(out) = link.out.clone() else {
            return Err(PbxError::Unavailable("not connected to the PBX".into()));
        };
        link.next_id += 1;
        let id = format!("sb-{}", link.next_id);
        link.pending.insert(id.clone(), pending());
        out.send(action.to_message(&id).to_wire())
            .map_err(|_| PbxError::Unavailable("the connection to the PBX closed".into()))
    }

    async fn act(&self, action: Action) -> Result<(), PbxError> {
        let (tx, rx) = oneshot::channel();
        self.send(&action, || Pending::Reply(tx))?;
        match tokio::time::timeout(ACTION_TIMEOUT, rx).await {
            Ok(Ok(outcome)) => outcome.map_err(PbxError::Refused),
            Ok(Err(_)) => Err(PbxError::Unavailable("the connection to the PBX closed".into())),
            Err(_) => Err(PbxError::Unavailable(format!("no answer to {} in time", action.name()))),
        }
    }

    async fn queue_status_now(&self, queue: Option<&str>) -> Result<QueueSnapshot, PbxError> {
        let (tx, rx) = oneshot::channel();
        let action = Action::QueueStatus {
            queue: queue.map(str::to_string),
        };
        self.send(&action, || Pending::List(ListCollector::default(), tx))?;
        match tokio::time::timeout(ACTION_TIMEOUT, rx).await {
            Ok(Ok(outcome)) => outcome.map_err(PbxError::Refused),
            Ok(Err(_)) => Err(PbxError::Unavailable("the connection to the PBX closed".into())),
            Err(_) => Err(PbxError::Unavailable("no answer to QueueStatus in time".into())),
        }
    }
}

impl Pbx for AmiClient {
    fn add_member(&self, m: QueueMemberSpec) -> BoxFuture<'_, Result<(), PbxError>> {
        Box::pin(self.act(Action::QueueAdd {
            queue: m.queue,
            interface: m.interface,
            member_name: m.member_name,
            state_interface: None,
            paused: m.paused,
            reason: m.reason,
        }))
    }

    fn remove_member<'a>(&'a self, queue: &'a str, interface: &'a str) -> BoxFuture<'a, Result<(), PbxError>> {
        Box::pin(self.act(Action::QueueRemove {
            queue: queue.into(),
            interface: interface.into(),
        }))
    }

    fn pause<'a>(
        &'a self,
        queue: Option<&'a str>,
        interface: &'a str,
        paused: bool,
        reason: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), PbxError>> {
        Box::pin(self.act(Action::QueuePause {
            queue: queue.map(str::to_string),
            interface: interface.into(),
            paused,
            reason: reason.map(str::to_string),
        }))
    }

    fn queue_status<'a>(&'a self, queue: Option<&'a str>) -> BoxFuture<'a, Result<QueueSnapshot, PbxError>> {
        Box::pin(self.queue_status_now(queue))
    }

    fn subscribe(&self) -> broadcast::Receiver<PbxNews> {
        self.news.subscribe()
    }
}
