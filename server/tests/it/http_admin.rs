//! The admin server functions: who may call them, what they do, what they refuse.

use crate::common::*;
use app::accounts::{TokenSummary, UserSummary};
use app::shell::error::ApiError;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An app with an admin `root`, an agent `alex` and a token `pbx`; returns it with alex's id,
/// the token's id and the passwords of root and alex.
async fn setup() -> (TestApp, i64, i64, String, String) {
    let app = TestApp::spawn().await;
    let root = app.user("root", &[Role::Admin]).await;
    let alex = app.user("alex", &[Role::Agent]).await;
    app.token("pbx", &[Scope::Pbx]).await;
    let alex_id = user_id(&app.db, "alex").await;
    let token = token_id(&app.db, "pbx").await;
    (app, alex_id, token, root, alex)
}

#[tokio::test]
async fn every_admin_function_refuses_anonymous_callers() {
    let (app, alex, token, _, _) = setup().await;
    let anon = Browser::new(&app);
    let before = snapshot(&app.db).await;
    for (path, body) in admin_calls(alex, token) {
        let (status, err) = anon.call(path, body).await;
        assert_eq!(
            (status, err),
            (StatusCode::UNAUTHORIZED, Err(ApiError::Unauthenticated)),
            "{path}"
        );
    }
    assert_eq!(snapshot(&app.db).await, before, "refused calls changed nothing");
}

#[tokio::test]
async fn every_admin_function_refuses_users_without_the_admin_role() {
    let (app, alex, token, _, alex_pw) = setup().await;
    let pw = app.user("many", &[Role::Agent, Role::Coordinator, Role::Manager]).await;
    let before = snapshot(&app.db).await;
    for b in [
        Browser::signed_in(&app, "alex", &alex_pw).await,
        Browser::signed_in(&app, "many", &pw).await,
    ] {
        for (path, body) in admin_calls(alex, token) {
            let (status, err) = b.call(path, body).await;
            assert_eq!(
                (status, err),
                (StatusCode::FORBIDDEN, Err(ApiError::Forbidden)),
                "{path}"
            );
        }
        // Their own id, too: an agent cannot make themselves admin.
        let me = b.who_am_i().await.unwrap().id;
        let (status, _) = b
            .call("/api/admin/users/roles", json!({"id": me, "roles": ["admin"]}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(!b.who_am_i().await.unwrap().roles.contains(&Role::Admin));
    }
    assert_eq!(snapshot(&app.db).await, before, "refused calls changed nothing");
}

#[tokio::test]
async fn a_deactivated_admins_open_session_is_refused() {
    let (app, alex, token, root_pw, _) = setup().await;
    app.user("root2", &[Role::Admin]).await;
    let root = Browser::signed_in(&app, "root", &root_pw).await;
    let root_id = user_id(&app.db, "root").await;
    app::accounts::store::users::set_active(&mut app.db.acquire().await.unwrap(), root_id, false)
        .await
        .unwrap();
    let before = snapshot(&app.db).await;
    for (path, body) in admin_calls(alex, token) {
        let (status, err) = root.call(path, body).await;
        assert_eq!(
            (status, err),
            (StatusCode::UNAUTHORIZED, Err(ApiError::Unauthenticated)),
            "{path}"
        );
    }
    assert_eq!(snapshot(&app.db).await, before);
}

#[tokio::test]
async fn admin_lists_and_creates_users() {
    let (app, _, _, root_pw, _) = setup().await;
    let admin = Browser::signed_in(&app, "root", &root_pw).await;

    let (status, list) = admin.call("/api/admin/users", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let users: Vec<UserSummary> = serde_json::from_value(list.unwrap()).unwrap();
    let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["alex", "root"]);
    assert!(users.iter().all(|u| u.active));

    // With a password given.
    let (status, body) = admin
        .call(
            "/api/admin/users/create",
            json!({"username": "Carla", "display_name": " Carla C. ", "roles": ["coordinator", "agent"], "password": "carla-secret-1"}),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, Ok(json!("carla-secret-1"))));
    let carla = app::accounts::store::users::get(&app.db, user_id(&app.db, "carla").await)
        .await
        .unwrap();
    assert_eq!(carla.display_name, "Carla C.");
    assert_eq!(carla.roles, vec![Role::Coordinator, Role::Agent]);
    Browser::signed_in(&app, "carla", "carla-secret-1").await;

    // Without one: a generated password is returned, and it works.
    let (status, body) = admin
        .call(
            "/api/admin/users/create",
            json!({"username": "maria", "display_name": "Maria", "roles": ["manager"], "password": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let generated = body.unwrap().as_str().unwrap().to_string();
    assert_eq!(generated.chars().count(), 16);
    let maria = Browser::signed_in(&app, "maria", &generated).await;
    assert_eq!(maria.who_am_i().await.unwrap().roles, vec![Role::Manager]);

    // The password is stored hashed.
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'maria'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(&generated));

    let (_, list) = admin.call("/api/admin/users", json!({})).await;
    let users: Vec<UserSummary> = serde_json::from_value(list.unwrap()).unwrap();
    assert_eq!(users.len(), 4);
}

#[tokio::test]
async fn admin_sets_roles_resets_passwords_and_deactivates() {
    let (app, alex, _, root_pw, alex_pw) = setup().await;
    let admin = Browser::signed_in(&app, "root", &root_pw).await;

    let (status, body) = admin
        .call(
            "/api/admin/users/roles",
            json!({"id": alex, "roles": ["manager", "agent", "manager"]}),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, Ok(Value::Null)));
    assert_eq!(
        app::accounts::store::users::get(&app.db, alex).await.unwrap().roles,
        vec![Role::Agent, Role::Manager]
    );
    let stored: Vec<String> = sqlx::query_scalar("SELECT roles FROM users WHERE id = $1")
        .bind(alex)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, ["agent", "manager"], "stored as a set");

    let (status, body) = admin.call("/api/admin/users/reset-password", json!({"id": alex})).await;
    assert_eq!(status, StatusCode::OK);
    let new_pw = body.unwrap().as_str().unwrap().to_string();
    assert_ne!(new_pw, alex_pw);
    Browser::signed_in(&app, "alex", &new_pw).await;

    let (status, _) = admin
        .call("/api/admin/users/active", json!({"id": alex, "active": false}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = admin.call("/api/admin/users", json!({})).await;
    let users: Vec<UserSummary> = serde_json::from_value(list.unwrap()).unwrap();
    assert_eq!(
        users.last().map(|u| (u.username.as_str(), u.active)),
        Some(("alex", false)),
        "inactive listed last"
    );
}

#[tokio::test]
async fn admin_creates_lists_and_revokes_tokens() {
    let (app, _, pbx, root_pw, _) = setup().await;
    let admin = Browser::signed_in(&app, "root", &root_pw).await;

    let (status, body) = admin
        .call(
            "/api/admin/tokens/create",
            json!({"name": " scraper ", "scopes": ["metrics", "pbx", "metrics"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let secret = body.unwrap().as_str().unwrap().to_string();
    let (status, list) = admin.call("/api/admin/tokens", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let tokens: Vec<TokenSummary> = serde_json::from_value(list.unwrap()).unwrap();
    assert_eq!(tokens.len(), 2);
    let t = tokens.iter().find(|t| t.name == "scraper").expect("trimmed name");
    assert_eq!(t.scopes, vec![Scope::Pbx, Scope::Metrics], "a set: sorted, each once");
    assert_eq!(t.created_by.as_deref(), Some("root"));
    assert_eq!(t.prefix, secret[..9]);
    assert!(t.revoked_at.is_none());

    let (status, body) = admin.call("/api/admin/tokens/revoke", json!({"id": pbx})).await;
    assert_eq!((status, body), (StatusCode::OK, Ok(Value::Null)));
    let (_, list) = admin.call("/api/admin/tokens", json!({})).await;
    let tokens: Vec<TokenSummary> = serde_json::from_value(list.unwrap()).unwrap();
    assert_eq!(
        tokens.last().map(|t| (t.id, t.revoked_at.is_some())),
        Some((pbx, true)),
        "revoked listed last"
    );

    // Revoking again, or a token that never existed, is a 404 and changes nothing.
    let before = snapshot(&app.db).await;
    for id in [pbx, 999_999] {
        let (status, err) = admin.call("/api/admin/tokens/revoke", json!({"id": id})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(matches!(err, Err(ApiError::NotFound(_))), "{err:?}");
    }
    assert_eq!(snapshot(&app.db).await, before);
}

#[tokio::test]
async fn unknown_user_ids_are_404() {
    let (app, _, _, root_pw, _) = setup().await;
    let admin = Browser::signed_in(&app, "root", &root_pw).await;
    let before = snapshot(&app.db).await;
    for (path, body) in [
        (
            "/api/admin/users/roles",
            json!({"id": 999_999, "roles": ["agent", "admin"]}),
        ),
        ("/api/admin/users/reset-password", json!({"id": 999_999})),
        ("/api/admin/users/active", json!({"id": 999_999, "active": false})),
        ("/api/admin/users/active", json!({"id": 999_999, "active": true})),
    ] {
        let (status, err) = admin.call(path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {err:?}");
        assert!(matches!(err, Err(ApiError::NotFound(_))), "{path}: {err:?}");
    }
    assert_eq!(snapshot(&app.db).await, before);
}

#[tokio::test]
async fn the_last_active_admin_keeps_the_role_and_the_account() {
    let (app, alex, _, root_pw, alex_pw) = setup().await;
    let admin = Browser::signed_in(&app, "root", &root_pw).await;
    let root = user_id(&app.db, "root").await;
    let before = snapshot(&app.db).await;

    let (status, err) = admin
        .call("/api/admin/users/roles", json!({"id": root, "roles": ["agent"]}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        matches!(&err, Err(ApiError::Conflict(m)) if m.contains("last active admin")),
        "{err:?}"
    );

    let (status, err) = admin
        .call("/api/admin/users/active", json!({"id": root, "active": false}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(matches!(err, Err(ApiError::Conflict(_))), "{err:?}");
    assert_eq!(snapshot(&app.db).await, before, "nothing changed");

    // A second admin: root may now give up the role (but still not deactivate themselves).
    let (status, _) = admin
        .call("/api/admin/users/roles", json!({"id": alex, "roles": ["admin"]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = admin
        .call("/api/admin/users/active", json!({"id": root, "active": false}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an admin cannot deactivate themselves: {err:?}"
    );
    assert!(app::accounts::store::users::get(&app.db, root).await.unwrap().active);
    let (status, _) = admin
        .call("/api/admin/users/roles", json!({"id": root, "roles": ["agent"]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    // …after which root is an agent and alex is the last admin.
    let (status, _) = admin.call("/api/admin/users", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let alex_b = Browser::signed_in(&app, "alex", &alex_pw).await;
    let (status, _) = alex_b
        .call("/api/admin/users/roles", json!({"id": alex, "roles": ["agent"]}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = alex_b
        .call("/api/admin/users/active", json!({"id": root, "active": false}))
        .await;
    assert_eq!(status, StatusCode::OK, "a non-admin can be deactivated");
}

#[tokio::test]
async fn invalid_input_is_422_naming_the_field_and_writes_nothing() {
    let (app, alex, _, root_pw, _) = setup().await;
    let admin = Browser::signed_in(&app, "root", &root_pw).await;
    let before = snapshot(&app.db).await;

    let user = |username: &str, display: &str, roles: Value, password: Value| json!({"username": username, "display_name": display, "roles": roles, "password": password});
    let cases = [
        (user("carla", "Carla", json!(["agent"]), json!("short")), "password"),
        (
            user("carla", "Carla", json!(["agent"]), json!("x".repeat(1025))),
            "password",
        ),
        (
            user("carla b", "Carla", json!(["agent"]), json!("long-enough-1")),
            "username",
        ),
        (user("c", "Carla", json!(["agent"]), json!("long-enough-1")), "username"),
        (user("càrla", "Carla", json!(["agent"]), json!(null)), "username"),
        (user("carla", "Carla", json!([]), json!("long-enough-1")), "roles"),
        (
            user("carla", "   ", json!(["agent"]), json!("long-enough-1")),
            "display_name",
        ),
    ];
    for (body, field) in cases {
        let res = admin.call("/api/admin/users/create", body.clone()).await;
        assert_invalid(&res, field);
    }
    assert_invalid(
        &admin
            .call("/api/admin/tokens/create", json!({"name": "", "scopes": ["pbx"]}))
            .await,
        "name",
    );
    assert_invalid(
        &admin
            .call("/api/admin/tokens/create", json!({"name": "   ", "scopes": ["pbx"]}))
            .await,
        "name",
    );
    assert_invalid(
        &admin
            .call(
                "/api/admin/tokens/create",
                json!({"name": "x".repeat(81), "scopes": ["pbx"]}),
            )
            .await,
        "name",
    );
    assert_invalid(
        &admin
            .call("/api/admin/tokens/create", json!({"name": "pbx2", "scopes": []}))
            .await,
        "scopes",
    );
    assert_eq!(snapshot(&app.db).await, before, "nothing written");

    // Names outside the enums do not even decode: still a 422, never a 500, nothing written.
    let res = admin
        .call("/api/admin/tokens/create", json!({"name": "pbx2", "scopes": ["root"]}))
        .await;
    assert_eq!(res.0, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", res.1);
    assert!(
        matches!(&res.1, Err(ApiError::Invalid(i)) if i.message.contains("root")),
        "{:?}",
        res.1
    );
    let res = admin
        .call("/api/admin/users/roles", json!({"id": alex, "roles": ["boss"]}))
        .await;
    assert_eq!(res.0, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", res.1);
    assert!(matches!(&res.1, Err(ApiError::Invalid(_))), "{:?}", res.1);
    assert_eq!(snapshot(&app.db).await, before, "nothing written");
}

#[tokio::test]
async fn duplicate_user_names_are_409() {
    let (app, _, _, root_pw, _) = setup().await;
    let admin = Browser::signed_in(&app, "root", &root_pw).await;
    let before = snapshot(&app.db).await;
    for name in ["alex", "ALEX", " Alex "] {
        let (status, err) = admin
            .call(
                "/api/admin/users/create",
                json!({"username": name, "display_name": "Other", "roles": ["agent"], "password": null}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{name}: {err:?}");
        assert!(
            matches!(&err, Err(ApiError::Conflict(m)) if m.contains("already exists")),
            "{err:?}"
        );
    }
    assert_eq!(snapshot(&app.db).await, before);
}
