//! mashboard's HTTP layer.
pub mod assets;
