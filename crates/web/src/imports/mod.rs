//! The one import pipeline's web half, shared by every screen that takes an uploaded file
//! (people, training and CPD, the register's four files, the history files): reading the upload
//! form, the stash of uploads waiting between steps, reading a file off the async threads, the
//! column-mapping step (suggest, load a saved mapping, choose, save) with its one template,
//! `imports/mapping.html`, and the one set of upload, preview and commit handlers with the one
//! preview and result template, `imports/preview.html` (`pipeline.rs`). Each capability keeps
//! only its routes, its upload form and an [`ImportKinds`] implementation: its kinds' field
//! lists and row rules. Shared infrastructure: imports no capability.

mod mapping;
mod parse;
mod pipeline;
mod stash;
mod upload;

pub use mapping::{mapping_screen, mapping_step, MappingScreen, MappingStep, Step};
pub use parse::{off_thread, MAX_PARSING};
pub use pipeline::{
    audit_check, commit, preview, upload, Checked, File, Head, ImportKinds, Outcome, Report,
    RowView, Rows, MAX_ROWS_SHOWN,
};
pub use stash::{
    PendingUpload, StashFull, UploadStash, DEFAULT_MAX_PENDING_BYTES, UPLOAD_LIFETIME,
};
pub use upload::{read_upload, Upload};

/// What an import page says when the upload it continues is gone.
pub const EXPIRED: &str = "That upload has expired or was already imported. Upload the file again";
