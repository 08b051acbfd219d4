//! The embedded PostgreSQL accepts only this app: TCP connections need the generated password
//! (kept in a file only its owner reads); two first starts at once run initdb once; a cluster
//! of an older version (trust for every local user) is switched over at its next start.

use server::pg::{EmbeddedPg, password_file};
use sqlx::Connection;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

async fn connects(url: &str) -> Result<(), String> {
    sqlx::PgConnection::connect(url)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_embedded_cluster_needs_its_password_and_is_made_once() {
    // A short path: the socket lives in the cluster's folder.
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target")
        .join(format!("pgt-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]));
    let port = free_port();
    // Two first starts at once.
    let starts: Vec<_> = (0..2)
        .map(|_| {
            let data = data.clone();
            std::thread::spawn(move || EmbeddedPg::ensure(&data, Some(port)))
        })
        .collect();
    let clusters: Vec<EmbeddedPg> = starts
        .into_iter()
        .map(|t| t.join().unwrap().expect("both starts succeed"))
        .collect();
    let url = clusters[0].url("postgres");
    assert_eq!(url, clusters[1].url("postgres"), "one cluster, one password");
    let siblings: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !siblings.iter().any(|n| n.contains("broken") || n.ends_with(".pw")),
        "initdb ran once and left nothing behind: {siblings:?}"
    );
    let mode = std::fs::metadata(password_file(&data)).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the password file is its owner's only");

    assert_eq!(connects(&url).await, Ok(()));
    let no_password = format!("postgres://postgres@127.0.0.1:{}/postgres", clusters[0].port);
    let refused = connects(&no_password).await.expect_err("no password, no connection");
    assert!(refused.contains("password"), "{refused}");
    let wrong = format!("postgres://postgres:wrong@127.0.0.1:{}/postgres", clusters[0].port);
    assert!(connects(&wrong).await.is_err(), "a wrong password is refused");
    for user in ["switchboard", "root", "nobody"] {
        let other = format!("postgres://{user}@127.0.0.1:{}/postgres", clusters[0].port);
        assert!(connects(&other).await.is_err(), "{user} is not let in");
    }

    // A cluster of an older version: trust for TCP users, no password kept.
    clusters[0].stop().unwrap();
    let hba = clusters[0].dir.join("pg_hba.conf");
    let text = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(&hba, text.replace("scram-sha-256", "trust")).unwrap();
    std::fs::remove_file(password_file(&data)).unwrap();
    let again = tokio::task::spawn_blocking({
        let data = data.clone();
        move || EmbeddedPg::ensure(&data, Some(port))
    })
    .await
    .unwrap()
    .expect("an old cluster starts");
    assert_ne!(again.url("postgres"), url, "a new password was made");
    assert_eq!(connects(&again.url("postgres")).await, Ok(()));
    assert!(connects(&no_password).await.is_err(), "trust is gone after the switch");
    assert!(
        !std::fs::read_to_string(&hba)
            .unwrap()
            .lines()
            .any(|l| l.starts_with("host") && l.trim_end().ends_with("trust"))
    );
    again.stop().unwrap();
    let _ = std::fs::remove_dir_all(&data);
}
