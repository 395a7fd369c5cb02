//! The one import pipeline's web half, shared by every screen that takes an uploaded file
//! (people, training and CPD, the register's four files, the history files): reading the upload
//! form, the stash of uploads waiting between steps, reading a file off the async threads, and
//! the column-mapping step (suggest, load a saved mapping, choose, save) with its one template,
//! `imports/mapping.html`. Each capability keeps only its routes and what its kind shows on the
//! preview. Shared infrastructure: imports no capability.

mod mapping;
mod parse;
mod pipeline;
mod stash;
mod upload;

pub use mapping::{mapping_screen, mapping_step, MappingScreen, MappingStep, Step};
pub use pipeline::{
    audit_check, commit, preview, upload, Checked, File, Head, ImportKinds, Outcome, Report, RowView,
    Rows, MAX_ROWS_SHOWN,
};
pub use parse::{off_thread, MAX_PARSING};
pub use stash::{
    PendingUpload, StashFull, UploadStash, DEFAULT_MAX_PENDING_BYTES, UPLOAD_LIFETIME,
};
pub use upload::{read_upload, Upload};

/// What an import page says when the upload it continues is gone.
pub const EXPIRED: &str = "That upload has expired or was already imported. Upload the file again";
