//! Embedded assets (being written).
