//! Large recorded-video uploads through the real server, on both databases: the CSRF check of a
//! multipart form reads only up to its token (a wrong, missing or late token is refused and
//! nothing is written), a recording over 20 MB streams through whole, every route keeps its own
//! body limit with a page that names it, and a refused upload leaves no file behind.
//!
//! The memory figure: `cargo nextest run -p mashboard-web -E 'test(/^uploads::/)' --run-ignored
//! only --no-capture` streams a 300 MB recording and prints the peak resident memory (nextest
//! runs each test in a process of its own, so the figure is this test's alone).

use mashboard_domain::Role;
use mashboard_store::audit_trail::Actor;
use mashboard_store::learning::videos;
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::{DbUrl, Store};
use mashboard_web::WebConfig;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};

use crate::common::*;

const MB: usize = 1024 * 1024;

/// The app keeping its files in `TestApp::data`.
async fn spawn(url: &DbUrl) -> TestApp {
    spawn_config(url, WebConfig::default()).await
}

async fn spawn_config(url: &DbUrl, config: WebConfig) -> TestApp {
    let store = Store::open(url).await.unwrap();
    seed(&store).await;
    start_with(store, config, true).await
}

async fn recorded_module(store: &Store) -> i64 {
    catalogue::create_module(
        store,
        &Actor::system(),
        &ModuleInput {
            code: "SG-REC".into(),
            title: "Safeguarding input (recorded)".into(),
            summary: "The three-hour recorded input".into(),
            kind: "recorded_video".into(),
            status: "live".into(),
            duration_minutes: 180,
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap()
    .id
}

/// An MP4 of `len` bytes: a real `ftyp` box, then a pattern.
fn mp4(len: usize) -> Vec<u8> {
    let mut v = vec![0u8, 0, 0, 0x18];
    v.extend_from_slice(b"ftypisom");
    v.extend((0..len.saturating_sub(12)).map(|i| (i % 251) as u8));
    v
}

/// Everything under the data directory's `videos/` (temporary files included).
fn files_in(app: &TestApp) -> Vec<String> {
    match std::fs::read_dir(app.data.path().join("videos")) {
        Ok(dir) => dir
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

async fn send(app: &TestApp, c: &Client, module: i64, form: Form) -> (StatusCode, String) {
    let r = c
        .post(app.url(&format!("/training/modules/{module}/video")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.text().await.unwrap())
}

fn video_part(bytes: Vec<u8>) -> Part {
    Part::bytes(bytes)
        .file_name("safeguarding input.mp4")
        .mime_str("video/mp4")
        .unwrap()
}

async fn nothing_written(app: &TestApp, module: i64) {
    assert!(videos::get(&app.store, module).await.unwrap().is_none());
    assert_eq!(files_in(app), Vec::<String>::new());
}

#[tokio::test]
async fn a_multipart_form_with_a_wrong_missing_or_late_token_is_refused_and_nothing_is_written() {
    on_both!(|app| {
        let module = recorded_module(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let token = app.csrf_token(&trainer).await;

        // A token of the right shape that is not this session's.
        let form = Form::new()
            .text("csrf_token", "0".repeat(64))
            .part("file", video_part(mp4(200_000)));
        let (s, html) = send(&app, &trainer, module, form).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert!(html.contains("This form has expired"), "{html}");
        nothing_written(&app, module).await;

        // No token at all.
        let form = Form::new().part("file", video_part(mp4(200_000)));
        let (s, _) = send(&app, &trainer, module, form).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        nothing_written(&app, module).await;

        // The right token, but after 100 KB of another field: not read that far.
        let form = Form::new()
            .text("external_url", "x".repeat(100 * 1024))
            .text("csrf_token", token.clone())
            .part("file", video_part(mp4(1000)));
        let (s, _) = send(&app, &trainer, module, form).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        nothing_written(&app, module).await;

        // The right token after a short field is found, and the fields before it still reach
        // the handler (here a link, which the handler reads).
        let form = Form::new()
            .text(
                "external_url",
                "https://video.example.police.uk/watch/safeguarding-input",
            )
            .text("csrf_token", token);
        let (s, _) = send(&app, &trainer, module, form).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let v = videos::get(&app.store, module).await.unwrap().unwrap();
        assert_eq!(
            v.external_url.as_deref(),
            Some("https://video.example.police.uk/watch/safeguarding-input")
        );
    });
}

#[tokio::test]
async fn a_recording_larger_than_20_mb_streams_through_and_is_kept_whole() {
    on_both!(|app| {
        let module = recorded_module(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let video = mp4(25 * MB + 123);
        let form = Form::new()
            .text("csrf_token", app.csrf_token(&trainer).await)
            .text("external_url", "")
            .part("file", video_part(video.clone()));
        let (s, html) = send(&app, &trainer, module, form).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{html}");
        let v = videos::get(&app.store, module).await.unwrap().unwrap();
        assert_eq!(v.size_bytes, Some(video.len() as i64));
        assert_eq!(v.content_type.as_deref(), Some("video/mp4"));
        let key = v.storage_key.unwrap();
        assert!(std::fs::read(app.data.path().join(&key)).unwrap() == video);
        // Only the recording itself is left: no temporary file.
        assert_eq!(files_in(&app), vec![key.trim_start_matches("videos/")]);
        // Players can still seek in it.
        let r = trainer
            .get(app.url(&format!("/training/modules/{module}/video/file")))
            .header(reqwest::header::RANGE, "bytes=24000000-24000099")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            &video[24_000_000..24_000_100]
        );
        // The form says how large a recording may be.
        let (_, html) = app
            .get(&trainer, &format!("/training/modules/{module}/video"))
            .await;
        assert!(html.contains("MP4 or WebM, 4 GB or smaller"), "{html}");
    });
}

#[tokio::test]
async fn a_body_over_its_routes_limit_is_refused_in_words_and_leaves_nothing() {
    let config = WebConfig {
        max_video_bytes: MB as u64,
        ..Default::default()
    };
    on_both!(config.clone(), |app| {
        let module = recorded_module(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let token = app.csrf_token(&trainer).await;

        // Far over the configured limit: refused before it is read, naming the limit.
        let form = Form::new()
            .text("csrf_token", token.clone())
            .part("file", video_part(mp4(3 * MB)));
        let (s, html) = send(&app, &trainer, module, form).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(
            html.contains("recordings must be 1 MB or smaller"),
            "{html}"
        );
        assert!(html.contains("govuk-"), "a GOV.UK page: {html}");
        nothing_written(&app, module).await;

        // Just over: the body fits, the file does not; the handler stops and removes it.
        let form = Form::new()
            .text("csrf_token", token.clone())
            .part("file", video_part(mp4(MB + 10)));
        let (s, html) = send(&app, &trainer, module, form).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("it must be 1 MB or smaller"), "{html}");
        nothing_written(&app, module).await;

        // Not a video, whatever its name: refused from its first bytes, nothing kept.
        let form = Form::new().text("csrf_token", token.clone()).part(
            "file",
            Part::bytes(vec![b'A'; 500_000]).file_name("recording.mp4"),
        );
        let (s, html) = send(&app, &trainer, module, form).await;
        assert_eq!(s, StatusCode::OK, "{html}");
        assert!(html.contains("must be an MP4 or WebM video"), "{html}");
        nothing_written(&app, module).await;

        // A WebM within the limit is kept.
        let mut webm = vec![0x1A, 0x45, 0xDF, 0xA3];
        webm.extend(std::iter::repeat_n(7u8, 300_000));
        let form = Form::new()
            .text("csrf_token", token.clone())
            .part("file", Part::bytes(webm.clone()).file_name("input.webm"));
        let (s, _) = send(&app, &trainer, module, form).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let v = videos::get(&app.store, module).await.unwrap().unwrap();
        assert_eq!(v.content_type.as_deref(), Some("video/webm"));
        assert!(v.storage_key.unwrap().ends_with(".webm"));

        // Every other route keeps 20 MB, multipart or URL-encoded.
        let form = Form::new().text("csrf_token", token.clone()).part(
            "file",
            Part::bytes(vec![b'a'; 21 * MB]).file_name("people.csv"),
        );
        let r = trainer
            .post(app.url("/people/import"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(r.text().await.unwrap().contains("20 MB or smaller"));
        let big = "x".repeat(21 * MB);
        let r = trainer
            .post(app.url("/account"))
            .form(&[("csrf_token", token.as_str()), ("note", big.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(r.text().await.unwrap().contains("20 MB or smaller"));
    });
}

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Not a timed test: prints the peak resident memory before and after streaming a 300 MB
/// recording through the server (the client generates it chunk by chunk, so the figure is the
/// server's), on SQLite. Run with `--run-ignored only --no-capture`.
#[tokio::test]
#[ignore]
async fn memory_stays_flat_while_a_300_mb_recording_uploads() {
    const SIZE: usize = 300 * MB;
    const CHUNK: usize = 256 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let url = DbUrl::parse(&format!(
        "sqlite://{}",
        dir.path().join("m.sqlite").display()
    ))
    .unwrap();
    let app = spawn(&url).await;
    let module = recorded_module(&app.store).await;
    let trainer = app.signed_in(Role::MashTrainer).await;
    let token = app.csrf_token(&trainer).await;
    let before = vm_hwm_kb();
    let head = mp4(CHUNK);
    let chunks = futures_util::stream::iter((0..SIZE / CHUNK).map(move |i| {
        let chunk = if i == 0 {
            head.clone()
        } else {
            vec![(i % 251) as u8; CHUNK]
        };
        Ok::<Vec<u8>, std::io::Error>(chunk)
    }));
    let part = Part::stream_with_length(reqwest::Body::wrap_stream(chunks), SIZE as u64)
        .file_name("three-hour input.mp4");
    let form = Form::new().text("csrf_token", token).part("file", part);
    let (s, html) = send(&app, &trainer, module, form).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{html}");
    let after = vm_hwm_kb();
    let v = videos::get(&app.store, module).await.unwrap().unwrap();
    assert_eq!(v.size_bytes, Some(SIZE as i64));
    println!(
        "uploaded {} MB: peak RSS {} MB before, {} MB after (growth {} MB)",
        SIZE / MB,
        before / 1024,
        after / 1024,
        (after - before) / 1024
    );
    assert!(
        after - before < 100 * 1024,
        "memory grew by {} kB",
        after - before
    );
}
