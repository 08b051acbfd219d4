//! The solver worker: takes queued solver runs (from any instance, `SKIP LOCKED` with a lease),
//! solves on the blocking pool with a time limit, reports progress live, honours the stop
//! button (the best timetable so far is kept), and stores the result as the week's draft.
use app::rota::JobStatus;
use app::rota::rules::plan::{plan_week, seats_of};
use app::rota::rules::solver::{Deadline, Progress, solve};
use app::rota::service::timetable as service;
use app::rota::store::{solver_jobs, source, timetables};
use app::shell::ctx::Services;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const LEASE_S: f64 = 30.0;

/// A fault-injection hook for tests (the browser test of the stop button, the shutdown test):
/// a run with this seed holds before solving, running and heartbeating, until it is stopped,
/// the server shuts down, or its time limit passes. Unset in production.
const HOLD_SEED_VAR: &str = "SWITCHBOARD_SOLVER_HOLD_SEED";

/// Runs until the process ends; one run at a time per instance.
pub async fn run(services: Services, stop: tokio::sync::watch::Receiver<bool>) {
    let worker = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
    let hold_seed: Option<i64> = std::env::var(HOLD_SEED_VAR).ok().and_then(|v| v.trim().parse().ok());
    loop {
        if *stop.borrow() {
            break; // shutting down: claim nothing more
        }
        match solver_jobs::claim(&services.db, &worker, LEASE_S).await {
            Ok(Some(job)) => {
                let id = job.id;
                if let Err(e) = run_job(&services, &worker, job, stop.clone(), hold_seed).await {
                    tracing::error!(job = id, error = %e, "solver run failed");
                    if let Err(e) = service::run_ended(&services, id, &worker, JobStatus::Failed, Some(&e)).await {
                        tracing::error!(job = id, error = %e, "solver run not ended");
                    }
                }
            }
            Ok(None) => tokio::time::sleep(Duration::from_millis(300)).await,
            Err(e) => {
                tracing::warn!(error = %e, "solver worker cannot reach the database");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

/// Solves one run. On shutdown the run is stopped like the stop button does (the best timetable
/// so far is stored), so no run is left to its lease.
async fn run_job(
    s: &Services,
    worker: &str,
    job: solver_jobs::Job,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    hold_seed: Option<i64>,
) -> Result<(), String> {
    let db = &s.db;
    let source = source::week_source(db, job.monday).await.map_err(|e| e.to_string())?;
    let mut plan = plan_week(&source, job.monday, job.seed as u64, job.time_limit_s).map_err(|e| e.to_string())?;
    let lines = plan.problem.lines.max(1) as usize;
    let turns = source.settings.turns();
    let week = timetables::week(db, job.monday).await.map_err(|e| e.to_string())?;
    if job.repair && week.is_some() {
        let grid = timetables::grid(db, job.monday, turns, lines)
            .await
            .map_err(|e| e.to_string())?;
        if grid.days == plan.days {
            plan.problem.previous = Some(app::rota::rules::plan::timetable_of(&grid.seats));
        }
    }
    let stop = Arc::new(AtomicBool::new(*shutdown.borrow()));
    let mut shutting_down = stop.load(Ordering::Relaxed);
    if hold_seed == Some(job.seed) {
        let until = tokio::time::Instant::now() + Duration::from_secs_f64(job.time_limit_s.max(0.0));
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        while !stop.load(Ordering::Relaxed) && tokio::time::Instant::now() < until {
            tokio::select! {
                _ = tick.tick() => match service::run_progress(s, job.id, worker, LEASE_S, None, true).await {
                    Ok(true) => stop.store(true, Ordering::Relaxed),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "solver heartbeat"),
                },
                _ = shutdown.changed() => {
                    shutting_down = true;
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Progress>(64);
    let problem = plan.problem.clone();
    let budget_stop = stop.clone();
    let solving = tokio::task::spawn_blocking(move || {
        let mut budget = Deadline::after_secs(problem.time_limit_s);
        budget.stop = budget_stop;
        solve(&problem, &mut budget, &mut |p: &Progress| {
            let _ = tx.try_send(p.clone());
        })
    });
    if let Err(e) = service::run_progress(s, job.id, worker, LEASE_S, None, true).await {
        tracing::warn!(error = %e, "solver heartbeat");
    }
    // Progress out, stop requests in, lease kept, until the solver returns.
    let mut solving = std::pin::pin!(solving);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut latest: Option<Progress> = None;
    let mut sent_cost = None;
    let result = loop {
        tokio::select! {
            r = &mut solving => break r,
            Some(p) = rx.recv() => latest = Some(p),
            _ = shutdown.changed(), if !shutting_down => {
                shutting_down = true;
                stop.store(true, Ordering::Relaxed);
            }
            _ = tick.tick() => {
                let changed = latest.as_ref().map(|p| (p.cost, p.lower_bound)) != sent_cost;
                let progress = latest.as_ref().filter(|_| changed);
                match service::run_progress(s, job.id, worker, LEASE_S, progress, changed).await {
                    Ok(true) => stop.store(true, Ordering::Relaxed),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "solver heartbeat"),
                }
                if changed {
                    sent_cost = latest.as_ref().map(|p| (p.cost, p.lower_bound));
                }
            }
        }
    };
    let solution = result
        .map_err(|e| format!("solver task: {e}"))?
        .map_err(|e| e.to_string())?;
    let stopped = stop.load(Ordering::Relaxed);
    let final_progress = Progress {
        cost: solution.cost,
        lower_bound: solution.lower_bound,
        totals: solution.totals.clone(),
        found_s: solution.time_to_best_s,
        elapsed_s: solution.elapsed_s,
        iterations: solution.iterations,
    };
    if let Err(e) = service::run_progress(s, job.id, worker, LEASE_S, Some(&final_progress), false).await {
        tracing::warn!(error = %e, "solver heartbeat");
    }
    let grid = timetables::Grid {
        days: plan.days.clone(),
        seats: seats_of(&solution.timetable, lines),
    };
    let kind = if plan.problem.previous.is_some() {
        "repair"
    } else {
        "solve"
    };
    let note = format!(
        "{} (seed {}): cost {}{}",
        if kind == "repair" { "repaired" } else { "generated" },
        job.seed,
        solution.cost,
        if stopped { ", stopped early" } else { "" }
    );
    let status = if stopped { JobStatus::Stopped } else { JobStatus::Done };
    service::run_solved(
        s,
        &job,
        worker,
        timetables::Shape {
            turn_boundaries: &source.settings.turn_boundaries,
            time_zone: &source.settings.time_zone,
            lines: lines as u32,
        },
        &grid,
        timetables::Revision {
            cost: Some(solution.cost),
            penalties: &solution.penalties,
            by: None,
            kind,
            note: &note,
            status: None,
            not_on_published: kind != "repair",
        },
        status,
    )
    .await
    .map_err(|e| e.to_string())
}
