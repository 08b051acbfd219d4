//! Page loads: `/`, `/admin` and `/login`, with and without a session and role.

use crate::common::*;
use reqwest::StatusCode;

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn pages_send_anonymous_visitors_to_the_sign_in_page() {
    let app = TestApp::spawn().await;
    let anon = Browser::new(&app);
    for (path, next) in [
        ("/", "/"),
        ("/admin", "/admin"),
        ("/admin?tab=tokens&x=1", "/admin%3Ftab%3Dtokens%26x%3D1"),
    ] {
        let res = anon.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&res), format!("/login?next={next}"), "{path}");
    }
    let res = anon.get("/login").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("<form"), "the sign-in form is rendered");
}

#[tokio::test]
async fn admin_page_is_refused_to_other_roles_with_403() {
    let app = TestApp::spawn().await;
    let pw = app.user("alex", &[Role::Agent, Role::Coordinator, Role::Manager]).await;
    let agent = Browser::signed_in(&app, "alex", &pw).await;

    let res = agent.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(!html.contains(r#"data-testid="forbidden""#));
    assert!(
        html.contains(r#"data-testid="current-user""#),
        "the header shows who is signed in"
    );

    let res = agent.get("/admin").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"data-testid="forbidden""#), "the 403 view is rendered");
    assert!(!html.contains(r#"data-testid="users""#), "no admin content leaks");
}

#[tokio::test]
async fn admin_page_opens_for_admins() {
    let app = TestApp::spawn().await;
    let pw = app.user("root", &[Role::Admin]).await;
    let admin = Browser::signed_in(&app, "root", &pw).await;
    let res = admin.get("/admin").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(!html.contains(r#"data-testid="forbidden""#));
    assert!(
        html.contains(r#"data-testid="create-user""#),
        "the admin page is rendered"
    );
    assert_eq!(admin.get("/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn sign_in_page_sends_signed_in_users_home() {
    let app = TestApp::spawn().await;
    let pw = app.user("alex", &[Role::Agent]).await;
    let agent = Browser::signed_in(&app, "alex", &pw).await;
    let res = agent.get("/login").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
    let res = agent.get("/login?next=/admin").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
}
