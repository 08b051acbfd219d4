//! `switchboard rota …`: the rota solver on files. Needs neither the configuration nor the
//! database, so it can run anywhere the binary does (a coordinator's laptop, a CI job).
use app::rota::rules::solver::{self, Deadline, Problem, Progress};
use clap::Subcommand;
use std::io::Read;
use std::sync::atomic::Ordering;

#[derive(Subcommand, Debug)]
pub enum RotaCommand {
    /// Solve a rota problem given as JSON (README: "Rota solver problem format") and print the
    /// result as JSON; progress goes to standard error. Ctrl-C stops early with the best so far.
    SolveFile {
        /// The problem file; `-` reads standard input.
        path: String,
    },
}

pub async fn run(cmd: RotaCommand) -> Result<(), String> {
    match cmd {
        RotaCommand::SolveFile { path } => {
            let text = if path == "-" {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .map_err(|e| format!("standard input: {e}"))?;
                s
            } else {
                std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?
            };
            let problem = Problem::from_json(&text).map_err(|e| format!("{path}: {e}"))?;
            let mut budget = Deadline::after_secs(problem.time_limit_s);
            let stop = budget.stop.clone();
            let interrupt = tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    stop.store(true, Ordering::Relaxed);
                }
            });
            // The search is CPU-bound: off the async threads, so Ctrl-C is still heard.
            let solved = tokio::task::spawn_blocking(move || {
                solver::solve(&problem, &mut budget, &mut |p: &Progress| {
                    eprintln!(
                        "best {} (bound {}) at {:.3} s after {} moves",
                        p.cost, p.lower_bound, p.found_s, p.iterations
                    )
                })
            })
            .await
            .map_err(|e| format!("solver: {e}"))?;
            interrupt.abort();
            let solution = solved.map_err(|e| format!("{path}: {e}"))?;
            let json = serde_json::to_string_pretty(&solution).map_err(|e| e.to_string())?;
            println!("{json}");
            Ok(())
        }
    }
}
