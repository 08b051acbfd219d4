//! `serve --demo`: this week's timetable is generated and published once, so the queue has a
//! rota to follow from the first start.
use crate::common::*;

#[tokio::test]
async fn the_demo_publishes_this_week_once() {
    let app = TestApp::spawn().await;
    server::bootstrap::first_accounts(&app.db, Some("demo-admin-password".into()), true)
        .await
        .unwrap();
    assert!(server::bootstrap::demo_rota(&app.db).await.unwrap());
    assert!(server::bootstrap::demo_week(&app.services).await.unwrap());
    let week = app::rota::service::timetable::week(&app.services, &app::shell::service::Actor::Operator, None)
        .await
        .unwrap();
    assert_eq!(week.status, Some(app::rota::WeekStatus::Published));
    let seated = week.seats.iter().flatten().flatten().filter(|s| s.is_some()).count();
    assert!(seated > 0, "the published week has people in its seats");
    assert!(
        !server::bootstrap::demo_week(&app.services).await.unwrap(),
        "published once"
    );
}
