//! The dialing worker: places the calls of running callouts within their limits, and tidies up
//! calls whose news never came.
//!
//! Every tick, for each running callout within its calling hours, in one transaction:
//! 1. `pg_try_advisory_xact_lock(callout)`: one instance at a time computes and claims a
//!    callout's budget (another instance skips it this tick), so limits hold with any number of
//!    instances;
//! 2. the pacing state is read from the calls themselves (awaiting completion, sent in the
//!    period, sent in the last second) and `domain::pacing::calls_to_place` says how many;
//! 3. that many due participations are claimed (`FOR UPDATE SKIP LOCKED`, a lease) and their
//!    calls created as `queued` (counted as sent from now on).
//!
//! After the commit the calls go to the provider (outside any transaction): accepted → remotely
//! queued with the CallSid; refused (4xx) → errored, settled by the retry policy; a transient
//! failure (time-out, 5xx after the client's retries) is *unknown* — the provider may have placed
//! the call — so the call keeps its line until the claim's lease runs out, then it is errored.
//!
//! Also every tick: calls whose lease ran out unconfirmed are errored; calls still queued at the
//! provider an hour after sending are expired (and hung up); calls whose callback never came are
//! polled 10 minutes after sending, then every 15.
use crate::telephony::provider::Provider;
use app::callouts::rules::caller_id::CallerIds;
use app::callouts::rules::calls::CallStatus;
use app::callouts::rules::pacing::calls_to_place;
use app::callouts::rules::settings::Script;
use app::callouts::store::calls::{self, NewCall, Source};
use app::callouts::store::participations::HoursFilter;
use app::ports::{CallScript, CreateCall, TelephonyError};
use app::shell::ctx::Services;
use app::shell::topics::Topic;
use app::{callouts::store::callouts, callouts::store::participations, shell::store::DbError};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Advisory-lock class of the dialer (the second key is the callout id).
const LOCK_CLASS: i32 = 20_261_121;
/// What an answered call plays when the callout has no script.
pub const DEFAULT_TWIML: &str = "<Response><Say>This is a call from Switchboard.</Say></Response>";

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
        }
    }
}

pub struct Dialer {
    services: Services,
    provider: Arc<Provider>,
    settings: DialerSettings,
}

/// Starts the dialer; it stops when `stop` changes (or its sender is dropped).
pub fn spawn(
    services: Services,
    provider: Arc<Provider>,
    settings: DialerSettings,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let dialer = Dialer {
        services,
        provider,
        settings,
    };
    tokio::spawn(async move {
        tracing::info!(instance = %dialer.settings.instance, tick = ?dialer.settings.tick, "dialer started");
        loop {
            tokio::select! {
                _ = tokio::time::sleep(dialer.settings.tick) => {}
                _ = stop.changed() => break,
            }
            if *stop.borrow() {
                break;
            }
            if let Err(e) = dialer.tick().await {
                tracing::warn!(error = %e, "dialer tick failed");
            }
        }
        tracing::info!("dialer stopped");
    })
}

struct Placed {
    call_id: i64,
    to: String,
    from: Option<String>,
}

impl Dialer {
    /// One round: tidy up, then place calls for every running callout.
    pub async fn tick(&self) -> Result<(), DbError> {
        self.sweep().await?;
        let running = callouts::running_ids(&self.services.db).await?;
        if !running.is_empty() {
            // The callout list shows progress and calls in flight, which callbacks change
            // without a list event of their own: one nudge per tick while anything runs.
            self.services
                .events
                .announce(Topic::Callouts, serde_json::json!({ "tick": running.len() }))
                .await;
        }
        for id in running {
            match self.place(id).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::debug!(callout = id, calls = n, "calls placed");
                    self.services
                        .events
                        .announce(Topic::Callout(id), serde_json::json!({ "placed": n }))
                        .await;
                }
                Err(e) => tracing::warn!(callout = id, error = %e, "placing calls failed"),
            }
        }
        Ok(())
    }

    /// Claims and places this callout's calls for this tick; returns how many were sent.
    async fn place(&self, callout_id: i64) -> Result<usize, DbError> {
        let db = &self.services.db;
        let mut tx = db.begin().await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, $2)")
            .bind(LOCK_CLASS)
            .bind((callout_id % i32::MAX as i64) as i32)
            .fetch_one(&mut *tx)
            .await?;
        if !locked {
            return Ok(0);
        }
        // Share-locked: a pause either waits for this round's claims or is seen by it.
        let callout = callouts::get_locked(&mut tx, callout_id).await?;
        if !callout.status.places_calls() {
            return Ok(0);
        }
        let s = &callout.settings;
        let hours = match &s.calling_hours {
            Some(hours) => Some(HoursFilter {
                hours: hours.clone(),
                default_zone: match &s.time_zone {
                    Some(z) => z.clone(),
                    None => callouts::team_time_zone(db).await?,
                },
            }),
            None => None,
        };
        let state = calls::pacing_state(&mut tx, callout_id, s.pacing.period_hours).await?;
        let n = calls_to_place(&s.pacing, &state).min(self.settings.batch);
        if n == 0 {
            return Ok(0);
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
            return Ok(0);
        }
        let rules = callouts::caller_id_rules(db).await?;
        let rule_refs: Vec<(&str, &str)> = rules.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
        let caller_ids = CallerIds::new(s.caller_id.as_deref(), &rule_refs).ok();
        let new_calls: Vec<NewCall> = claimed
            .iter()
            .map(|c| NewCall {
                participation_id: c.id,
                attempt: c.attempts,
                phone: c.phone.clone(),
                caller_id: caller_ids
                    .as_ref()
                    .and_then(|ids| ids.for_number(&c.phone))
                    .map(str::to_string),
            })
            .collect();
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
        let placed: Vec<Placed> = ids
            .into_iter()
            .zip(new_calls)
            .map(|(call_id, c)| Placed {
                call_id,
                to: c.phone,
                from: c.caller_id,
            })
            .collect();
        let count = placed.len();
        futures::stream::iter(placed)
            .for_each_concurrent(self.settings.concurrency, |p| {
                let script = script.clone();
                async move {
                    if let Err(e) = self.send(p, script).await {
                        tracing::warn!(error = %e, "recording a placed call failed");
                    }
                }
            })
            .await;
        Ok(count)
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
                // Unknown: the provider may have placed it. It keeps its line until the lease ends.
                calls::note_error(db, p.call_id, &format!("outcome unknown: {m}")).await
            }
        }
    }

    /// Ends a call with a status of our own, if it is not over yet.
    async fn end(&self, call_id: i64, status: CallStatus, code: Option<i64>, message: &str) -> Result<(), DbError> {
        let mut tx = self.services.db.begin().await?;
        if let Some(call) = calls::lock_by_id(&mut tx, call_id).await? {
            let still = match status {
                CallStatus::Expired => call.status() == CallStatus::RemotelyQueued,
                _ => !call.status().is_final(),
            };
            if still {
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
                return Ok(());
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Lease-expired claims, expired calls, polls.
    async fn sweep(&self) -> Result<(), DbError> {
        let db = &self.services.db;
        for id in calls::lease_expired_ids(db, 100).await? {
            let mut tx = db.begin().await?;
            if let Some(call) = calls::lock_by_id(&mut tx, id).await?
                && matches!(call.status(), CallStatus::Created | CallStatus::Queued)
            {
                calls::finish(
                    &mut tx,
                    &call,
                    CallStatus::Errored,
                    None,
                    Some("the claim's lease ran out before the provider confirmed the call (outcome unknown)"),
                )
                .await?;
            }
            tx.commit().await?;
        }
        for id in calls::expired_ids(db, 100).await? {
            let sid: Option<String> = sqlx::query_scalar("SELECT provider_sid FROM calls WHERE id = $1")
                .bind(id)
                .fetch_optional(db)
                .await?
                .flatten();
            self.end(
                id,
                CallStatus::Expired,
                None,
                "still queued at the provider an hour after it was sent",
            )
            .await?;
            if let Some(sid) = sid
                && let Err(e) = self.provider.client.hang_up(&sid).await
            {
                tracing::warn!(error = %e, sid, "hanging up an expired call failed");
            }
        }
        for (id, sid) in calls::take_due_polls(db, 100).await? {
            match self.provider.client.fetch_call(&sid).await {
                Ok(pc) => {
                    let mut tx = db.begin().await?;
                    if let Some(call) = calls::lock_by_id(&mut tx, id).await? {
                        calls::apply_provider(&mut tx, &call, &sid, pc.status, pc.duration_secs, Source::Poll).await?;
                    }
                    tx.commit().await?;
                }
                Err(e) => tracing::warn!(error = %e, sid, "polling a call failed"),
            }
        }
        Ok(())
    }
}
