//! The site's files: the JS, wasm and CSS under hashed names (kept a year by browsers),
//! compressed with brotli or gzip for clients that accept it and plain for the others; the
//! favicon and logo from `public/`; and what must never be compressed (`/api/events`).
//!
//! They read the site the tests are run against: `target/site`, built by `cargo leptos build`.
use crate::common::*;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use std::io::Read;
use std::path::PathBuf;

const YEAR: &str = "public, max-age=31536000, immutable";

fn site() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site")
}

/// The `/pkg/…` files the sign-in page links to: (js, wasm, css).
async fn linked_assets(app: &TestApp) -> (String, String, String) {
    let html = Browser::new(app).get("/login").await.text().await.unwrap();
    let links: Vec<&str> = html
        .match_indices("\"/pkg/")
        .map(|(i, _)| {
            let rest = &html[i + 1..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    let one = |ext: &str| {
        let found: Vec<&&str> = links.iter().filter(|l| l.ends_with(ext)).collect();
        assert!(!found.is_empty(), "the page links a {ext} file: {links:?}");
        found[0].to_string()
    };
    let assets = (one(".js"), one(".wasm"), one(".css"));
    for path in [&assets.0, &assets.1, &assets.2] {
        assert!(
            site().join(path.trim_start_matches('/')).is_file(),
            "{path} is in the built site ({}); run `cargo leptos build` first",
            site().display()
        );
    }
    assets
}

/// `switchboard.<22 characters of URL-safe base64>.ext`, as cargo-leptos names them.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap();
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 3
        && parts[0] == "switchboard"
        && parts[1].len() == 22
        && parts[1]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

async fn get_with(app: &TestApp, path: &str, accept_encoding: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}{path}", app.url));
    if let Some(enc) = accept_encoding {
        req = req.header(ACCEPT_ENCODING, enc);
    }
    req.send().await.unwrap()
}

fn header(res: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    res.headers().get(name).map(|v| v.to_str().unwrap().to_string())
}

fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out).unwrap(),
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out).unwrap(),
        other => panic!("unexpected encoding {other}"),
    };
    out
}

#[tokio::test]
async fn the_page_links_its_js_wasm_and_css_under_hashed_names() {
    let app = TestApp::spawn().await;
    let (js, wasm, css) = linked_assets(&app).await;
    for path in [&js, &wasm, &css] {
        assert!(is_hashed(path), "{path} carries its content hash");
    }
    // The hydration script loads that JS and that wasm: `(root, "pkg", js, wasm, defer)`.
    let html = Browser::new(&app).get("/login").await.text().await.unwrap();
    let stem = |p: &str| p.rsplit('/').next().unwrap().rsplit_once('.').unwrap().0.to_string();
    assert!(
        html.contains(&format!("\"pkg\", {:?}, {:?}", stem(&js), stem(&wasm))),
        "the hydration script loads {js} and {wasm}"
    );
}

#[tokio::test]
async fn hashed_files_come_compressed_when_accepted_and_are_kept_a_year() {
    let app = TestApp::spawn().await;
    let (js, wasm, css) = linked_assets(&app).await;
    for path in [&js, &wasm, &css] {
        let file = site().join(path.trim_start_matches('/'));
        let plain = std::fs::read(&file).unwrap();
        let precompressed = |ext: &str| PathBuf::from(format!("{}.{ext}", file.display())).is_file();
        let has_br = precompressed("br") || !precompressed("gz");
        for (accept, expected) in [
            ("br", "br"),
            ("gzip", "gzip"),
            // Brotli when there is a `.br` or none was written (made on the fly), else the `.gz`
            // (`make build` writes only those).
            ("gzip, deflate, br, zstd", if has_br { "br" } else { "gzip" }),
            ("gzip;q=1.0, br;q=0.5", "gzip"),
        ] {
            let res = get_with(&app, path, Some(accept)).await;
            assert_eq!(res.status(), StatusCode::OK, "{path} ({accept})");
            assert_eq!(
                header(&res, CONTENT_ENCODING).as_deref(),
                Some(expected),
                "{path} ({accept})"
            );
            assert_eq!(header(&res, CACHE_CONTROL).as_deref(), Some(YEAR), "{path} ({accept})");
            assert!(
                header(&res, VARY).is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
                "{path} ({accept}) says it varies by Accept-Encoding"
            );
            let body = res.bytes().await.unwrap();
            assert!(body.len() < plain.len(), "{path} ({accept}) is smaller than the file");
            assert!(
                decode(expected, &body) == plain,
                "{path} ({accept}) decodes to the file"
            );
        }
    }
    let res = get_with(&app, &wasm, Some("br")).await;
    assert_eq!(header(&res, CONTENT_TYPE).as_deref(), Some("application/wasm"));
}

#[tokio::test]
async fn files_are_plain_for_clients_that_do_not_accept_compression() {
    let app = TestApp::spawn().await;
    let (js, wasm, css) = linked_assets(&app).await;
    for path in [&js, &wasm, &css] {
        let plain = std::fs::read(site().join(path.trim_start_matches('/'))).unwrap();
        for accept in [None, Some("identity"), Some("br;q=0, gzip;q=0")] {
            let res = get_with(&app, path, accept).await;
            assert_eq!(res.status(), StatusCode::OK, "{path} ({accept:?})");
            assert_eq!(header(&res, CONTENT_ENCODING), None, "{path} ({accept:?})");
            assert_eq!(
                header(&res, CACHE_CONTROL).as_deref(),
                Some(YEAR),
                "{path} ({accept:?})"
            );
            assert!(res.bytes().await.unwrap() == plain, "{path} ({accept:?}) is the file");
        }
    }
}

#[tokio::test]
async fn favicon_and_logo_are_served_and_asked_again_each_time() {
    let app = TestApp::spawn().await;
    let html = Browser::new(&app).get("/login").await.text().await.unwrap();
    assert!(
        html.contains(r#"<link rel="icon" href="/favicon.svg""#),
        "the shell links the favicon"
    );
    for (path, content_type) in [
        ("/favicon.svg", "image/svg+xml"),
        ("/favicon.ico", "image/x-icon"),
        ("/logo.svg", "image/svg+xml"),
    ] {
        let res = get_with(&app, path, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&res, CONTENT_TYPE).as_deref(), Some(content_type), "{path}");
        assert_eq!(header(&res, CACHE_CONTROL).as_deref(), Some("no-cache"), "{path}");
        let modified = header(&res, reqwest::header::LAST_MODIFIED).expect("a Last-Modified");
        let file = std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../public")
                .join(&path[1..]),
        )
        .unwrap();
        assert!(res.bytes().await.unwrap() == file, "{path} is public{path}");
        let again = reqwest::Client::new()
            .get(format!("{}{path}", app.url))
            .header(reqwest::header::IF_MODIFIED_SINCE, modified)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path} revalidates");
    }
    let svg = get_with(&app, "/favicon.svg", Some("gzip")).await;
    assert_eq!(
        header(&svg, CONTENT_ENCODING).as_deref(),
        Some("gzip"),
        "SVG is compressed too"
    );
}

#[tokio::test]
async fn missing_files_get_the_not_found_page_without_a_long_cache() {
    let app = TestApp::spawn().await;
    for path in [
        "/pkg/switchboard.AAAAAAAAAAAAAAAAAAAAAA.js",
        "/nothing-here.svg",
        "/pkg",
    ] {
        let res = get_with(&app, path, Some("br")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert_ne!(header(&res, CACHE_CONTROL).as_deref(), Some(YEAR), "{path}");
        assert!(
            res.text().await.unwrap().contains("<html"),
            "{path}: the app's 404 page"
        );
    }
}

#[tokio::test]
async fn live_events_are_never_compressed() {
    let app = TestApp::spawn().await;
    let pw = app.user("alex", &[Role::Agent]).await;
    let b = Browser::signed_in(&app, "alex", &pw).await;
    let res = tokio::time::timeout(
        HANG_GUARD,
        b.client
            .get(b.url("/api/events"))
            .header(ACCEPT_ENCODING, "br, gzip")
            .send(),
    )
    .await
    .expect("the headers arrive")
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, CONTENT_TYPE).as_deref(), Some("text/event-stream"));
    assert_eq!(
        header(&res, CONTENT_ENCODING),
        None,
        "an SSE stream is sent as it is written"
    );
}
