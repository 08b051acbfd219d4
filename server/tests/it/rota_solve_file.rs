//! `switchboard rota solve-file`: the built binary on a problem file, no database.
use std::path::PathBuf;
use std::process::{Command, Output};

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("switchboard-rota-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn solve_file(path: &PathBuf) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["rota", "solve-file"])
        .arg(path)
        // Whatever the environment says about the database, this command must not need it.
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("SWITCHBOARD_DATA_DIR", "/nonexistent/switchboard")
        .output()
        .expect("run switchboard")
}

#[test]
fn prints_the_solution_as_json() {
    let path = temp_file(
        "week.json",
        r#"{
            "days": ["Mon"],
            "turns": ["09:00", "10:15", "11:30", "12:45"],
            "lines": 1,
            "persons": [{"id": "anna", "load": 2}, {"id": "bea", "load": 1}],
            "fixed": [{"person": "anna", "day": 0, "turn": 0}, {"person": "anna", "day": 0, "turn": 3}],
            "time_limit_s": 2,
            "seed": 3
        }"#,
    );
    let out = solve_file(&path);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["cost"], 140);
    assert_eq!(v["lower_bound"], 140);
    assert_eq!(v["timetable"][0][0], serde_json::json!(["anna"]));
    assert_eq!(v["timetable"][0][3], serde_json::json!(["anna"]));
    let penalties = v["penalties"].as_array().unwrap();
    let sum: i64 = penalties.iter().map(|p| p["points"].as_i64().unwrap()).sum();
    assert_eq!(sum, 140);
    assert!(
        penalties
            .iter()
            .any(|p| p["rule"] == "first_last"
                && p["text"] == "anna has 09:00 and 12:45 on Mon with 2 free turns between"),
        "{penalties:?}"
    );
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("seats stay empty"))
    );
}

#[test]
fn a_malformed_file_names_the_field_and_fails() {
    let path = temp_file(
        "bad.json",
        r#"{"days": ["Mon"], "turns": 4, "lines": 1, "persons": [{"id": "anna", "load": "two"}]}"#,
    );
    let out = solve_file(&path);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("persons[0].load"), "{err}");
    assert!(err.contains("expected a whole number"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_missing_file_fails_with_its_name() {
    let out = solve_file(&PathBuf::from("/nonexistent/week.json"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/week.json"));
}

#[test]
fn a_dash_reads_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["rota", "solve-file", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run switchboard");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            br#"{"days": ["Mon"], "turns": 2, "lines": 1, "persons": [{"id": "anna", "load": 2}], "time_limit_s": 1}"#,
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Anna on both turns: 10 × 2 × 1 for two turns on one day, and 10 because with two turns
    // the midday boundary lies between them (no break); better than two empty seats.
    assert_eq!(v["cost"], 30);
    assert_eq!(v["timetable"], serde_json::json!([[["anna"], ["anna"]]]));
}
