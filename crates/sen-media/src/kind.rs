//! What a file is, decided from its first bytes, never from its name or the type its sender
//! declared. Only the kinds a portal publishes are accepted.

use crate::MediaError;

/// How many leading bytes [`sniff`] needs to decide (an Office file names its parts a few
/// kilobytes in).
pub const SNIFF_BYTES: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Gif,
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    Mp3,
    Mp4,
    Webm,
}

/// What a kind is for: it decides the size limit, whether variants are made, and how it is
/// inserted into an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Image,
    Document,
    Audio,
    Video,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Document => "document",
            Self::Audio => "audio",
            Self::Video => "video",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Image, Self::Document, Self::Audio, Self::Video]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Self::Jpeg,
        Self::Png,
        Self::Webp,
        Self::Gif,
        Self::Pdf,
        Self::Docx,
        Self::Xlsx,
        Self::Pptx,
        Self::Mp3,
        Self::Mp4,
        Self::Webm,
    ];

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Self::Mp3 => "audio/mpeg",
            Self::Mp4 => "video/mp4",
            Self::Webm => "video/webm",
        }
    }

    /// The file name extension the stored key ends with.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Gif => "gif",
            Self::Pdf => "pdf",
            Self::Docx => "docx",
            Self::Xlsx => "xlsx",
            Self::Pptx => "pptx",
            Self::Mp3 => "mp3",
            Self::Mp4 => "mp4",
            Self::Webm => "webm",
        }
    }

    pub fn from_content_type(content_type: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.content_type() == content_type)
    }

    pub fn class(self) -> Class {
        match self {
            Self::Jpeg | Self::Png | Self::Webp | Self::Gif => Class::Image,
            Self::Pdf | Self::Docx | Self::Xlsx | Self::Pptx => Class::Document,
            Self::Mp3 => Class::Audio,
            Self::Mp4 | Self::Webm => Class::Video,
        }
    }
}

/// The kind of a file from its first bytes (at least [`SNIFF_BYTES`] of them when the file is
/// that long).
pub fn sniff(head: &[u8]) -> Result<Kind, MediaError> {
    use infer::{archive, audio, doc, image, video};
    if head.is_empty() {
        return Err(MediaError::Empty);
    }
    let found = [
        (image::is_jpeg as fn(&[u8]) -> bool, Kind::Jpeg),
        (image::is_png, Kind::Png),
        (image::is_webp, Kind::Webp),
        (image::is_gif, Kind::Gif),
        (archive::is_pdf, Kind::Pdf),
        (doc::is_docx, Kind::Docx),
        (doc::is_xlsx, Kind::Xlsx),
        (doc::is_pptx, Kind::Pptx),
        (is_mp3, Kind::Mp3),
        (video::is_mp4, Kind::Mp4),
        (video::is_webm, Kind::Webm),
    ]
    .into_iter()
    .find(|(matches, _)| matches(head))
    .map(|(_, kind)| kind);
    if let Some(kind) = found {
        return Ok(kind);
    }
    let named = if image::is_heif(head) || image::is_avif(head) {
        Some("HEIC")
    } else if image::is_tiff(head) {
        Some("TIFF")
    } else if image::is_bmp(head) {
        Some("BMP")
    } else if doc::is_doc(head) || doc::is_xls(head) || doc::is_ppt(head) {
        Some("Office 97–2003")
    } else if video::is_mov(head) {
        Some("QuickTime")
    } else if audio::is_m4a(head) || audio::is_wav(head) || audio::is_ogg(head) {
        Some("audio")
    } else {
        None
    };
    Err(match named {
        Some(format) => MediaError::Unsupported(format),
        None => MediaError::Unknown,
    })
}

/// MPEG audio: an ID3 tag, or a frame sync of MPEG-1 or -2 layer III.
fn is_mp3(buf: &[u8]) -> bool {
    buf.starts_with(b"ID3")
        || (buf.len() > 2 && buf[0] == 0xFF && matches!(buf[1], 0xFB | 0xFA | 0xF3 | 0xF2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_bytes() {
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0").ok(),
            Some(Kind::Jpeg)
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").ok(),
            Some(Kind::Png)
        );
        assert_eq!(sniff(b"%PDF-1.7\n").ok(), Some(Kind::Pdf));
        assert_eq!(sniff(b"ID3\x04\0\0\0\0\0\0").ok(), Some(Kind::Mp3));
        assert_eq!(
            sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81").ok(),
            Some(Kind::Webm)
        );
        assert_eq!(sniff(b"\0\0\0\x20ftypisom\0\0\x02\0").ok(), Some(Kind::Mp4));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0").ok(), Some(Kind::Gif));
    }

    #[test]
    fn what_is_not_accepted_is_named() {
        assert!(matches!(sniff(b""), Err(MediaError::Empty)));
        assert!(matches!(
            sniff(b"<!doctype html><script>alert(1)</script>"),
            Err(MediaError::Unknown)
        ));
        assert!(matches!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
            Err(MediaError::Unsupported("HEIC"))
        ));
        assert!(matches!(
            sniff(b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0"),
            Err(MediaError::Unsupported("BMP"))
        ));
    }

    #[test]
    fn content_types_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_content_type(kind.content_type()), Some(kind));
        }
    }
}
