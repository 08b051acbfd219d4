//! The dialing worker: places the calls of running callouts within their limits, and tidies up
//! calls whose news never came.
//!
//! Every tick, for each running callout within its calling hours, in one transaction (every
//! read of the round goes through it):
//! 1. `pg_try_advisory_xact_lock(key)` with one `bigint` key per callout: one instance at a
//!    time computes and claims a callout's budget (another instance skips it this tick), so
//!    limits hold with any number of instances;
//! 2. the pacing state is read from the calls themselves (awaiting completion, sent in the
//!    period) and `rules::pacing::calls_to_place` says how many; with a calls-per-second limit,
//!    at most as many as there are free *send slots* in the next second
//!    (`rules::pacing::send_slots`, from the callout's next free slot in `callout_send_slots`);
//! 3. that many due participations are claimed (`FOR UPDATE SKIP LOCKED`, a lease) and their
//!    calls created as `queued` (counted as sent from now on), each with its slot.
//!
//! After the commit the calls go to the provider (outside any transaction), each at its slot
//! (the wait is measured on the database's clock, so instances' clocks do not matter):
//! accepted → remotely queued with the CallSid; refused (4xx) → errored, settled by the retry
//! policy; a transient failure (time-out, 5xx after the client's retries) is *unknown* — the
//! provider may have placed the call — so the call keeps its line.
//!
//! The sweep runs in its own task (a slow provider or a failing query there never stops the
//! placing), every `sweep_every`, with at most `sweep_batch` provider requests per round:
//! - unknown calls (no CallSid) whose lease ran out or whose instance is gone (no heartbeat in
//!   `dialer_instances` for `INSTANCE_GONE_AFTER`) are looked up at the provider (its list of
//!   calls by To, From and time): the call found is adopted (its sid and status), a call the
//!   provider does not have is errored (and retried by the policy);
//! - calls still queued at the provider an hour after sending are expired and hung up;
//! - calls at the provider whose news is overdue (quiet longer than their state can last, or
//!   placed by an instance that is gone) are polled.
use crate::telephony::provider::Provider;
use app::callouts::rules::caller_id::CallerIds;
use app::callouts::rules::calls::{CallStatus, LOOKUP_SLACK, pick_listed};
use app::callouts::rules::pacing::{calls_to_place, send_slots, slot_gap};
use app::callouts::rules::settings::Script;
use app::callouts::store::calls::{self, NewCall, Source, Unknown};
use app::callouts::store::dialer;
use app::callouts::store::participations::HoursFilter;
use app::ports::{CallScript, CreateCall, FindCalls, TelephonyError};
use app::shell::ctx::Services;
use app::shell::topics::Topic;
use app::{callouts::store::callouts, callouts::store::participations, shell::store::DbError};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// The dialer's advisory locks: one `bigint` key per callout, this base XOR the callout id (a
/// bijection: two callouts never share a key). The single-key space is apart from the two-key one.
const LOCK_BASE: i64 = 0x5357_4449_0000_0000;
/// What an answered call plays when the callout has no script.
pub const DEFAULT_TWIML: &str = "<Response><Say>This is a call from Switchboard.</Say></Response>";

/// The advisory-lock key of a callout's claim rounds.
pub fn lock_key(callout_id: i64) -> i64 {
    LOCK_BASE ^ callout_id
}

#[derive(Clone, Debug)]
pub struct DialerSettings {
    pub tick: Duration,
    /// This instance's name in claims.
    pub instance: String,
    /// How long a claim holds without the provider's confirmation.
    pub lease: Duration,
    /// Most calls one callout places per tick.
    pub batch: u32,
    /// Calls sent to the provider at once.
    pub concurrency: usize,
    /// How often the sweep (look-ups, expiries, polls) runs.
    pub sweep_every: Duration,
    /// Provider requests per sweep at most (bounds the sweep's request rate).
    pub sweep_batch: u32,
    /// The sweep's provider requests at once.
    pub sweep_concurrency: usize,
    /// How often this instance records that it is alive.
    pub heartbeat_every: Duration,
}

impl Default for DialerSettings {
    fn default() -> Self {
        DialerSettings {
            tick: Duration::from_secs(1),
            instance: format!(
                "{}-{}",
                std::process::id(),
                (0..4)
                    .map(|_| format!("{:02x}", rand::random::<u8>()))
                    .collect::<String>()
            ),
            lease: Duration::from_secs(120),
            batch: 500,
            concurrency: 64,
            sweep_every: Duration::from_secs(1),
            sweep_batch: 20,
            sweep_concurrency: 4,
            heartbeat_every: Duration::from_secs(2),
        }
    }
}

pub struct Dialer {
    services: Services,
    provider: Arc<Provider>,
    settings: DialerSettings,
}

/// Runs `round` every `every` until `stop` changes; a round that takes longer than `every` is
/// followed at once by the next.
async fn every<F, Fut>(every: Duration, mut stop: watch::Receiver<bool>, mut round: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        round().await;
    }
}

/// Starts the dialer (placing, sweep and heartbeat, each its own task); it stops when `stop`
/// changes (or its sender is dropped).
pub fn spawn(
    services: Services,
    provider: Arc<Provider>,
    settings: DialerSettings,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let dialer = Arc::new(Dialer {
        services,
        provider,
        settings,
    });
    tokio::spawn(async move {
        let s = &dialer.settings;
        // Alive before the first claim: others must not take this instance's calls for a dead one's.
        if let Err(e) = dialer::heartbeat(&dialer.services.db, &s.instance).await {
            tracing::warn!(error = %e, "dialer heartbeat failed");
        }
        tracing::info!(instance = %s.instance, tick = ?s.tick, "dialer started");
        let beat = {
            let d = dialer.clone();
            let mut n = 0u32;
            tokio::spawn(every(d.settings.heartbeat_every, stop.clone(), move || {
                let d = d.clone();
                n = n.wrapping_add(1);
                let forget = n % 1000 == 1;
                async move {
                    if let Err(e) = dialer::heartbeat(&d.services.db, &d.settings.instance).await {
                        tracing::warn!(error = %e, "dialer heartbeat failed");
                    }
                    if forget && let Err(e) = dialer::forget_old_instances(&d.services.db).await {
                        tracing::warn!(error = %e, "forgetting old dialer instances failed");
                    }
                }
            }))
        };
        let sweep = {
            let d = dialer.clone();
            tokio::spawn(every(d.settings.sweep_every, stop.clone(), move || {
                let d = d.clone();
                async move { d.sweep().await }
            }))
        };
        let d = dialer.clone();
        every(s.tick, stop, move || {
            let d = d.clone();
            async move {
                if let Err(e) = d.tick().await {
                    tracing::warn!(error = %e, "dialer tick failed");
                }
            }
        })
        .await;
        let _ = sweep.await;
        let _ = beat.await;
        if let Err(e) = dialer::retire(&dialer.services.db, &dialer.settings.instance).await {
            tracing::warn!(error = %e, "the dialer could not retire (its calls wait for its heartbeat to go silent)");
        }
        tracing::info!("dialer stopped");
    })
}

struct Placed {
    call_id: i64,
    to: String,
    from: Option<String>,
    /// When to send it (its send slot on this instance's clock); `None`: at once.
    at: Option<Instant>,
}

/// A callout's claimed calls, to send after the round's commit.
struct Batch {
    callout_id: i64,
    script: CallScript,
    calls: Vec<Placed>,
}

impl Dialer {
    /// One round: claims calls for every running callout, then sends them all (each at its slot).
    pub async fn tick(&self) -> Result<(), DbError> {
        let running = callouts::running_ids(&self.services.db).await?;
        if !running.is_empty() {
            // The callout list shows progress and calls in flight, which callbacks change
            // without a list event of their own: one nudge per tick while anything runs.
            self.services
                .events
                .announce(Topic::Callouts, serde_json::json!({ "tick": running.len() }))
                .await;
        }
        let mut batches = Vec::new();
        for id in running {
            match self.claim(id).await {
                Ok(Some(b)) => batches.push(b),
                Ok(None) => {}
                Err(e) => tracing::warn!(callout = id, error = %e, "placing calls failed"),
            }
        }
        futures::future::join_all(batches.into_iter().map(|b| self.send_batch(b))).await;
        Ok(())
    }

    async fn send_batch(&self, b: Batch) {
        let n = b.calls.len();
        let script = b.script;
        futures::stream::iter(b.calls)
            .for_each_concurrent(self.settings.concurrency, |p| {
                let script = script.clone();
                async move {
                    if let Some(at) = p.at {
                        tokio::time::sleep_until(at).await;
                    }
                    if let Err(e) = self.send(p, script).await {
                        tracing::warn!(error = %e, "recording a placed call failed");
                    }
                }
            })
            .await;
        tracing::debug!(callout = b.callout_id, calls = n, "calls placed");
        self.services
            .events
            .announce(Topic::Callout(b.callout_id), serde_json::json!({ "placed": n }))
            .await;
    }

    /// Claims this callout's calls for this tick, in one transaction holding its lock.
    async fn claim(&self, callout_id: i64) -> Result<Option<Batch>, DbError> {
        let db = &self.services.db;
        let mut tx = db.begin().await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(lock_key(callout_id))
            .fetch_one(&mut *tx)
            .await?;
        if !locked {
            return Ok(None);
        }
        // Share-locked: a pause either waits for this round's claims or is seen by it.
        let callout = callouts::get_locked(&mut tx, callout_id).await?;
        if !callout.status.places_calls() {
            return Ok(None);
        }
        let s = &callout.settings;
        let hours = match &s.calling_hours {
            Some(hours) => Some(HoursFilter {
                hours: hours.clone(),
                default_zone: match &s.time_zone {
                    Some(z) => z.clone(),
                    None => callouts::team_time_zone(&mut *tx).await?,
                },
            }),
            None => None,
        };
        let state = calls::pacing_state(&mut tx, callout_id, s.pacing.period_hours).await?;
        // The per-second limit is held by send slots (at the provider), the others by counts.
        let mut counted = s.pacing.clone();
        let cps = counted.calls_per_second.take();
        let mut n = calls_to_place(&counted, &state).min(self.settings.batch);
        let slots = match cps {
            Some(cps) if n > 0 => {
                // The database's clock read between these two instants: taken as their middle.
                let asked = Instant::now();
                let (next_free, db_now) = dialer::next_slot(&mut tx, callout_id).await?;
                let local_now = asked + asked.elapsed() / 2;
                let horizon = chrono::TimeDelta::from_std(self.settings.tick.max(Duration::from_secs(1)))
                    .unwrap_or(chrono::TimeDelta::seconds(1));
                let (free, first) = send_slots(cps, next_free, db_now, horizon);
                n = n.min(free);
                Some((cps, first, db_now, local_now))
            }
            _ => None,
        };
        if n == 0 {
            return Ok(None);
        }
        let claimed = participations::claim(
            &mut tx,
            callout_id,
            n as i64,
            &self.settings.instance,
            self.settings.lease.as_secs_f64(),
            hours.as_ref(),
        )
        .await?;
        if claimed.is_empty() {
            return Ok(None);
        }
        let rules = callouts::caller_id_rules(&mut *tx).await?;
        let rule_refs: Vec<(&str, &str)> = rules.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
        let caller_ids = CallerIds::new(s.caller_id.as_deref(), &rule_refs).ok();
        let slot_of = |k: usize| slots.map(|(cps, first, _, _)| first + slot_gap(cps) * k as i32);
        let new_calls: Vec<NewCall> = claimed
            .iter()
            .enumerate()
            .map(|(k, c)| NewCall {
                participation_id: c.id,
                attempt: c.attempts,
                phone: c.phone.clone(),
                caller_id: caller_ids
                    .as_ref()
                    .and_then(|ids| ids.for_number(&c.phone))
                    .map(str::to_string),
                send_at: slot_of(k),
            })
            .collect();
        if let Some(next) = slot_of(claimed.len()) {
            dialer::set_next_slot(&mut tx, callout_id, next).await?;
        }
        let ids = calls::insert_queued(&mut tx, callout_id, &self.settings.instance, &new_calls).await?;
        tx.commit().await?;

        let script = match &s.script {
            Some(Script::Url { url, method }) => CallScript::Url {
                url: url.clone(),
                method: method.clone(),
            },
            Some(Script::Twiml(t)) => CallScript::Twiml(t.clone()),
            None => CallScript::Twiml(DEFAULT_TWIML.to_string()),
        };
        let calls = ids
            .into_iter()
            .zip(new_calls)
            .map(|(call_id, c)| Placed {
                call_id,
                at: match (c.send_at, slots) {
                    (Some(at), Some((_, _, db_now, local_now))) => {
                        Some(local_now + (at - db_now).to_std().unwrap_or_default())
                    }
                    _ => None,
                },
                to: c.phone,
                from: c.caller_id,
            })
            .collect();
        Ok(Some(Batch {
            callout_id,
            script,
            calls,
        }))
    }

    /// Sends one call to the provider and records the answer.
    async fn send(&self, p: Placed, script: CallScript) -> Result<(), DbError> {
        let db = &self.services.db;
        let Some(from) = p.from else {
            return self
                .end(
                    p.call_id,
                    CallStatus::Errored,
                    None,
                    "no caller id: set the callout's caller id",
                )
                .await;
        };
        let req = CreateCall {
            to: p.to,
            from,
            url_or_twiml: script,
            status_callback: Some(self.provider.status_callback(p.call_id)),
        };
        match self.provider.client.create_call(req).await {
            Ok(pc) => {
                calls::record_remote(db, p.call_id, &pc.sid).await?;
                if pc.status != app::callouts::rules::calls::ProviderStatus::Queued {
                    let mut tx = db.begin().await?;
                    if let Some(call) = calls::lock_by_id(&mut tx, p.call_id).await? {
                        calls::apply_provider(&mut tx, &call, &pc.sid, pc.status, pc.duration_secs, Source::Worker)
                            .await?;
                    }
                    tx.commit().await?;
                }
                Ok(())
            }
            Err(TelephonyError::Permanent { code, message, status }) => {
                let msg = format!("the provider refused the call (HTTP {status}): {message}");
                self.end(p.call_id, CallStatus::Errored, code, &msg).await
            }
            Err(TelephonyError::Transient(m)) => {
                // Unknown: the provider may have placed it. It keeps its line until the lease
                // ends; then the sweep asks the provider.
                calls::note_error(db, p.call_id, &format!("outcome unknown: {m}")).await
            }
        }
    }

    /// Ends a call with a status of our own, if it is not over yet.
    async fn end(&self, call_id: i64, status: CallStatus, code: Option<i64>, message: &str) -> Result<(), DbError> {
        self.end_if(call_id, status, code, message, |call| match status {
            CallStatus::Expired => call.status() == CallStatus::RemotelyQueued,
            _ => !call.status().is_final(),
        })
        .await
        .map(|_| ())
    }

    /// Ends a call with a status of our own if `still` holds for it under its row lock; returns
    /// the locked call when it did.
    async fn end_if(
        &self,
        call_id: i64,
        status: CallStatus,
        code: Option<i64>,
        message: &str,
        still: impl FnOnce(&calls::Locked) -> bool,
    ) -> Result<Option<calls::Locked>, DbError> {
        let mut tx = self.services.db.begin().await?;
        let Some(call) = calls::lock_by_id(&mut tx, call_id).await? else {
            return Ok(None);
        };
        if !still(&call) {
            return Ok(None);
        }
        let applied = calls::finish(&mut tx, &call, status, code, Some(message)).await?;
        tx.commit().await?;
        if applied.changed {
            self.services
                .events
                .announce(
                    Topic::Callout(applied.callout_id),
                    serde_json::json!({ "call": call_id, "status": status }),
                )
                .await;
        }
        Ok(Some(call))
    }

    /// One sweep round: look-ups, expiries, polls, within `sweep_batch` provider requests; a
    /// failure in one part is logged and the others still run.
    async fn sweep(&self) {
        let db = &self.services.db;
        let mut budget = self.settings.sweep_batch as i64;
        let width = self.settings.sweep_concurrency.max(1);
        match calls::take_unknown(db, budget).await {
            Ok(unknown) => {
                budget -= unknown.len() as i64;
                futures::stream::iter(unknown)
                    .for_each_concurrent(width, |u| async move {
                        let id = u.id;
                        if let Err(e) = self.look_up(u).await {
                            tracing::warn!(call = id, error = %e, "looking up an unknown call failed");
                        }
                    })
                    .await;
            }
            Err(e) => tracing::warn!(error = %e, "finding unknown calls failed"),
        }
        if budget > 0 {
            match calls::expired_ids(db, budget).await {
                Ok(ids) => {
                    budget -= ids.len() as i64;
                    futures::stream::iter(ids)
                        .for_each_concurrent(width, |id| async move {
                            if let Err(e) = self.expire(id).await {
                                tracing::warn!(call = id, error = %e, "expiring a call failed");
                            }
                        })
                        .await;
                }
                Err(e) => tracing::warn!(error = %e, "finding expired calls failed"),
            }
        }
        if budget > 0 {
            match calls::take_due_polls(db, budget).await {
                Ok(due) => {
                    futures::stream::iter(due)
                        .for_each_concurrent(width, |(id, sid)| async move {
                            if let Err(e) = self.poll(id, &sid).await {
                                tracing::warn!(call = id, error = %e, "recording a poll failed");
                            }
                        })
                        .await;
                }
                Err(e) => tracing::warn!(error = %e, "finding calls to poll failed"),
            }
        }
    }

    /// A call still queued at the provider an hour after sending: expired, then hung up.
    async fn expire(&self, id: i64) -> Result<(), DbError> {
        let ended = self
            .end_if(
                id,
                CallStatus::Expired,
                None,
                "still queued at the provider an hour after it was sent",
                |call| call.status() == CallStatus::RemotelyQueued,
            )
            .await?;
        if let Some(sid) = ended.and_then(|c| c.provider_sid)
            && let Err(e) = self.provider.client.hang_up(&sid).await
        {
            tracing::warn!(error = %e, sid, "hanging up an expired call failed");
        }
        Ok(())
    }

    /// Asks the provider for a call whose news is overdue.
    async fn poll(&self, id: i64, sid: &str) -> Result<(), DbError> {
        let pc = match self.provider.client.fetch_call(sid).await {
            Ok(pc) => pc,
            Err(e) => {
                tracing::warn!(error = %e, sid, "polling a call failed");
                return Ok(());
            }
        };
        let mut tx = self.services.db.begin().await?;
        let applied = match calls::lock_by_id(&mut tx, id).await? {
            Some(call) => {
                Some(calls::apply_provider(&mut tx, &call, sid, pc.status, pc.duration_secs, Source::Poll).await?)
            }
            None => None,
        };
        tx.commit().await?;
        if let Some(a) = applied.filter(|a| a.changed) {
            self.services
                .events
                .announce(
                    Topic::Callout(a.callout_id),
                    serde_json::json!({ "call": a.call_id, "status": a.status }),
                )
                .await;
        }
        Ok(())
    }

    /// A call whose outcome is unknown: the provider's call is adopted if it has one, else the
    /// call is errored (and the retry policy decides). A failed look-up changes nothing (it is
    /// tried again later).
    async fn look_up(&self, u: Unknown) -> Result<(), DbError> {
        let query = FindCalls {
            to: u.phone.clone(),
            from: u.caller_id.clone(),
            created_after: u.sent_at - LOOKUP_SLACK,
        };
        let listed = match self.provider.client.find_calls(&query).await {
            Ok(listed) => listed,
            Err(e) => {
                tracing::warn!(call = u.id, error = %e, "listing the provider's calls failed");
                return Ok(());
            }
        };
        let sids: Vec<String> = listed.iter().map(|c| c.sid.clone()).collect();
        let known = calls::known_sids(&self.services.db, &sids).await?;
        let unconfirmed = |c: &calls::Locked| c.provider_sid.is_none() && CallStatus::UNCONFIRMED.contains(&c.status());
        match pick_listed(&listed, &u.phone, u.caller_id.as_deref(), u.sent_at, &known) {
            Some(found) => {
                let mut tx = self.services.db.begin().await?;
                let Some(call) = calls::lock_by_id(&mut tx, u.id).await? else {
                    return Ok(());
                };
                if !unconfirmed(&call) {
                    return Ok(());
                }
                calls::record_remote_in(&mut tx, u.id, &found.sid).await?;
                let adopted = calls::Locked {
                    status: CallStatus::RemotelyQueued.as_str().to_string(),
                    provider_sid: Some(found.sid.clone()),
                    ..call
                };
                let applied = calls::apply_provider(
                    &mut tx,
                    &adopted,
                    &found.sid,
                    found.status,
                    found.duration_secs,
                    Source::Poll,
                )
                .await?;
                tx.commit().await?;
                tracing::info!(call = u.id, sid = %found.sid, status = %found.status, "unknown call found at the provider: adopted");
                self.services
                    .events
                    .announce(
                        Topic::Callout(applied.callout_id),
                        serde_json::json!({ "call": u.id, "status": applied.status }),
                    )
                    .await;
            }
            None => {
                let ended = self
                    .end_if(
                        u.id,
                        CallStatus::Errored,
                        None,
                        "the call's outcome was unknown and the provider has no such call: it was never placed",
                        unconfirmed,
                    )
                    .await?;
                if ended.is_some() {
                    tracing::info!(call = u.id, "unknown call not at the provider: errored");
                }
            }
        }
        Ok(())
    }
}
