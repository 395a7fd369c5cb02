//! Uploading a recorded video of a module, or linking one.

use super::*;

// ---------------------------------------------------------------------------------------------
// Recorded videos

#[derive(Template)]
#[template(path = "learning/video_upload.html")]
pub(super) struct VideoFormPage {
    pub(super) chrome: Chrome,
    pub(super) module: Module,
    pub(super) video: Option<videos::Video>,
    pub(super) form: FormState,
    pub(super) saved: bool,
    pub(super) max_size: String,
    pub(super) check: Option<CheckSummary>,
}

pub(super) async fn recorded_module(state: &AppState, id: &str) -> Result<Module, AppError> {
    let m = catalogue::module(&state.store, path_id(id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    if m.kind != "recorded_video" {
        return Err(AppError::NotFound);
    }
    Ok(m)
}

pub(super) async fn render_video_form(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    module: Module,
    form: FormState,
    saved: bool,
) -> Result<Response, AppError> {
    let video = videos::get(&state.store, module.id).await?;
    let check = checks::for_module(&state.store, module.id).await?;
    let errors = form.has_errors();
    html(&VideoFormPage {
        chrome: Chrome::new(
            state,
            format!("Recording for {}", module.title),
            Some(user),
            csrf,
            "/training/checks",
        )
        .with_errors(errors),
        module,
        video,
        form,
        saved,
        max_size: crate::csrf::size_text(state.config.max_video_bytes),
        check,
    })
}

pub async fn video_form(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let module = recorded_module(&state, &id).await?;
    let mut form = FormState::default();
    if let Some(v) = videos::get(&state.store, module.id).await? {
        form.set("external_url", v.external_url.unwrap_or_default());
    }
    let saved = query(raw.as_deref(), "saved").is_some();
    render_video_form(&state, &page.user, &page.csrf, module, form, saved).await
}

/// What kind of video the bytes are, from their first bytes (never from the file name alone).
pub fn sniff_video(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Some(("video/mp4", "mp4"));
    }
    if bytes.len() >= 4 && bytes[0..4] == [0x1A, 0x45, 0xDF, 0xA3] {
        return Some(("video/webm", "webm"));
    }
    None
}

pub(super) fn check_url(url: &str) -> Result<(), String> {
    if !url.starts_with("https://") || url.chars().any(char::is_whitespace) || url.len() < 12 {
        return Err(
            "Enter the link to the recording as a web address starting with https://".into(),
        );
    }
    if url.len() > 500 {
        return Err("The link must be 500 characters or fewer".into());
    }
    Ok(())
}

/// How long an upload may stall (no bytes arriving) before it is abandoned.
pub(super) const UPLOAD_STALL: std::time::Duration = std::time::Duration::from_secs(120);

/// A file on disk that is removed when dropped unless kept: a failed, refused or abandoned
/// upload (even a browser going away mid-stream, which drops the handler) leaves nothing behind.
pub(super) struct Upload {
    pub(super) path: std::path::PathBuf,
    pub(super) keep: bool,
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What became of the form's file field.
pub(super) enum Received {
    /// No file chosen.
    Nothing,
    Empty,
    NotVideo,
    TooBig,
    /// The upload stopped before the end (the connection dropped or stalled).
    Broken,
    /// The file is on disk under its final key, not yet recorded.
    Saved {
        file: Upload,
        key: String,
        name: String,
        content_type: &'static str,
        size: u64,
    },
}

/// Streams the file field to a temporary file inside the data directory, checking its first
/// bytes (MP4 or WebM) and its size as it goes, then renames it to its random key. Never holds
/// more than one chunk in memory.
pub(super) async fn receive_video(
    state: &AppState,
    field: &mut axum::extract::multipart::Field<'_>,
    max: u64,
) -> Result<Received, std::io::Error> {
    use tokio::io::AsyncWriteExt;
    let name = field.file_name().unwrap_or_default().to_string();
    let dir = state.config.data_dir.join("videos");
    tokio::fs::create_dir_all(&dir).await?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut upload = Upload {
        path: dir.join(format!(".upload-{id}.part")),
        keep: false,
    };
    let mut out = tokio::fs::File::create(&upload.path).await?;
    let mut head: Vec<u8> = Vec::with_capacity(16);
    let mut kind = None;
    let mut size = 0u64;
    loop {
        let chunk = match tokio::time::timeout(UPLOAD_STALL, field.chunk()).await {
            Ok(Ok(Some(c))) => c,
            Ok(Ok(None)) => break,
            Ok(Err(_)) | Err(_) => return Ok(Received::Broken),
        };
        size += chunk.len() as u64;
        if size > max {
            return Ok(Received::TooBig);
        }
        if kind.is_none() {
            head.extend_from_slice(&chunk[..chunk.len().min(16 - head.len().min(16))]);
            if head.len() >= 12 {
                match sniff_video(&head) {
                    Some(k) => kind = Some(k),
                    None => return Ok(Received::NotVideo),
                }
            }
        }
        out.write_all(&chunk).await?;
    }
    if size == 0 {
        return Ok(if name.is_empty() {
            Received::Nothing
        } else {
            Received::Empty
        });
    }
    let Some((content_type, ext)) = kind.or_else(|| sniff_video(&head)) else {
        return Ok(Received::NotVideo);
    };
    out.flush().await?;
    out.sync_all().await?;
    drop(out);
    let key = format!("videos/{id}.{ext}");
    let path = state.config.data_dir.join(&key);
    tokio::fs::rename(&upload.path, &path).await?;
    upload.path = path;
    let name: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    Ok(Received::Saved {
        file: upload,
        key,
        name,
        content_type,
        size,
    })
}

/// Reads the rest of a form we stopped reading, for a while, so the browser sees our answer
/// rather than a reset connection.
pub(super) fn drain(mut multipart: Multipart) {
    tokio::spawn(async move {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while let Ok(Some(mut f)) = multipart.next_field().await {
                while let Ok(Some(_)) = f.chunk().await {}
            }
        })
        .await;
    });
}

pub async fn video_upload(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let module = recorded_module(&state, &id).await?;
    let max = state.config.max_video_bytes;
    let mut url = String::new();
    let mut received = Received::Nothing;
    let mut broken = false;
    loop {
        let mut f = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                broken = true;
                break;
            }
        };
        match f.name() {
            Some("external_url") => {
                let mut text = Vec::new();
                while let Ok(Some(chunk)) = f.chunk().await {
                    if text.len() + chunk.len() > 4096 {
                        break;
                    }
                    text.extend_from_slice(&chunk);
                }
                url = String::from_utf8_lossy(&text).trim().to_string();
            }
            Some("file") if matches!(received, Received::Nothing) => {
                received = match receive_video(&state, &mut f, max).await {
                    Ok(r) => r,
                    Err(e) => {
                        let id = crate::error::log_internal(&format!("video write: {e}"));
                        return Err(AppError::BadRequest(format!(
                            "The video could not be saved on the server (reference {id}). Ask an administrator to check the data directory and the free space on its disk. Nothing was saved."
                        )));
                    }
                };
                if !matches!(
                    received,
                    Received::Saved { .. } | Received::Nothing | Received::Empty
                ) {
                    break;
                }
            }
            _ => {}
        }
    }
    let mut form = FormState::default();
    form.set("external_url", url.clone());
    let mut file = None;
    let source = match received {
        Received::TooBig => {
            drain(multipart);
            form.add_error(
                "file",
                format!(
                    "The file is too large: it must be {} or smaller. For a longer recording, put it on the force's video host and give the link instead.",
                    crate::csrf::size_text(max)
                ),
            );
            None
        }
        Received::NotVideo => {
            drain(multipart);
            form.add_error("file", "The file must be an MP4 or WebM video");
            None
        }
        Received::Broken => {
            form.add_error(
                "file",
                "The upload stopped before the whole file arrived, so nothing was saved. Check the connection and choose the file again.",
            );
            None
        }
        Received::Empty => {
            form.add_error("file", "The selected file is empty");
            None
        }
        Received::Saved {
            file: upload,
            key,
            name,
            content_type,
            size,
        } => {
            file = Some(upload);
            Some(Source::File {
                file_name: name,
                content_type: content_type.into(),
                size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
                storage_key: key,
            })
        }
        Received::Nothing if broken => {
            form.add_error(
                "file",
                "The upload stopped before the whole form arrived, so nothing was saved. Try again.",
            );
            None
        }
        Received::Nothing if !url.is_empty() => match check_url(&url) {
            Ok(()) => Some(Source::External { url: url.clone() }),
            Err(m) => {
                form.add_error("external_url", m);
                None
            }
        },
        Received::Nothing => {
            form.add_error(
                "external_url",
                "Give the link to the recording on the force's video host, or choose a video file to upload",
            );
            None
        }
    };
    let Some(source) = source else {
        return render_video_form(&state, &page.user, &page.csrf, module, form, false).await;
    };
    // One transaction records the file; if it fails, the guard removes the file.
    let old = videos::set(&state.store, &page.user.actor(), module.id, &source).await?;
    if let Some(mut f) = file {
        f.keep = true;
    }
    if let Some(old) = old.filter(|k| !k.contains("..")) {
        let _ = tokio::fs::remove_file(state.config.data_dir.join(old)).await;
    }
    Ok(Redirect::to(&format!("/training/modules/{}/video?saved=1", module.id)).into_response())
}
