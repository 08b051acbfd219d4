//! The rota's SQL (`app::{rota::store::team, rota::store::people, rota::store::availability, rota::store::holidays, rota::store::fixed_turns}`) against a
//! fresh database each: every rule the tables and the queries keep, even when the domain checks
//! are bypassed.

use crate::common::rota::*;
use app::rota::rules::data::{FixedSeat, Holiday, HolidayKind, PersonFields, TeamSettings};
use app::{
    rota::store::availability, rota::store::fixed_turns, rota::store::holidays, rota::store::people, rota::store::team,
    shell::store::DbError,
};
use server::testing::fresh_db;
use sqlx::PgPool;

fn conflict<T: std::fmt::Debug>(r: Result<T, DbError>) -> String {
    match r {
        Err(DbError::Conflict(m)) => m,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn seat(weekday: u8, turn: u32, line: u32, person: Option<&str>) -> FixedSeat {
    FixedSeat {
        weekday,
        turn,
        line,
        person: person.map(String::from),
    }
}

async fn user(db: &PgPool, name: &str) -> i64 {
    app::accounts::store::users::insert(
        &mut db.acquire().await.unwrap(),
        name,
        name,
        "not-a-real-hash",
        &[app::accounts::rules::roles::Role::Agent],
    )
    .await
    .expect("insert user")
}

#[tokio::test]
async fn people_are_stored_and_read_back() {
    let db = fresh_db().await;
    let uid = user(&db, "anna").await;
    let fields = PersonFields {
        extension: Some("201".into()),
        email: Some("anna@example.org".into()),
        desk: Some("table 3".into()),
        groups: vec!["it".into(), "sales".into()],
        max_turns_per_day: Some(3),
        user_id: Some(uid),
        ..person("anna")
    };
    let id = add_person(&db, fields.clone()).await;
    let p = people::by_id(&db, id).await.unwrap();
    assert_eq!(p.fields, fields.clone().normalized().unwrap());
    assert_eq!(p.username.as_deref(), Some("anna"));
    assert_eq!(people::by_handle(&db, "anna").await.unwrap().id, id);
    assert_eq!(people::of_user(&db, uid).await.unwrap().map(|p| p.id), Some(id));
    assert!(matches!(people::by_handle(&db, "nobody").await, Err(DbError::NotFound)));

    let bea = add_person(&db, person("bea")).await;
    let off = add_person(
        &db,
        PersonFields {
            active: false,
            ..person("aaron")
        },
    )
    .await;
    let order: Vec<i64> = people::list(&db).await.unwrap().iter().map(|p| p.id).collect();
    assert_eq!(order, [id, bea, off], "active first, then by handle");
    let it: Vec<String> = people::in_group(&db, "it")
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.fields.handle)
        .collect();
    assert_eq!(it, ["anna"]);
}

#[tokio::test]
async fn duplicate_handle_and_extension_are_conflicts_naming_the_field_and_write_nothing() {
    let db = fresh_db().await;
    let anna = add_person(
        &db,
        PersonFields {
            extension: Some("201".into()),
            ..person("anna")
        },
    )
    .await;
    let before = dump(&db).await;

    let m = conflict(
        people::insert(
            &db,
            &PersonFields {
                full_name: "Another Anna".into(),
                ..person("anna")
            },
        )
        .await,
    );
    assert!(m.starts_with("handle:"), "{m}");
    let m = conflict(
        people::insert(
            &db,
            &PersonFields {
                extension: Some("201".into()),
                ..person("bea")
            },
        )
        .await,
    );
    assert!(m.starts_with("extension:"), "{m}");
    assert_eq!(dump(&db).await, before, "refused inserts wrote nothing");

    // An update that would take another person's handle or extension is refused too.
    let bea = add_person(
        &db,
        PersonFields {
            extension: Some("202".into()),
            ..person("bea")
        },
    )
    .await;
    let before = dump(&db).await;
    let mut b = people::by_id(&db, bea).await.unwrap().fields;
    b.extension = Some("201".into());
    let m = conflict(people::update(&db, bea, &b).await);
    assert!(m.starts_with("extension:"), "{m}");
    b.extension = None;
    b.handle = "anna".into();
    let m = conflict(people::update(&db, bea, &b).await);
    assert!(m.starts_with("handle:"), "{m}");
    assert_eq!(dump(&db).await, before);

    // Without an extension, any number of people may be stored.
    add_person(&db, person("cid")).await;
    add_person(&db, person("dan")).await;
    assert_eq!(count(&db, "people").await, 4);
    assert!(matches!(
        people::update(&db, 999_999, &person("zed")).await,
        Err(DbError::NotFound)
    ));
    assert_eq!(people::by_id(&db, anna).await.unwrap().fields.handle, "anna");
}

#[tokio::test]
async fn an_account_is_linked_to_one_person_only() {
    let db = fresh_db().await;
    let uid = user(&db, "anna").await;
    add_person(
        &db,
        PersonFields {
            user_id: Some(uid),
            ..person("anna")
        },
    )
    .await;
    let bea = add_person(&db, person("bea")).await;
    let before = dump(&db).await;
    let m = conflict(
        people::insert(
            &db,
            &PersonFields {
                user_id: Some(uid),
                ..person("cid")
            },
        )
        .await,
    );
    assert!(m.starts_with("account:"), "{m}");
    let m = conflict(
        people::update(
            &db,
            bea,
            &PersonFields {
                user_id: Some(uid),
                ..person("bea")
            },
        )
        .await,
    );
    assert!(m.starts_with("account:"), "{m}");
    assert_eq!(dump(&db).await, before);
}

#[tokio::test]
async fn the_same_availability_entry_is_recorded_once() {
    let db = fresh_db().await;
    let anna = add_person(&db, person("anna")).await;
    let e = weekly(Some(0), Some(mask("0011")), "school run").normalized(4).unwrap();
    let id = availability::insert(&db, anna, &e)
        .await
        .unwrap()
        .expect("first insert");
    assert_eq!(
        availability::insert(&db, anna, &e).await.unwrap(),
        None,
        "same entry again"
    );
    assert_eq!(count(&db, "availability").await, 1);

    // Any difference makes it another entry.
    let other_reason = weekly(Some(0), Some(mask("0011")), "gym").normalized(4).unwrap();
    let optional = weekly(Some(0), Some(mask("0011")), "school run");
    let optional = app::rota::rules::data::AvailabilityInput {
        mandatory: false,
        ..optional
    }
    .normalized(4)
    .unwrap();
    let every_day = weekly(None, Some(mask("0011")), "school run").normalized(4).unwrap();
    let all_day = weekly(Some(0), None, "school run").normalized(4).unwrap();
    for e in [&other_reason, &optional, &every_day, &all_day] {
        assert!(availability::insert(&db, anna, e).await.unwrap().is_some(), "{e:?}");
    }
    // Whole-day and dated entries are deduplicated too (NULL columns included).
    for e in [
        one_off("2026-12-01", None, "dentist"),
        leave("2026-08-03", "2026-08-14", "holidays"),
    ] {
        let e = e.normalized(4).unwrap();
        assert!(availability::insert(&db, anna, &e).await.unwrap().is_some());
        assert_eq!(availability::insert(&db, anna, &e).await.unwrap(), None);
    }
    assert_eq!(count(&db, "availability").await, 7);

    let got = availability::get(&db, id).await.unwrap();
    assert_eq!((got.person_id, got.handle.as_str()), (anna, "anna"));
    assert_eq!(got.entry, e);
    assert_eq!(availability::of_person(&db, anna).await.unwrap().len(), 7);
    availability::delete(&db, id).await.unwrap();
    assert!(matches!(availability::delete(&db, id).await, Err(DbError::NotFound)));
    assert!(matches!(availability::get(&db, id).await, Err(DbError::NotFound)));
}

#[tokio::test]
async fn the_table_refuses_backwards_leave_and_empty_reasons_without_domain_checks() {
    let db = fresh_db().await;
    let anna = add_person(&db, person("anna")).await;
    let before = dump(&db).await;
    // Not normalized: straight to SQL.
    let backwards = leave("2026-08-14", "2026-08-03", "holidays");
    assert!(matches!(
        availability::insert(&db, anna, &backwards).await,
        Err(DbError::Sqlx(_))
    ));
    for reason in ["", "   "] {
        assert!(matches!(
            availability::insert(&db, anna, &weekly(Some(1), None, reason)).await,
            Err(DbError::Sqlx(_))
        ));
    }
    // A one-off spanning days, a weekly entry with a date and a leave with a turn mask are
    // no shape the table takes either.
    let mut spanning = one_off("2026-12-01", None, "x");
    spanning.date_to = Some(d("2026-12-02"));
    let mut dated_weekly = weekly(Some(1), None, "x");
    dated_weekly.date_from = Some(d("2026-12-01"));
    let mut masked_leave = leave("2026-08-03", "2026-08-04", "x");
    masked_leave.turns = Some(mask("1100"));
    for e in [spanning, dated_weekly, masked_leave] {
        assert!(
            matches!(availability::insert(&db, anna, &e).await, Err(DbError::Sqlx(_))),
            "{e:?}"
        );
    }
    assert_eq!(dump(&db).await, before, "nothing was written");
}

#[tokio::test]
async fn settings_are_saved_only_when_stored_masks_and_fixed_people_still_fit() {
    let db = fresh_db().await;
    let defaults = team::get(&db).await.unwrap();
    assert_eq!(defaults, TeamSettings::default());
    let anna = add_person(&db, person("anna")).await;
    availability::insert(
        &db,
        anna,
        &weekly(Some(0), Some(mask("0011")), "school").normalized(4).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    // A whole-day entry fits any number of turns.
    availability::insert(&db, anna, &weekly(Some(1), None, "gym").normalized(4).unwrap())
        .await
        .unwrap()
        .unwrap();
    let before = dump(&db).await;

    let three_turns = TeamSettings {
        turn_boundaries: ["09:00", "11:00", "13:00", "15:00"].map(String::from).to_vec(),
        ..TeamSettings::default()
    }
    .normalized()
    .unwrap();
    let m = conflict(team::save(&db, &three_turns).await);
    assert!(m.contains("1 availability entries") && m.contains("3 turns"), "{m}");
    assert_eq!(dump(&db).await, before, "nothing changed");

    // Once the masked entry is gone the same settings are taken.
    let masked = availability::of_person(&db, anna).await.unwrap();
    let masked = masked.iter().find(|e| e.entry.turns.is_some()).unwrap();
    availability::delete(&db, masked.id).await.unwrap();
    team::save(&db, &three_turns).await.unwrap();
    assert_eq!(team::get(&db).await.unwrap(), three_turns);

    // A person fixed in the last turn, line or a working day blocks removing it.
    fixed_turns::set(&db, &seat(4, 2, 7, None), Some(anna)).await.unwrap();
    fixed_turns::set(&db, &seat(0, 0, 0, None), None).await.unwrap();
    let before = dump(&db).await;
    let fewer = |f: fn(&mut TeamSettings)| {
        let mut s = three_turns.clone();
        f(&mut s);
        s.normalized().unwrap()
    };
    for s in [
        fewer(|s| s.lines = 7),
        fewer(|s| s.turn_boundaries.truncate(3)),
        fewer(|s| s.working_days = vec![0, 1, 2, 3]),
    ] {
        let m = conflict(team::save(&db, &s).await);
        assert!(m.contains("1 fixed turns hold people"), "{m}");
        assert_eq!(dump(&db).await, before, "nothing changed for {s:?}");
    }

    // Other changes are taken; "nobody" seats that no longer exist go with their line.
    fixed_turns::clear(&db, 4, 2, 7).await.unwrap();
    fixed_turns::set(&db, &seat(4, 2, 7, None), None).await.unwrap();
    let s = fewer(|s| {
        s.lines = 7;
        s.time_zone = "Europe/Lisbon".into();
        s.max_turns_per_day = 3;
    });
    team::save(&db, &s).await.unwrap();
    assert_eq!(team::get(&db).await.unwrap(), s);
    assert_eq!(fixed_turns::all(&db).await.unwrap(), [seat(0, 0, 0, None)]);
}

#[tokio::test]
async fn lines_are_added_and_the_last_removed_unless_someone_is_fixed_on_it() {
    let db = fresh_db().await;
    let anna = add_person(&db, person("anna")).await;
    assert_eq!(fixed_turns::add_line(&db).await.unwrap(), 9);
    assert_eq!(team::get(&db).await.unwrap().lines, 9);

    fixed_turns::set(&db, &seat(2, 1, 8, None), Some(anna)).await.unwrap();
    fixed_turns::set(&db, &seat(3, 1, 8, None), Some(anna)).await.unwrap();
    let before = dump(&db).await;
    let m = conflict(fixed_turns::remove_line(&db).await);
    assert!(m.starts_with("lines:"), "{m}");
    assert!(m.contains("line 9 has 2 fixed turns"), "{m}");
    assert_eq!(dump(&db).await, before, "refused: nothing changed");

    // A "nobody" seat does not hold the line; it goes with it.
    fixed_turns::clear(&db, 2, 1, 8).await.unwrap();
    fixed_turns::set(&db, &seat(3, 1, 8, None), None).await.unwrap();
    fixed_turns::set(&db, &seat(3, 1, 7, None), Some(anna)).await.unwrap();
    assert_eq!(fixed_turns::remove_line(&db).await.unwrap(), 8);
    assert_eq!(team::get(&db).await.unwrap().lines, 8);
    assert_eq!(
        fixed_turns::all(&db).await.unwrap(),
        [seat(3, 1, 7, Some("anna"))],
        "the seats of line 9 are gone"
    );
    let m = conflict(fixed_turns::remove_line(&db).await);
    assert!(m.contains("line 8 has 1 fixed turn:"), "{m}");

    // Down to one line, never none; the empty-seat limit follows the lines.
    fixed_turns::clear(&db, 3, 1, 7).await.unwrap();
    for expected in (1..8).rev() {
        assert_eq!(fixed_turns::remove_line(&db).await.unwrap(), expected);
    }
    let s = team::get(&db).await.unwrap();
    assert_eq!((s.lines, s.max_empty_seats), (1, 1));
    let m = conflict(fixed_turns::remove_line(&db).await);
    assert!(m.contains("at least one line"), "{m}");
    assert_eq!(team::get(&db).await.unwrap().lines, 1);
}

#[tokio::test]
async fn holidays_upsert_says_created_updated_or_unchanged() {
    let db = fresh_db().await;
    let xmas = Holiday {
        day: d("2026-12-25"),
        name: "Nadal".into(),
        kind: HolidayKind::Holiday,
    };
    assert_eq!(holidays::upsert(&db, &xmas).await.unwrap(), holidays::Upserted::Created);
    assert_eq!(
        holidays::upsert(&db, &xmas).await.unwrap(),
        holidays::Upserted::Unchanged
    );
    let renamed = Holiday {
        name: "Christmas".into(),
        ..xmas.clone()
    };
    assert_eq!(
        holidays::upsert(&db, &renamed).await.unwrap(),
        holidays::Upserted::Updated
    );
    let closed = Holiday {
        kind: HolidayKind::NoService,
        ..renamed.clone()
    };
    assert_eq!(
        holidays::upsert(&db, &closed).await.unwrap(),
        holidays::Upserted::Updated
    );
    assert_eq!(
        holidays::upsert(&db, &closed).await.unwrap(),
        holidays::Upserted::Unchanged
    );
    assert_eq!(count(&db, "holidays").await, 1);

    let new_year = Holiday {
        day: d("2027-01-01"),
        name: "Cap d'any".into(),
        kind: HolidayKind::Holiday,
    };
    holidays::upsert(&db, &new_year).await.unwrap();
    assert_eq!(holidays::all(&db).await.unwrap(), [closed.clone(), new_year.clone()]);
    assert_eq!(
        holidays::between(&db, d("2026-01-01"), d("2026-12-31")).await.unwrap(),
        [closed]
    );
    assert_eq!(
        holidays::between(&db, d("2026-12-26"), d("2027-01-01")).await.unwrap(),
        [new_year]
    );

    // The table refuses a blank name even without the domain check.
    let before = dump(&db).await;
    let blank = Holiday {
        day: d("2026-05-01"),
        name: "  ".into(),
        kind: HolidayKind::Holiday,
    };
    assert!(matches!(holidays::upsert(&db, &blank).await, Err(DbError::Sqlx(_))));
    assert_eq!(dump(&db).await, before);

    holidays::delete(&db, d("2026-12-25")).await.unwrap();
    assert!(matches!(
        holidays::delete(&db, d("2026-12-25")).await,
        Err(DbError::NotFound)
    ));
    assert_eq!(count(&db, "holidays").await, 1);
}

#[tokio::test]
async fn fixed_seats_hold_a_person_or_nobody_and_can_be_freed() {
    let db = fresh_db().await;
    let anna = add_person(&db, person("anna")).await;
    let bea = add_person(&db, person("bea")).await;
    assert!(fixed_turns::all(&db).await.unwrap().is_empty());

    fixed_turns::set(&db, &seat(0, 1, 2, None), Some(anna)).await.unwrap();
    fixed_turns::set(&db, &seat(0, 0, 0, None), None).await.unwrap();
    fixed_turns::set(&db, &seat(4, 3, 7, None), Some(bea)).await.unwrap();
    assert_eq!(
        fixed_turns::all(&db).await.unwrap(),
        [
            seat(0, 0, 0, None),
            seat(0, 1, 2, Some("anna")),
            seat(4, 3, 7, Some("bea"))
        ],
        "ordered by weekday, turn, line; the nobody seat has no person"
    );
    let nulls: i64 = sqlx::query_scalar("SELECT count(*) FROM fixed_turns WHERE person_id IS NULL")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(nulls, 1, "nobody is stored as a NULL person");

    // Setting a seat again replaces who holds it.
    fixed_turns::set(&db, &seat(0, 1, 2, None), Some(bea)).await.unwrap();
    fixed_turns::set(&db, &seat(0, 0, 0, None), Some(anna)).await.unwrap();
    fixed_turns::set(&db, &seat(4, 3, 7, None), None).await.unwrap();
    assert_eq!(
        fixed_turns::all(&db).await.unwrap(),
        [
            seat(0, 0, 0, Some("anna")),
            seat(0, 1, 2, Some("bea")),
            seat(4, 3, 7, None)
        ]
    );
    assert_eq!(count(&db, "fixed_turns").await, 3);

    fixed_turns::clear(&db, 0, 1, 2).await.unwrap();
    fixed_turns::clear(&db, 0, 1, 2).await.unwrap(); // freeing a free seat is fine
    assert_eq!(
        fixed_turns::all(&db).await.unwrap(),
        [seat(0, 0, 0, Some("anna")), seat(4, 3, 7, None)]
    );
}

#[tokio::test]
async fn in_week_gives_weekly_entries_and_dated_ones_touching_the_week_of_people_on_the_rota() {
    let db = fresh_db().await;
    let anna = add_person(&db, person("anna")).await;
    let off = add_person(
        &db,
        PersonFields {
            active: false,
            ..person("off")
        },
    )
    .await;
    let unloaded = add_person(
        &db,
        PersonFields {
            ideal_load: None,
            ..person("unloaded")
        },
    )
    .await;
    let zero = add_person(
        &db,
        PersonFields {
            ideal_load: Some(0),
            ..person("zero")
        },
    )
    .await;
    // The week of Monday 2026-11-23 .. Sunday 2026-11-29.
    let monday = d("2026-11-23");
    let inside = [
        weekly(Some(0), None, "w-monday"),
        weekly(None, Some(mask("1000")), "w-every-day"),
        weekly(Some(5), None, "w-saturday"),
        one_off("2026-11-23", None, "o-monday"),
        one_off("2026-11-29", None, "o-sunday"),
        leave("2026-11-01", "2026-11-23", "l-ends-monday"),
        leave("2026-11-29", "2026-12-05", "l-starts-sunday"),
        leave("2026-11-01", "2026-12-31", "l-spans-week"),
    ];
    let outside = [
        one_off("2026-11-22", None, "o-sunday-before"),
        one_off("2026-11-30", None, "o-monday-after"),
        leave("2026-11-01", "2026-11-22", "l-ends-before"),
        leave("2026-11-30", "2026-12-05", "l-starts-after"),
    ];
    for e in inside.iter().chain(outside.iter()) {
        availability::insert(&db, anna, &e.clone().normalized(4).unwrap())
            .await
            .unwrap()
            .unwrap();
    }
    for (id, reason) in [(off, "inactive"), (unloaded, "no-load"), (zero, "zero-load")] {
        availability::insert(&db, id, &weekly(Some(0), None, reason))
            .await
            .unwrap()
            .unwrap();
        availability::insert(&db, id, &one_off("2026-11-24", None, reason))
            .await
            .unwrap()
            .unwrap();
    }

    let got = availability::in_week(&db, monday).await.unwrap();
    let mut reasons: Vec<&str> = got.iter().map(|e| e.entry.reason.as_str()).collect();
    reasons.sort();
    let mut expected: Vec<&str> = inside
        .iter()
        .map(|e| e.reason.as_str())
        .chain(["zero-load", "zero-load"])
        .collect();
    expected.sort();
    assert_eq!(
        reasons, expected,
        "an ideal load of 0 is still on the rota; inactive and unloaded people are not"
    );
    assert!(got.iter().all(|e| e.person_id == anna || e.person_id == zero));
    let handles: Vec<&str> = got.iter().map(|e| e.handle.as_str()).collect();
    let mut sorted = handles.clone();
    sorted.sort();
    assert_eq!(handles, sorted, "ordered by handle");

    // The next week sees the weekly entries and what reaches into it.
    let next = availability::in_week(&db, d("2026-11-30")).await.unwrap();
    let mut reasons: Vec<&str> = next
        .iter()
        .filter(|e| e.person_id == anna)
        .map(|e| e.entry.reason.as_str())
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "l-spans-week",
            "l-starts-after",
            "l-starts-sunday",
            "o-monday-after",
            "w-every-day",
            "w-monday",
            "w-saturday"
        ]
    );
}
