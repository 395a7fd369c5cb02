//! Reading an upload form: what the file holds (`kind`, where the form asks) and the file.

use crate::error::AppError;
use axum::extract::Multipart;

/// An upload form as sent.
#[derive(Debug, Default)]
pub struct Upload {
    /// The `kind` field, trimmed ("" when the form has none).
    pub kind: String,
    /// The file's name (control characters dropped, at most 120 characters) and bytes; `None`
    /// when no file was chosen.
    pub file: Option<(String, Vec<u8>)>,
}

/// Reads the `kind` and `file` fields of a multipart upload form.
pub async fn read_upload(mut multipart: Multipart) -> Result<Upload, AppError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("The upload could not be read: {e}"))
    };
    let mut upload = Upload::default();
    while let Some(part) = multipart.next_field().await.map_err(unreadable)? {
        match part.name() {
            Some("kind") => upload.kind = part.text().await.map_err(unreadable)?.trim().into(),
            Some("file") => {
                let name = part.file_name().unwrap_or("upload").to_string();
                let bytes = part.bytes().await.map_err(unreadable)?;
                upload.file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    upload.file = upload
        .file
        .filter(|(n, b)| !n.is_empty() || !b.is_empty())
        .map(|(name, bytes)| {
            let name = name.chars().filter(|c| !c.is_control()).take(120).collect();
            (name, bytes)
        });
    Ok(upload)
}
