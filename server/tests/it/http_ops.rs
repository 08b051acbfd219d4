//! Operations and machine routes: `/healthz`, `/readyz`, `/metrics`, `/api/v1/whoami`, and the
//! API tokens they accept.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn error_code(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    let body: Value = res.json().await.expect("JSON error body");
    (status, body["error"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn health_and_readiness_are_public() {
    let app = TestApp::spawn().await;
    let b = Browser::new(&app);
    let res = b.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ok");
    let res = b.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn metrics_need_an_admin_or_the_metrics_scope() {
    let app = TestApp::spawn().await;
    let anon = Browser::new(&app);

    let res = anon.get("/metrics").await;
    assert_eq!(
        res.headers().get("www-authenticate").map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    assert_eq!(
        error_code(res).await,
        (StatusCode::UNAUTHORIZED, "unauthenticated".into())
    );

    // A token that does not exist is refused, not treated as anonymous.
    let res = anon
        .client
        .get(anon.url("/metrics"))
        .bearer_auth("sb_not_a_token")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res).await, (StatusCode::UNAUTHORIZED, "bad_token".into()));
    let res = anon.get("/metrics?token=sb_not_a_token").await;
    assert_eq!(error_code(res).await, (StatusCode::UNAUTHORIZED, "bad_token".into()));

    // Signed in without the admin role.
    let pw = app.user("alex", &[Role::Agent, Role::Coordinator, Role::Manager]).await;
    let agent = Browser::signed_in(&app, "alex", &pw).await;
    assert_eq!(
        error_code(agent.get("/metrics").await).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );

    // A valid token with another scope.
    let pbx = app
        .token("pbx", &[Scope::Pbx, Scope::Callouts, Scope::Escalations])
        .await;
    let res = anon
        .client
        .get(anon.url("/metrics"))
        .bearer_auth(&pbx)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res).await, (StatusCode::FORBIDDEN, "forbidden".into()));

    // Allowed: an admin session, a metrics token by header and by query.
    let pw = app.user("root", &[Role::Admin]).await;
    let admin = Browser::signed_in(&app, "root", &pw).await;
    let res = admin.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    let ct = res.headers().get("content-type").unwrap().to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain"), "{ct}");
    assert!(
        res.text().await.unwrap().contains("http_requests_total"),
        "request counter exported"
    );

    let scraper = app.token("prometheus", &[Scope::Metrics]).await;
    let res = anon
        .client
        .get(anon.url("/metrics"))
        .bearer_auth(&scraper)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = anon.get(&format!("/metrics?token={scraper}")).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn whoami_needs_a_valid_token() {
    let app = TestApp::spawn().await;
    let anon = Browser::new(&app);

    let res = anon.get("/api/v1/whoami").await;
    assert_eq!(error_code(res).await, (StatusCode::UNAUTHORIZED, "bad_token".into()));

    // A browser session is not a token.
    let pw = app.user("root", &[Role::Admin]).await;
    let admin = Browser::signed_in(&app, "root", &pw).await;
    assert_eq!(admin.get("/api/v1/whoami").await.status(), StatusCode::UNAUTHORIZED);

    let res = anon
        .client
        .get(anon.url("/api/v1/whoami"))
        .bearer_auth("sb_0000")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res).await, (StatusCode::UNAUTHORIZED, "bad_token".into()));

    let token = app.token("pbx-1", &[Scope::Pbx, Scope::Metrics]).await;
    let res = anon
        .client
        .get(anon.url("/api/v1/whoami"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"token": "pbx-1", "scopes": ["pbx", "metrics"]})
    );

    // PBXs that can only do GET put it in the query string.
    let res = anon.get(&format!("/api/v1/whoami?a=1&token={token}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["token"], "pbx-1");
}

#[tokio::test]
async fn admin_made_tokens_work_record_use_and_stop_when_revoked() {
    let app = TestApp::spawn().await;
    let pw = app.user("root", &[Role::Admin]).await;
    let admin = Browser::signed_in(&app, "root", &pw).await;
    let machine = Browser::new(&app);

    let (status, body) = admin
        .call(
            "/api/admin/tokens/create",
            json!({"name": "pbx main", "scopes": ["pbx"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let pbx = body.unwrap().as_str().unwrap().to_string();
    let (_, body) = admin
        .call(
            "/api/admin/tokens/create",
            json!({"name": "prom", "scopes": ["metrics"]}),
        )
        .await;
    let prom = body.unwrap().as_str().unwrap().to_string();
    assert!(pbx.starts_with("sb_") && prom.starts_with("sb_") && pbx != prom);

    let pbx_id = token_id(&app.db, "pbx main").await;
    let last_used = |id: i64| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, Option<chrono::DateTime<chrono::Utc>>>(
                "SELECT last_used_at FROM api_tokens WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    assert_eq!(last_used(pbx_id).await, None, "unused so far");

    let res = machine
        .client
        .get(machine.url("/api/v1/whoami"))
        .bearer_auth(&pbx)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"token": "pbx main", "scopes": ["pbx"]})
    );
    assert!(last_used(pbx_id).await.is_some(), "use is recorded");

    // The scope is checked: pbx may not scrape metrics, prom may.
    let res = machine
        .client
        .get(machine.url("/metrics"))
        .bearer_auth(&pbx)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = machine.get(&format!("/metrics?token={prom}")).await;
    assert_eq!(res.status(), StatusCode::OK);

    // The admin list shows it, with its prefix and creator, never the secret.
    let (_, list) = admin.call("/api/admin/tokens", json!({})).await;
    let list = list.unwrap();
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == pbx_id)
        .unwrap()
        .clone();
    assert_eq!(entry["created_by"], "root");
    assert_eq!(entry["prefix"], pbx[..9]);
    assert!(!entry["last_used_at"].is_null());
    assert!(!list.to_string().contains(&pbx), "the list never carries a secret");

    let (status, body) = admin.call("/api/admin/tokens/revoke", json!({"id": pbx_id})).await;
    assert_eq!((status, body), (StatusCode::OK, Ok(Value::Null)));
    let res = machine
        .client
        .get(machine.url("/api/v1/whoami"))
        .bearer_auth(&pbx)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(res).await, (StatusCode::UNAUTHORIZED, "bad_token".into()));
    let res = machine.get(&format!("/api/v1/whoami?token={pbx}")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The other token is untouched.
    let res = machine
        .client
        .get(machine.url("/api/v1/whoami"))
        .bearer_auth(&prom)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn tokens_are_stored_only_as_sha256() {
    let app = TestApp::spawn().await;
    let pw = app.user("root", &[Role::Admin]).await;
    let admin = Browser::signed_in(&app, "root", &pw).await;
    let (_, body) = admin
        .call("/api/admin/tokens/create", json!({"name": "pbx", "scopes": ["pbx"]}))
        .await;
    let token = body.unwrap().as_str().unwrap().to_string();
    let cli_token = app.token("cli", &[Scope::Metrics]).await;

    for (name, secret) in [("pbx", &token), ("cli", &cli_token)] {
        // Computed by PostgreSQL, independently of the app's own hashing code.
        let (hash, expected, row): (String, String, String) = sqlx::query_as(
            "SELECT token_hash, encode(sha256(convert_to($2, 'UTF8')), 'hex'), t::text FROM api_tokens t WHERE name = $1",
        )
        .bind(name)
        .bind(secret)
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(hash, expected, "the hash is the SHA-256 of the token");
        assert!(
            !row.contains(secret.as_str()),
            "the token itself is not in its row: {row}"
        );
    }
    // Nowhere else in the database either (sessions, users…): dump every table as text.
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
         WHERE table_schema IN ('public', 'tower_sessions') AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    for t in tables {
        let found: bool = sqlx::query_scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM {t} x WHERE x::text LIKE '%' || $1 || '%' OR x::text LIKE '%' || $2 || '%')"
        ))
        .bind(&token)
        .bind(&cli_token)
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert!(!found, "a token is stored in clear in {t}");
    }
}
