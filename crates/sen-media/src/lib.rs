//! Media files: what they are (decided from their bytes), images made safe to publish with their
//! variants, the keys they are stored under, and the object storage behind one interface (a
//! directory under the data directory, or any S3-compatible service that several nodes share).

pub mod kind;
pub mod naming;
pub mod picture;
pub mod storage;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

pub use kind::{Class, Kind, SNIFF_BYTES, sniff};
pub use naming::{media_key, variant_key, webp_variant_key};
pub use picture::{ImageLimits, Prepared, VARIANT_WIDTHS, Variant};
pub use storage::{Fetched, Storage, StorageConfig};

/// Why a file is refused or can't be stored. Each names what the person can do about it.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "this kind of file is not accepted: send JPEG, PNG, WebP, GIF, PDF, DOCX, XLSX, PPTX, MP3, MP4 or WebM"
    )]
    Unknown,
    #[error(
        "{0} files are not accepted: save the file as JPEG (or PDF, DOCX, MP3, MP4) and send it again"
    )]
    Unsupported(&'static str),
    #[error("the file is not an image")]
    NotAnImage,
    #[error("the file is damaged or cut short: {0}")]
    Corrupt(String),
    #[error(
        "the image is {width} × {height} pixels, more than the {max_pixels} allowed: make it smaller and send it again"
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    #[error("the file is larger than the {limit} bytes allowed for its kind")]
    TooLarge { limit: u64 },
    #[error("no such file in the storage")]
    NotFound,
    #[error("the media storage is not set up right: {0}")]
    Config(String),
    #[error("the media storage failed: {0}")]
    Storage(String),
}

impl MediaError {
    /// A short stable name of the reason, for a message catalogue to say it in people's words.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Unknown => "unknown",
            Self::Unsupported(_) => "unsupported",
            Self::NotAnImage => "not_an_image",
            Self::Corrupt(_) => "corrupt",
            Self::TooManyPixels { .. } => "too_many_pixels",
            Self::TooLarge { .. } => "too_large",
            Self::NotFound => "not_found",
            Self::Config(_) | Self::Storage(_) => "storage",
        }
    }
}

impl From<object_store::Error> for MediaError {
    fn from(err: object_store::Error) -> Self {
        match err {
            object_store::Error::NotFound { .. } => Self::NotFound,
            other => Self::Storage(other.to_string()),
        }
    }
}
