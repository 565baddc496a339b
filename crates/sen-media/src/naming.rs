//! The keys files are stored under: the content's hash first, so a key names one content for
//! ever (and may be cached for ever), then a readable name.

use crate::Kind;

/// The key of a file with content hash `sha256_hex`, uploaded as `original_name`.
pub fn media_key(sha256_hex: &str, original_name: &str, kind: Kind) -> String {
    let stem = original_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
    let mut name = sen_core::text::slugify(stem);
    name.truncate(60);
    let name = name.trim_end_matches('-');
    let name = if name.is_empty() { "tep" } else { name };
    let hash = sha256_hex.get(..16).unwrap_or(sha256_hex);
    // One flat name: a key is one path segment, in URLs and in the API's paths alike.
    format!("{hash}-{name}.{}", kind.extension())
}

pub use sen_core::variants::{variant_key, webp_variant_key};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_start_with_the_hash_and_read_well() {
        let hash = "3fa1b2c4d5e6f7081122334455667788";
        assert_eq!(
            media_key(hash, "Ảnh Hội nghị tổng kết.JPG", Kind::Jpeg),
            "3fa1b2c4d5e6f708-anh-hoi-nghi-tong-ket.jpg"
        );
        assert_eq!(
            media_key(hash, "C:\\Users\\a\\Kế hoạch 165-KH.pdf", Kind::Pdf),
            "3fa1b2c4d5e6f708-ke-hoach-165-kh.pdf"
        );
        assert_eq!(
            media_key(hash, "....", Kind::Png),
            "3fa1b2c4d5e6f708-tep.png"
        );
        assert_eq!(
            variant_key("3fa1b2c4d5e6f708-anh.png", 640),
            "3fa1b2c4d5e6f708-anh.w640.jpg"
        );
    }
}
