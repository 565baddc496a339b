//! The domain of sen: content types, Vietnamese text handling and validation. No I/O lives here.

pub mod domain;
pub mod format;
pub mod text;

pub use domain::*;
