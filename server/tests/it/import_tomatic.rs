//! The Tomàtic import end to end: a small Tomàtic folder written to a temporary directory, read
//! by the real `switchboard import-tomatic DIR` (and by the upload's server function), checked
//! in the database; a second import changes nothing; a folder with bad lines imports nothing.

use crate::common::rota::*;
use crate::common::*;
use app::rota::Person;
use app::rota::rules::data::{AvailabilityKind, FixedSeat, Holiday, HolidayKind, PersonFields};
use app::rota::rules::tomatic::ImportReport;
use serde_json::json;
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::process::Command;

const PERSONS: &str = "\
names:
  anna: Anna Puig
  bea: Bea Roca
  cid: Cid Vila
  ningu: '-'
extensions:
  anna: '201'
  bea: '202'
colors:
  anna: ff7700
  bea: '000000'
  cid: abc
tables:
  anna: 3
  bea: -1
emails:
  anna: anna@example.org
  bea: bea@example.org
groups:
  it:
    - anna
    - bea
  sales:
    - cid
idealloads:
  anna: 4
  bea: 2
  cid: 0
";

const WEEKLY: &str = "\
# Weekly unavailability
+anna dl 0011 # school run
bea 1100 # rather not in the mornings

+cid dv # choir
bea dx 0001 # gym
";

const ONESHOT: &str = "\
+anna 2015-01-02 0101 # r
bea 2026-12-01 1000 # dentist
";

const LEAVE: &str = "\
+bea 2026-08-03 # vacances
+bea 2026-08-04 # vacances
+bea 2026-08-05 # vacances
+bea 2026-08-10 # vacances
anna 2026-08-03 1100 # half a day
";

const HOLIDAYS: &str = "\
# festius
2026-12-25\tNadal
2026-12-26 Sant Esteve
2027-01-01\tCap d'any
";

/// Ten lines (labels), the default four turns; Monday and Tuesday seats.
const FORCED: &str = "\
days: [dl, dm, dx, dj, dv]
hours: ['09:00', '10:15', '11:30', '12:45', '14:00']
turns: [L1, L2, L3, L4, L5, L6, L7, L8, L9, L10]
timetable:
  dl:
  - [anna, ningu, bea]
  - [bea, anna, ningu]
  - [festiu, undefined, ~]
  - [cid, anna, bea]
  dm:
  - [bea, anna, cid]
";

const GRAELLA: &str = "\
week: '2023-08-07'
days: [dl, dm]
hours: ['09:00', '10:15', '11:30', '12:45', '14:00']
turns: [L1, L2]
timetable:
  dl:
  - [anna, bea]
  - [bea, ningu]
  dm:
  - [cid, anna]
";

/// The folder's files by their path in it.
fn good_files() -> Vec<(&'static str, String)> {
    vec![
        ("persons.yaml", PERSONS.into()),
        ("indisponibilitats.conf", WEEKLY.into()),
        ("oneshot.conf", ONESHOT.into()),
        ("indisponibilitats-vacances.conf", LEAVE.into()),
        ("holidays.conf", HOLIDAYS.into()),
        ("data/forced-turns.yaml", FORCED.into()),
        ("graelles/graella-2023-08-07.yaml", GRAELLA.into()),
        // Not a Tomàtic file the import reads.
        ("notes.txt", "anything at all\n".into()),
    ]
}

/// A temporary folder holding `files`; removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(files: &[(&str, String)]) -> Folder {
        let dir = std::env::temp_dir().join(format!("sb-tomatic-{}", uuid::Uuid::new_v4().simple()));
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        Folder(dir)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh, migrated database of its own and its URL, for the binary to use.
async fn database() -> (PgPool, String) {
    let server = server::testing::server_url();
    let name = format!("{}{}", server::testing::TEST_DB_PREFIX, uuid::Uuid::new_v4().simple());
    server::database::create_database(&format!("{server}/postgres"), &name)
        .await
        .expect("create test database");
    let url = format!("{server}/{name}");
    let db = server::database::pool(&url, 5).await.expect("connect");
    server::database::migrate(&db).await.expect("migrate");
    (db, url)
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// `switchboard import-tomatic DIR` against the database at `url`.
fn import_cli(url: &str, dir: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("import-tomatic")
        .arg(dir)
        // Away from any switchboard.toml of the repository.
        .current_dir(std::env::temp_dir())
        .env("DATABASE_URL", url)
        .env_remove("SWITCHBOARD_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run switchboard");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The (created, updated, unchanged) counts of each kind in a printed report.
fn printed_counts(report: &str) -> Vec<(String, [u32; 3])> {
    report
        .lines()
        .filter(|l| l.contains(" created ") && l.trim_end().ends_with("unchanged"))
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let n = |label: &str| -> u32 {
                let i = words.iter().position(|w| *w == label).unwrap();
                words[i - 1].parse().unwrap()
            };
            let what = words[..words.len() - 6].join(" ");
            (what, [n("created"), n("updated"), n("unchanged")])
        })
        .collect()
}

fn report_counts(r: &ImportReport) -> Vec<(String, [u32; 3])> {
    r.counts
        .iter()
        .map(|c| (c.what.clone(), [c.created, c.updated, c.unchanged]))
        .collect()
}

/// What the first import of the good folder does.
fn first_counts() -> Vec<(String, [u32; 3])> {
    [
        ("team settings", [0, 1, 0]),
        ("people", [3, 0, 0]),
        ("availability entries", [9, 0, 0]),
        ("holidays", [3, 0, 0]),
        ("fixed turns", [12, 0, 0]),
        ("timetables", [1, 0, 0]),
    ]
    .into_iter()
    .map(|(w, c)| (w.to_string(), c))
    .collect()
}

/// What a second import of it does: nothing.
fn second_counts() -> Vec<(String, [u32; 3])> {
    [
        ("team settings", [0, 0, 1]),
        ("people", [0, 0, 3]),
        ("availability entries", [0, 0, 9]),
        ("holidays", [0, 0, 3]),
        ("fixed turns", [0, 0, 12]),
        ("timetables", [0, 0, 1]),
    ]
    .into_iter()
    .map(|(w, c)| (w.to_string(), c))
    .collect()
}

async fn person(db: &PgPool, handle: &str) -> Person {
    app::rota::store::people::by_handle(db, handle).await.expect(handle)
}

/// Checks the database holds exactly the good folder.
async fn check_imported(db: &PgPool) {
    let settings = app::rota::store::team::get(db).await.unwrap();
    assert_eq!(settings.lines, 10, "the forced-turns file has ten lines");
    assert_eq!(settings.turns(), 4);

    let people = app::rota::store::people::list(db).await.unwrap();
    let handles: Vec<&str> = people.iter().map(|p| p.fields.handle.as_str()).collect();
    assert_eq!(handles, ["anna", "bea", "cid"], "ningu is no person");
    assert_eq!(
        person(db, "anna").await.fields,
        PersonFields {
            handle: "anna".into(),
            full_name: "Anna Puig".into(),
            extension: Some("201".into()),
            email: Some("anna@example.org".into()),
            colour: "#ff7700".into(),
            desk: Some("table 3".into()),
            groups: vec!["it".into()],
            ideal_load: Some(4),
            max_turns_per_day: None,
            active: true,
            user_id: None,
        }
    );
    let bea = person(db, "bea").await.fields;
    assert_eq!(
        (bea.colour.as_str(), bea.desk.as_deref()),
        ("#000000", None),
        "table -1: no desk"
    );
    let cid = person(db, "cid").await.fields;
    assert_eq!(
        (cid.colour.as_str(), cid.groups.as_slice(), cid.ideal_load, cid.email),
        ("#abc", &["sales".to_string()][..], Some(0), None)
    );

    // Availability, in the words of each file.
    assert_eq!(count(db, "availability").await, 9);
    let anna = app::rota::store::availability::of_person(db, person(db, "anna").await.id)
        .await
        .unwrap();
    let anna: Vec<_> = anna.into_iter().map(|e| e.entry).collect();
    assert_eq!(
        anna,
        [
            {
                let mut e = weekly(Some(0), Some(mask("0011")), "school run");
                e.mandatory = true;
                e
            },
            one_off("2015-01-02", Some(mask("0101")), "r"),
            {
                let mut e = one_off("2026-08-03", Some(mask("1100")), "half a day");
                e.mandatory = false;
                e
            },
        ]
    );
    let bea = app::rota::store::availability::of_person(db, person(db, "bea").await.id)
        .await
        .unwrap();
    let bea: Vec<_> = bea.into_iter().map(|e| e.entry).collect();
    let optional = |mut e: app::rota::rules::data::AvailabilityInput| {
        e.mandatory = false;
        e
    };
    assert_eq!(
        bea,
        [
            optional(weekly(None, Some(mask("1100")), "rather not in the mornings")),
            optional(weekly(Some(2), Some(mask("0001")), "gym")),
            leave("2026-08-03", "2026-08-05", "vacances"),
            leave("2026-08-10", "2026-08-10", "vacances"),
            optional(one_off("2026-12-01", Some(mask("1000")), "dentist")),
        ],
        "no day: every working day; consecutive leave days: one leave"
    );
    let cid = app::rota::store::availability::of_person(db, person(db, "cid").await.id)
        .await
        .unwrap();
    assert_eq!(cid.len(), 1);
    assert_eq!(
        (cid[0].entry.kind, cid[0].entry.weekday, cid[0].entry.turns.clone()),
        (AvailabilityKind::Weekly, Some(4), None),
        "no mask: all day"
    );

    assert_eq!(
        app::rota::store::holidays::all(db).await.unwrap(),
        [
            Holiday {
                day: d("2026-12-25"),
                name: "Nadal".into(),
                kind: HolidayKind::Holiday
            },
            Holiday {
                day: d("2026-12-26"),
                name: "Sant Esteve".into(),
                kind: HolidayKind::Holiday
            },
            Holiday {
                day: d("2027-01-01"),
                name: "Cap d'any".into(),
                kind: HolidayKind::Holiday
            },
        ]
    );

    let seat = |weekday, turn, line, p: Option<&str>| FixedSeat {
        weekday,
        turn,
        line,
        person: p.map(String::from),
    };
    assert_eq!(
        app::rota::store::fixed_turns::all(db).await.unwrap(),
        [
            seat(0, 0, 0, Some("anna")),
            seat(0, 0, 1, None),
            seat(0, 0, 2, Some("bea")),
            seat(0, 1, 0, Some("bea")),
            seat(0, 1, 1, Some("anna")),
            seat(0, 1, 2, None),
            seat(0, 3, 0, Some("cid")),
            seat(0, 3, 1, Some("anna")),
            seat(0, 3, 2, Some("bea")),
            seat(1, 0, 0, Some("bea")),
            seat(1, 0, 1, Some("anna")),
            seat(1, 0, 2, Some("cid")),
        ],
        "ningu keeps a seat empty; festiu, undefined and blanks are no fixed seat"
    );

    let timetables: Vec<(chrono::NaiveDate, String, serde_json::Value)> =
        sqlx::query_as("SELECT week, source, timetable FROM imported_timetables ORDER BY week")
            .fetch_all(db)
            .await
            .unwrap();
    assert_eq!(timetables.len(), 1);
    let (week, source, t) = &timetables[0];
    assert_eq!(
        (*week, source.as_str()),
        (d("2023-08-07"), "graelles/graella-2023-08-07.yaml")
    );
    assert_eq!(t["timetable"]["dl"], json!([["anna", "bea"], ["bea", "ningu"]]));
    assert_eq!(t["timetable"]["dm"][0][0], "cid");
    assert_eq!(t["lines"], json!(["L1", "L2"]));
    assert_eq!(t["days"], json!(["dl", "dm"]));
}

#[tokio::test]
async fn the_command_imports_a_folder_and_a_second_import_changes_nothing() {
    let (db, url) = database().await;
    let folder = Folder::new(&good_files());

    let run = import_cli(&url, &folder.0);
    assert!(run.ok, "import failed:\n{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("Imported:"), "{}", run.stdout);
    assert_eq!(printed_counts(&run.stdout), first_counts(), "{}", run.stdout);
    assert!(!run.stdout.contains("rejected"), "{}", run.stdout);
    assert!(run.stdout.contains("note: persons.yaml: ningu"), "{}", run.stdout);
    check_imported(&db).await;

    let after_first = dump(&db).await;
    let run = import_cli(&url, &folder.0);
    assert!(run.ok, "second import failed:\n{}\n{}", run.stdout, run.stderr);
    assert_eq!(printed_counts(&run.stdout), second_counts(), "{}", run.stdout);
    assert_eq!(dump(&db).await, after_first, "the second import wrote nothing");

    // A coordinator's later edits of fields the files do not set survive a re-import; fields
    // the files set are taken from them again.
    let anna = person(&db, "anna").await;
    let mut edited = anna.fields.clone();
    edited.max_turns_per_day = Some(3);
    edited.full_name = "Anna P.".into();
    app::rota::store::people::update(&db, anna.id, &edited).await.unwrap();
    let run = import_cli(&url, &folder.0);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    let people = printed_counts(&run.stdout)
        .into_iter()
        .find(|(w, _)| w == "people")
        .unwrap();
    assert_eq!(people.1, [0, 1, 2]);
    let anna = person(&db, "anna").await.fields;
    assert_eq!(
        (anna.full_name.as_str(), anna.max_turns_per_day),
        ("Anna Puig", Some(3))
    );
}

#[tokio::test]
async fn a_folder_with_bad_lines_imports_nothing_and_names_each_line() {
    let (db, url) = database().await;
    let before = dump(&db).await;
    let mut files = good_files();
    for (name, text) in files.iter_mut() {
        match *name {
            // Line 7: a mask of three turns for a four-turn day.
            "indisponibilitats.conf" => text.push_str("someone dl 111 # r\n"),
            // Line 3: no reason.
            "oneshot.conf" => text.push_str("bea 2026-12-02 1000\n"),
            // Line 6: a person nobody knows: skipped, but the bad lines still refuse it all.
            "indisponibilitats-vacances.conf" => text.push_str("+ghost 2026-09-01 # x\n"),
            _ => {}
        }
    }
    let folder = Folder::new(&files);
    let run = import_cli(&url, &folder.0);
    assert!(!run.ok, "the import must fail:\n{}", run.stdout);
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(
        out.starts_with("Nothing was imported: 2 line(s) were rejected."),
        "{out}"
    );
    for wanted in [
        "rejected indisponibilitats.conf:7: turn mask '111' has 3 turns, the team has 4",
        "rejected oneshot.conf:3: a reason after '#' is required",
        "skipped indisponibilitats-vacances.conf:6: 'ghost': not in persons.yaml nor in Switchboard",
        "the import was refused",
    ] {
        assert!(out.contains(wanted), "{wanted} missing in:\n{out}");
    }
    assert_eq!(
        dump(&db).await,
        before,
        "nothing at all was written, not even the good lines"
    );
    assert_eq!(count(&db, "people").await, 0);

    // Fixed, it imports.
    let folder = Folder::new(&good_files());
    let run = import_cli(&url, &folder.0);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    check_imported(&db).await;
}

/// A working installation's config.yaml: what the team works with, among keys Switchboard has
/// no use for.
const CONFIG: &str = "\
nTelefons: 10
hours:
- '09:00'
- '10:15'
- '11:30'
- '12:45'
- '14:00'
maximHoresDiariesGeneral: 3
maxOverload: 0
monitoringFile: status.yaml
";

/// The good folder with a config.yaml and with busy lines and a fixed turn of Xavi and Gina, who
/// have left: they are in no persons.yaml and not in Switchboard.
fn files_of_a_real_installation() -> Vec<(&'static str, String)> {
    let mut files = good_files();
    for (name, text) in files.iter_mut() {
        match *name {
            // Line 7.
            "indisponibilitats.conf" => text.push_str("+xavi dl 1100 # left in May\n"),
            // Line 3.
            "oneshot.conf" => text.push_str("+gina 2026-12-02 1000 # dentist\n"),
            // Line 6.
            "indisponibilitats-vacances.conf" => text.push_str("+xavi 2026-09-01 # vacances\n"),
            // Xavi only in the file's own names, on Tuesday's first turn, line 3 (row at line 13).
            "data/forced-turns.yaml" => {
                *text = format!(
                    "names:\n  xavi: Xavi Mas\n{}",
                    text.replace("- [bea, anna, cid]", "- [bea, anna, xavi]")
                )
            }
            _ => {}
        }
    }
    files.push(("config.yaml", CONFIG.into()));
    files
}

#[tokio::test]
async fn entries_of_people_who_left_are_skipped_with_warnings_and_config_values_are_taken() {
    let (db, url) = database().await;
    let folder = Folder::new(&files_of_a_real_installation());
    let run = import_cli(&url, &folder.0);
    assert!(
        run.ok,
        "a real folder imports as it is:\n{}\n{}",
        run.stdout, run.stderr
    );
    for wanted in [
        "skipped indisponibilitats.conf:7: 'xavi': not in persons.yaml nor in Switchboard: entry not imported",
        "skipped oneshot.conf:3: 'gina': not in persons.yaml nor in Switchboard",
        "skipped indisponibilitats-vacances.conf:6: 'xavi': not in persons.yaml nor in Switchboard",
        "skipped data/forced-turns.yaml:13: 'xavi': only in the forced-turns file's own names, not in persons.yaml nor in Switchboard: fixed turn Tue 09:00 line 3 not imported",
        "taken from config.yaml: nTelefons = 10 → phone lines",
        "taken from config.yaml: hours = 09:00 10:15 11:30 12:45 14:00 → turn boundaries",
        "taken from config.yaml: maximHoresDiariesGeneral = 3 → most turns a person takes a day",
        "taken from config.yaml: maxOverload = 0 → most turns above the proportional load",
    ] {
        assert!(run.stdout.contains(wanted), "{wanted} missing in:\n{}", run.stdout);
    }
    let settings = app::rota::store::team::get(&db).await.unwrap();
    assert_eq!(
        (
            settings.lines,
            settings.turns(),
            settings.max_turns_per_day,
            settings.max_overload
        ),
        (10, 4, 3, 0)
    );
    assert_eq!(count(&db, "people").await, 3, "nobody invented");
    let fixed = app::rota::store::fixed_turns::all(&db).await.unwrap();
    assert_eq!(fixed.len(), 11, "the good folder's twelve seats but Xavi's");
    assert!(!fixed.iter().any(|s| (s.weekday, s.turn, s.line) == (1, 0, 2)));

    // Again, through the service: the same warnings, nothing changed.
    let before = dump(&db).await;
    let files: Vec<_> = files_of_a_real_installation()
        .into_iter()
        .map(|(name, text)| app::rota::rules::tomatic::TomaticFile {
            name: name.into(),
            text,
        })
        .collect();
    let mut conn = db.acquire().await.unwrap();
    let report = app::rota::store::tomatic_import::import(&mut conn, &files)
        .await
        .unwrap();
    drop(conn);
    assert!(report.applied && !report.changed_anything(), "{report:?}");
    let skipped: Vec<_> = report
        .warnings
        .iter()
        .map(|w| (w.file.as_str(), w.line, w.person.as_str()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("indisponibilitats.conf", Some(7), "xavi"),
            ("oneshot.conf", Some(3), "gina"),
            ("indisponibilitats-vacances.conf", Some(6), "xavi"),
            ("data/forced-turns.yaml", Some(13), "xavi"),
        ]
    );
    assert_eq!(report.taken.len(), 4, "{:?}", report.taken);
    assert_eq!(dump(&db).await, before);
}

#[tokio::test]
async fn shiftcredit_balances_are_imported_and_those_of_people_who_left_skipped() {
    let (db, url) = database().await;
    let mut files = good_files();
    files.push(("shiftcredit.yaml", "anna: 3\nbea: -2\nxavi: 5\n".into()));
    let folder = Folder::new(&files);
    let run = import_cli(&url, &folder.0);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "skipped shiftcredit.yaml:3: 'xavi': not in persons.yaml nor in Switchboard: balance not imported"
        ),
        "{}",
        run.stdout
    );
    let want = vec![("anna".to_string(), 3), ("bea".to_string(), -2)];
    assert_eq!(app::rota::store::balances::by_handle(&db).await.unwrap(), want);
    let run = import_cli(&url, &folder.0);
    assert!(run.ok);
    assert!(
        printed_counts(&run.stdout).contains(&("balances".to_string(), [0, 0, 2])),
        "{}",
        run.stdout
    );
    assert_eq!(app::rota::store::balances::by_handle(&db).await.unwrap(), want);
}

#[tokio::test]
async fn a_malformed_line_still_refuses_a_folder_with_skipped_entries() {
    let (db, url) = database().await;
    let before = dump(&db).await;
    let mut files = files_of_a_real_installation();
    for (name, text) in files.iter_mut() {
        if *name == "config.yaml" {
            text.push_str("maxOverload: lots\n");
            *text = text.replacen("maxOverload: 0\n", "", 1);
        }
    }
    let folder = Folder::new(&files);
    let run = import_cli(&url, &folder.0);
    assert!(!run.ok, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("rejected config.yaml:10: maxOverload: 'lots' is not a whole number from 0 to 50"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("skipped oneshot.conf:3: 'gina'"), "{}", run.stdout);
    assert_eq!(dump(&db).await, before, "nothing written");
}

#[tokio::test]
async fn a_line_the_stored_data_refuses_also_stops_the_whole_import() {
    let (db, url) = database().await;
    // Someone already has anna's extension.
    add_person(
        &db,
        PersonFields {
            extension: Some("201".into()),
            ..crate::common::rota::person("zed")
        },
    )
    .await;
    let before = dump(&db).await;
    let folder = Folder::new(&good_files());
    let run = import_cli(&url, &folder.0);
    assert!(!run.ok, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("rejected persons.yaml:2: extension: another person has this extension"),
        "{}",
        run.stdout
    );
    assert_eq!(dump(&db).await, before, "nothing half-imported");
}

#[tokio::test]
async fn the_command_refuses_a_folder_without_tomatic_files() {
    let (db, url) = database().await;
    let before = dump(&db).await;
    let folder = Folder::new(&[("notes.txt", "nothing here\n".into())]);
    let run = import_cli(&url, &folder.0);
    assert!(!run.ok);
    assert!(run.stderr.contains("no Tomàtic files found"), "{}", run.stderr);
    let run = import_cli(&url, &folder.0.join("missing"));
    assert!(!run.ok);
    assert!(run.stderr.contains("is not a folder"), "{}", run.stderr);
    assert_eq!(dump(&db).await, before);
}

#[tokio::test]
async fn the_upload_form_imports_the_same_files_and_twice_changes_nothing() {
    let app = TestApp::spawn().await;
    let pw = app.user("root", &[Role::Admin]).await;
    let root = Browser::signed_in(&app, "root", &pw).await;
    let files: Vec<_> = good_files()
        .into_iter()
        .map(|(name, text)| json!({"name": name, "text": text}))
        .collect();

    let (status, res) = root.call("/api/rota/import-tomatic", json!({ "files": files })).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{res:?}");
    let report: ImportReport = serde_json::from_value(res.unwrap()).unwrap();
    assert!(report.applied && report.rejected.is_empty(), "{report:?}");
    assert_eq!(report_counts(&report), first_counts());
    check_imported(&app.db).await;

    let after_first = dump(&app.db).await;
    let (status, res) = root.call("/api/rota/import-tomatic", json!({ "files": files })).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let report: ImportReport = serde_json::from_value(res.unwrap()).unwrap();
    assert!(report.applied && !report.changed_anything(), "{report:?}");
    assert_eq!(report_counts(&report), second_counts());
    assert_eq!(dump(&app.db).await, after_first);

    // A bad line in an upload: a report of what was refused, and nothing written.
    let mut bad = files.clone();
    bad.push(json!({"name": "oneshot.conf", "text": "bea 2026-12-02 1000\n"}));
    bad.retain(|f| f["name"] != "oneshot.conf" || f["text"] != ONESHOT);
    let (status, res) = root.call("/api/rota/import-tomatic", json!({ "files": bad })).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let report: ImportReport = serde_json::from_value(res.unwrap()).unwrap();
    assert!(!report.applied);
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert_eq!(
        (report.rejected[0].file.as_str(), report.rejected[0].line),
        ("oneshot.conf", Some(1))
    );
    assert_eq!(dump(&app.db).await, after_first);
}
