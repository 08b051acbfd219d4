//! Long CSV exports stream: written a page at a time (no Content-Length; chunked), with the
//! same content the whole-file rendering gives, across several pages.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

const N: i64 = 2345;

#[tokio::test]
async fn long_contact_and_participation_exports_stream_the_same_rows() {
    let app = TestApp::spawn().await;
    // More than two pages; a metadata key only on the last contact (the header still has it).
    sqlx::query(
        "INSERT INTO contacts (phone, name, metadata, tags)
         SELECT '+34600' || lpad(i::text, 6, '0'), 'Name ' || i,
                CASE WHEN i = $1 THEN '{\"late\": \"x, y\"}'::jsonb ELSE '{\"n\": 1}'::jsonb END,
                ARRAY['t' || (i % 3)]
         FROM generate_series(1, $1) i",
    )
    .bind(N)
    .execute(&app.db)
    .await
    .unwrap();
    let token = app.token("crm", &[Scope::Callouts]).await;
    let http = reqwest::Client::new();
    let get = |path: String| http.get(format!("{}{path}", app.url)).bearer_auth(&token).send();

    let res = get("/api/v1/contacts.csv".into()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("content-length").is_none(), "streamed, not one body");
    assert_eq!(
        res.headers().get("transfer-encoding").and_then(|v| v.to_str().ok()),
        Some("chunked")
    );
    let text = res.text().await.unwrap();
    let all = app::callouts::store::contacts::list(&app.db, &Default::default(), 1, N)
        .await
        .unwrap();
    let fields: Vec<_> = all.items.iter().map(|c| c.fields()).collect();
    assert_eq!(
        text,
        app::callouts::rules::export::contacts_csv(&fields),
        "same file as in one piece"
    );
    assert_eq!(text.lines().count() as i64, N + 1);
    assert!(
        text.starts_with("phone,name,tags,time_zone,late,n\r\n"),
        "{}",
        &text[..60]
    );
    // Filtered: the filter holds on every page.
    let t0 = get("/api/v1/contacts.csv?tag=t0".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(t0.lines().count() as i64, N / 3 + 1);

    // Participations.
    let res = http
        .post(format!("{}/api/v1/callouts", app.url))
        .bearer_auth(&token)
        .json(&json!({"name": "Export", "caller_id": "+34930000000"}))
        .send()
        .await
        .unwrap();
    let id = res.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let res = http
        .post(format!("{}/api/v1/callouts/{id}/populate", app.url))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["added"], N);
    let res = get(format!("/api/v1/callouts/{id}/participations.csv")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("content-length").is_none());
    let text = res.text().await.unwrap();
    assert_eq!(text.lines().count() as i64, N + 1);
    let phones: std::collections::HashSet<_> = text.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(phones.len() as i64, N, "every participation once");
    // An unknown callout is still a 404 (the first page is read before answering).
    assert_eq!(
        get("/api/v1/callouts/999999/participations.csv".into())
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}
