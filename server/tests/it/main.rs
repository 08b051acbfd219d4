//! The HTTP and database tests, one binary: each module is one former test file; `common` is
//! the harness (a fresh database per test, the app on port 0).
mod calendar_feed;
mod callouts_console;
mod callouts_dialer;
mod callouts_http;
mod common;
mod db_accounts;
mod db_rota;
mod desk_card;
mod desk_ringing;
mod http_admin;
mod http_assets;
mod http_auth;
mod http_ops;
mod http_pages;
mod http_rota;
mod http_timetable;
mod import_tomatic;
mod live_events;
mod openapi;
mod rota_solve_file;
mod service_events;
mod telsim;
