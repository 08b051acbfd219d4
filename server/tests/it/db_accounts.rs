//! The database layer (`app::{accounts::store::users, accounts::store::tokens, accounts::store::login_failures}`) and the account operations
//! built on it, against a fresh database each.
use app::accounts::rules::roles::Role;
use app::accounts::rules::tokens::Scope;
use app::{accounts::store::login_failures, accounts::store::tokens, accounts::store::users, shell::store::DbError};
use server::testing::fresh_db;
use sqlx::PgPool;

async fn add(db: &PgPool, name: &str, roles: &[Role]) -> i64 {
    users::insert(
        &mut db.acquire().await.unwrap(),
        name,
        &name.to_uppercase(),
        "not-a-real-hash",
        roles,
    )
    .await
    .expect("insert user")
}

async fn epoch(db: &PgPool, id: i64) -> i32 {
    sqlx::query_scalar("SELECT session_epoch FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn users_insert_get_list_and_count() {
    let db = fresh_db().await;
    assert_eq!(users::count(&db).await.unwrap(), 0);
    let bea = add(&db, "bea", &[Role::Manager, Role::Agent]).await;
    let abe = add(&db, "abe", &[Role::Admin]).await;
    assert_eq!(users::count(&db).await.unwrap(), 2);

    let u = users::get(&db, bea).await.unwrap();
    assert_eq!(
        (u.username.as_str(), u.display_name.as_str(), u.active),
        ("bea", "BEA", true)
    );
    assert_eq!(u.roles, vec![Role::Agent, Role::Manager], "roles come back sorted");
    assert!(matches!(users::get(&db, 999_999).await, Err(DbError::NotFound)));

    assert_eq!(users::id_by_username(&db, "abe").await.unwrap(), abe);
    assert!(matches!(
        users::id_by_username(&db, "nobody").await,
        Err(DbError::NotFound)
    ));

    // Active users first, each group by name.
    add(&db, "cid", &[Role::Agent]).await;
    add(&db, "aaron", &[Role::Admin]).await;
    users::set_active(&mut db.acquire().await.unwrap(), abe, false)
        .await
        .unwrap();
    let names: Vec<String> = users::list(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["aaron", "bea", "cid", "abe"]);
}

#[tokio::test]
async fn duplicate_names_are_a_conflict_and_the_schema_guards_the_rest() {
    let db = fresh_db().await;
    add(&db, "bea", &[Role::Agent]).await;
    match users::insert(&mut db.acquire().await.unwrap(), "bea", "Other", "h", &[Role::Manager]).await {
        Err(DbError::Conflict(m)) => assert!(m.contains("already exists"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Below the domain checks, the table still refuses names that are not lowercase.
    assert!(matches!(
        users::insert(&mut db.acquire().await.unwrap(), "Bea2", "Bea", "h", &[Role::Agent]).await,
        Err(DbError::Sqlx(_))
    ));
    assert_eq!(users::count(&db).await.unwrap(), 1);
}

#[tokio::test]
async fn credentials_and_session_user_follow_the_epoch() {
    let db = fresh_db().await;
    let id = add(&db, "bea", &[Role::Agent]).await;
    let c = users::credentials(&db, "bea").await.unwrap().unwrap();
    assert_eq!(
        (c.id, c.password_hash.as_str(), c.active, c.session_epoch),
        (id, "not-a-real-hash", true, 0)
    );
    assert!(users::credentials(&db, "nobody").await.unwrap().is_none());

    let me = users::session_user(&db, id, 0).await.unwrap().unwrap();
    assert_eq!(
        (me.id, me.username.as_str(), me.roles.clone()),
        (id, "bea", vec![Role::Agent])
    );
    assert!(
        users::session_user(&db, id, 1).await.unwrap().is_none(),
        "a session of another epoch"
    );
    assert!(users::session_user(&db, 999_999, 0).await.unwrap().is_none());

    // A new password ends the sessions.
    users::set_password(&mut db.acquire().await.unwrap(), id, "new-hash")
        .await
        .unwrap();
    assert_eq!(epoch(&db, id).await, 1);
    assert!(users::session_user(&db, id, 0).await.unwrap().is_none());
    assert!(users::session_user(&db, id, 1).await.unwrap().is_some());
    assert_eq!(
        users::credentials(&db, "bea").await.unwrap().unwrap().password_hash,
        "new-hash"
    );
    assert!(matches!(
        users::set_password(&mut db.acquire().await.unwrap(), 999_999, "h").await,
        Err(DbError::NotFound)
    ));

    // Deactivating ends them too; reactivating does not revive them.
    users::set_active(&mut db.acquire().await.unwrap(), id, false)
        .await
        .unwrap();
    assert_eq!(epoch(&db, id).await, 2);
    assert!(
        users::session_user(&db, id, 2).await.unwrap().is_none(),
        "inactive users have no session"
    );
    assert!(!users::credentials(&db, "bea").await.unwrap().unwrap().active);
    users::set_active(&mut db.acquire().await.unwrap(), id, true)
        .await
        .unwrap();
    assert_eq!(epoch(&db, id).await, 2, "reactivation leaves the epoch");
    assert!(users::session_user(&db, id, 1).await.unwrap().is_none());
    assert!(users::session_user(&db, id, 2).await.unwrap().is_some());
    assert!(matches!(
        users::set_active(&mut db.acquire().await.unwrap(), 999_999, true).await,
        Err(DbError::NotFound)
    ));
}

#[tokio::test]
async fn the_last_active_admin_is_protected() {
    let db = fresh_db().await;
    let root = add(&db, "root", &[Role::Admin]).await;
    let bea = add(&db, "bea", &[Role::Agent]).await;

    assert!(matches!(
        users::set_roles(&mut db.acquire().await.unwrap(), root, &[Role::Agent]).await,
        Err(DbError::Conflict(_))
    ));
    assert!(matches!(
        users::set_roles(&mut db.acquire().await.unwrap(), root, &[]).await,
        Err(DbError::Conflict(_))
    ));
    assert!(matches!(
        users::set_active(&mut db.acquire().await.unwrap(), root, false).await,
        Err(DbError::Conflict(_))
    ));
    let u = users::get(&db, root).await.unwrap();
    assert_eq!((u.roles, u.active), (vec![Role::Admin], true));
    assert_eq!(epoch(&db, root).await, 0);

    // Keeping the role while changing the others is fine; so is any change to non-admins.
    users::set_roles(&mut db.acquire().await.unwrap(), root, &[Role::Admin, Role::Manager])
        .await
        .unwrap();
    users::set_roles(&mut db.acquire().await.unwrap(), bea, &[Role::Manager])
        .await
        .unwrap();
    users::set_active(&mut db.acquire().await.unwrap(), bea, false)
        .await
        .unwrap();
    assert!(matches!(
        users::set_roles(&mut db.acquire().await.unwrap(), 999_999, &[Role::Agent]).await,
        Err(DbError::NotFound)
    ));
    users::set_roles(
        &mut db.acquire().await.unwrap(),
        bea,
        &[Role::Manager, Role::Agent, Role::Manager],
    )
    .await
    .unwrap();
    let stored: Vec<String> = sqlx::query_scalar("SELECT roles FROM users WHERE id = $1")
        .bind(bea)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stored, ["agent", "manager"], "roles are stored as a set");

    // An inactive admin does not count as another admin.
    users::set_roles(&mut db.acquire().await.unwrap(), bea, &[Role::Admin])
        .await
        .unwrap();
    assert!(matches!(
        users::set_roles(&mut db.acquire().await.unwrap(), root, &[Role::Agent]).await,
        Err(DbError::Conflict(_))
    ));
    assert!(matches!(
        users::set_active(&mut db.acquire().await.unwrap(), root, false).await,
        Err(DbError::Conflict(_))
    ));

    // An active second admin does.
    users::set_active(&mut db.acquire().await.unwrap(), bea, true)
        .await
        .unwrap();
    users::set_roles(&mut db.acquire().await.unwrap(), root, &[Role::Agent])
        .await
        .unwrap();
    assert!(matches!(
        users::set_active(&mut db.acquire().await.unwrap(), bea, false).await,
        Err(DbError::Conflict(_))
    ));
    users::set_roles(&mut db.acquire().await.unwrap(), root, &[Role::Admin])
        .await
        .unwrap();
    users::set_active(&mut db.acquire().await.unwrap(), bea, false)
        .await
        .unwrap();
    assert!(matches!(
        users::set_active(&mut db.acquire().await.unwrap(), root, false).await,
        Err(DbError::Conflict(_))
    ));
}

#[tokio::test]
async fn concurrent_demotions_of_two_admins_leave_one() {
    let db = fresh_db().await;
    let a = add(&db, "anna", &[Role::Admin]).await;
    let b = add(&db, "bert", &[Role::Admin]).await;
    let (ra, rb) = tokio::join!(
        app::accounts::service::set_roles(&db, &app::shell::service::Actor::Operator, a, &[Role::Agent]),
        app::accounts::service::set_roles(&db, &app::shell::service::Actor::Operator, b, &[Role::Agent])
    );
    let ok = [ra.is_ok(), rb.is_ok()].iter().filter(|x| **x).count();
    assert_eq!(ok, 1, "exactly one demotion wins: {ra:?} {rb:?}");
    let loser = if ra.is_err() { ra } else { rb };
    assert!(
        matches!(loser, Err(app::shell::service::ServiceError::Conflict(_))),
        "the other is refused as a conflict, not a deadlock: {loser:?}"
    );
    let admins: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE active AND 'admin' = ANY(roles)")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(admins, 1);
}

#[tokio::test]
async fn tokens_insert_list_revoke_and_authenticate() {
    let db = fresh_db().await;
    let root = add(&db, "root", &[Role::Admin]).await;
    let first = tokens::insert(
        &mut db.acquire().await.unwrap(),
        "pbx",
        &[Scope::Pbx],
        "hash-1",
        "sb_aaaaaa",
        Some(root),
    )
    .await
    .unwrap();
    let second = tokens::insert(
        &mut db.acquire().await.unwrap(),
        "prom",
        &[Scope::Metrics, Scope::Pbx, Scope::Metrics],
        "hash-2",
        "sb_bbbbbb",
        None,
    )
    .await
    .unwrap();
    assert!(matches!(
        tokens::insert(
            &mut db.acquire().await.unwrap(),
            "again",
            &[Scope::Pbx],
            "hash-1",
            "sb_aaaaaa",
            None
        )
        .await,
        Err(DbError::Conflict(_))
    ));

    let list = tokens::list(&db).await.unwrap();
    assert_eq!(
        list.iter().map(|t| t.id).collect::<Vec<_>>(),
        [second, first],
        "newest first"
    );
    assert_eq!(list[1].created_by.as_deref(), Some("root"));
    assert_eq!(list[0].created_by, None);
    assert_eq!(
        list[0].scopes,
        vec![Scope::Pbx, Scope::Metrics],
        "scopes are stored as a set"
    );
    assert_eq!(list[1].prefix, "sb_aaaaaa");
    assert!(list.iter().all(|t| t.last_used_at.is_none() && t.revoked_at.is_none()));

    let holder = tokens::authenticate(&db, "hash-1").await.unwrap().expect("known token");
    assert_eq!(
        (holder.id, holder.name.as_str(), holder.scopes.clone()),
        (first, "pbx", vec![Scope::Pbx])
    );
    assert!(tokens::authenticate(&db, "no-such-hash").await.unwrap().is_none());
    assert!(
        tokens::authenticate(&db, "sb_aaaaaa").await.unwrap().is_none(),
        "the prefix is not the token"
    );
    let used = tokens::list(&db)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.id == first)
        .unwrap();
    assert!(used.last_used_at.is_some());

    tokens::revoke(&mut db.acquire().await.unwrap(), first).await.unwrap();
    assert!(
        matches!(
            tokens::revoke(&mut db.acquire().await.unwrap(), first).await,
            Err(DbError::NotFound)
        ),
        "already revoked"
    );
    assert!(matches!(
        tokens::revoke(&mut db.acquire().await.unwrap(), 999_999).await,
        Err(DbError::NotFound)
    ));
    assert!(tokens::authenticate(&db, "hash-1").await.unwrap().is_none(), "revoked");
    assert!(tokens::authenticate(&db, "hash-2").await.unwrap().is_some());
    let list = tokens::list(&db).await.unwrap();
    assert_eq!(
        list.iter().map(|t| t.id).collect::<Vec<_>>(),
        [second, first],
        "revoked last"
    );
    assert!(list[1].revoked_at.is_some());
}

#[tokio::test]
async fn token_use_is_written_at_most_once_a_minute() {
    let db = fresh_db().await;
    let id = tokens::insert(
        &mut db.acquire().await.unwrap(),
        "pbx",
        &[Scope::Pbx],
        "hash-1",
        "sb_aaaaaa",
        None,
    )
    .await
    .unwrap();
    let set = |ago: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query(&format!(
                "UPDATE api_tokens SET last_used_at = now() - interval '{ago}' WHERE id = $1"
            ))
            .bind(id)
            .execute(&db)
            .await
            .unwrap();
        }
    };
    let age = || {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, f64>(
                "SELECT extract(epoch FROM now() - last_used_at)::float8 FROM api_tokens WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    set("10 seconds").await;
    tokens::authenticate(&db, "hash-1").await.unwrap().unwrap();
    assert!(age().await >= 9.0, "a recent use is not rewritten");
    set("1 hour").await;
    tokens::authenticate(&db, "hash-1").await.unwrap().unwrap();
    assert!(age().await < 600.0, "an old use is refreshed");
}

#[tokio::test]
async fn login_failures_count_reset_after_an_hour_and_clear() {
    let db = fresh_db().await;
    assert_eq!(login_failures::get(&db, "bea").await.unwrap(), None);
    for n in 1..=3u32 {
        login_failures::record(&db, "bea").await.unwrap();
        let (count, since) = login_failures::get(&db, "bea").await.unwrap().unwrap();
        assert_eq!(count, n);
        // Just recorded: the last failure is seconds old, not the row's creation or an old one.
        assert!(
            (0..60).contains(&since),
            "seconds since the failure just recorded: {since}"
        );
    }
    login_failures::record(&db, "other").await.unwrap();
    assert_eq!(
        login_failures::get(&db, "other").await.unwrap().map(|r| r.0),
        Some(1),
        "counted per name"
    );

    // The last failure an hour ago or more: the count starts again.
    sqlx::query("UPDATE login_failures SET last_failure = now() - interval '2 hours' WHERE username = 'bea'")
        .execute(&db)
        .await
        .unwrap();
    let (count, since) = login_failures::get(&db, "bea").await.unwrap().unwrap();
    assert_eq!(count, 3);
    assert!(since >= 7199, "{since}");
    login_failures::record(&db, "bea").await.unwrap();
    assert_eq!(login_failures::get(&db, "bea").await.unwrap().map(|r| r.0), Some(1));

    login_failures::clear(&db, "bea").await.unwrap();
    assert_eq!(login_failures::get(&db, "bea").await.unwrap(), None);
    assert!(login_failures::get(&db, "other").await.unwrap().is_some());
    login_failures::clear(&db, "never-failed").await.unwrap();
}

#[tokio::test]
async fn accounts_validate_hash_and_generate() {
    let db = fresh_db().await;
    let created = app::accounts::service::create_user(
        &db,
        &app::shell::service::Actor::Operator,
        " Bea ",
        "Bea B",
        &[Role::Agent],
        None,
    )
    .await
    .unwrap();
    assert_eq!(created.password.chars().count(), 16);
    let c = users::credentials(&db, "bea").await.unwrap().unwrap();
    assert_eq!(c.id, created.id);
    assert!(c.password_hash.starts_with("$argon2id$"));
    assert!(app::accounts::auth::verify_password(created.password.clone(), c.password_hash.clone()).await);
    assert!(!app::accounts::auth::verify_password("wrong".into(), c.password_hash).await);

    // Validation comes before any write.
    for (name, display, roles, pw, field) in [
        ("x", "X", vec![Role::Agent], None, "username"),
        ("ok-name", "", vec![Role::Agent], None, "display_name"),
        ("ok-name", "Ok", vec![], None, "roles"),
        (
            "ok-name",
            "Ok",
            vec![Role::Agent],
            Some("short".to_string()),
            "password",
        ),
    ] {
        let err =
            app::accounts::service::create_user(&db, &app::shell::service::Actor::Operator, name, display, &roles, pw)
                .await
                .err()
                .unwrap();
        assert_eq!(err.field(), Some(field), "{err:?}");
    }
    assert_eq!(users::count(&db).await.unwrap(), 1);

    let pw = app::accounts::service::set_password(
        &db,
        &app::shell::service::Actor::Operator,
        created.id,
        Some("a-good-password".into()),
    )
    .await
    .unwrap();
    assert_eq!(pw, "a-good-password");
    assert_eq!(epoch(&db, created.id).await, 1);
    let err = app::accounts::service::set_password(
        &db,
        &app::shell::service::Actor::Operator,
        created.id,
        Some("short".into()),
    )
    .await
    .unwrap_err();
    assert_eq!(err.field(), Some("password"));
    assert_eq!(epoch(&db, created.id).await, 1, "a refused password changes nothing");
    assert!(matches!(
        app::accounts::service::set_password(&db, &app::shell::service::Actor::Operator, 999_999, None).await,
        Err(app::shell::service::ServiceError::NotFound(_))
    ));

    let (id, token) =
        app::accounts::service::create_token(&db, &app::shell::service::Actor::Operator, " pbx ", &[Scope::Pbx])
            .await
            .unwrap();
    assert!(token.starts_with("sb_") && token.len() == 3 + 48);
    let holder = tokens::authenticate(&db, &app::accounts::auth::hash_token(&token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((holder.id, holder.name.as_str()), (id, "pbx"));
    assert_eq!(
        app::accounts::service::create_token(&db, &app::shell::service::Actor::Operator, "", &[Scope::Pbx])
            .await
            .unwrap_err()
            .field(),
        Some("name")
    );
    assert_eq!(
        app::accounts::service::create_token(&db, &app::shell::service::Actor::Operator, "x", &[])
            .await
            .unwrap_err()
            .field(),
        Some("scopes")
    );
    assert_eq!(tokens::list(&db).await.unwrap().len(), 1);
}

#[tokio::test]
async fn first_start_creates_the_admin_once() {
    let db = fresh_db().await;
    let created = server::bootstrap::first_accounts(&db, Some("admin-password-1".into()), true)
        .await
        .unwrap();
    let names: Vec<&str> = created.iter().map(|a| a.username.as_str()).collect();
    assert_eq!(names, ["admin", "carla", "alex", "maria"]);
    assert_eq!(created[0].password, "admin-password-1");
    assert_eq!(
        users::get(&db, users::id_by_username(&db, "admin").await.unwrap())
            .await
            .unwrap()
            .roles,
        vec![Role::Admin]
    );
    let again = server::bootstrap::first_accounts(&db, None, true).await.unwrap();
    assert!(again.is_empty());
    assert_eq!(users::count(&db).await.unwrap(), 4);
}
