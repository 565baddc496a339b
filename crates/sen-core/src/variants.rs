//! The resized copies of the library's images: their widths, their addresses, and the `srcset`
//! that lets a reader's browser pick the smallest that fills its screen. An image stored under
//! `/media/{stem}.{ext}` has its variants under `/media/{stem}.w{width}.jpg`; a width the image
//! is too narrow for answers the original, so every listed candidate exists.

/// The widths of the variants.
pub const WIDTHS: [u32; 4] = [320, 640, 1024, 1600];

/// What an article's images are shown at: the column's width on a wide screen, the screen's on a
/// phone.
pub const BODY_SIZES: &str = "(max-width: 800px) 100vw, 760px";

const IMAGE_EXTENSIONS: [&str; 5] = ["jpg", "jpeg", "png", "webp", "gif"];

/// The key of the `width`-pixel variant of the file stored under `key`.
pub fn variant_key(key: &str, width: u32) -> String {
    let stem = key.rsplit_once('.').map_or(key, |(s, _)| s);
    format!("{stem}.w{width}.jpg")
}

/// The key of the WebP twin of a variant (`….w640.webp`): the same picture, served in its place to
/// browsers that take WebP, so pages name one address per width.
pub fn webp_variant_key(key: &str, width: u32) -> String {
    let stem = key.rsplit_once('.').map_or(key, |(s, _)| s);
    format!("{stem}.w{width}.webp")
}

/// The `srcset` of an image at `url`, when it is one of the library's (`/media/…` with an image
/// extension, not itself a variant).
pub fn srcset(url: &str) -> Option<String> {
    let key = url.strip_prefix("/media/")?;
    let (stem, ext) = key.rsplit_once('.')?;
    if !IMAGE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
        || stem
            .rsplit_once(".w")
            .is_some_and(|(_, w)| w.parse::<u32>().is_ok())
        || key.contains(['"', '<', '>', ' ', ','])
    {
        return None;
    }
    // Built in one buffer: every card of a page asks for one, so it stays off the formatter.
    let mut set = String::with_capacity(WIDTHS.len() * (stem.len() + 24));
    for (i, width) in WIDTH_NAMES.iter().enumerate() {
        if i > 0 {
            set.push_str(", ");
        }
        for part in ["/media/", stem, ".w", width, ".jpg ", width, "w"] {
            set.push_str(part);
        }
    }
    Some(set)
}

/// [`WIDTHS`] as written in addresses (a test holds them to [`variant_key`]'s).
const WIDTH_NAMES: [&str; 4] = ["320", "640", "1024", "1600"];

/// Sanitised HTML with `srcset` and `sizes` on each `<img>` of the library, so articles' images
/// come in the size the reader's screen needs. Runs after the sanitiser (which removes any
/// `srcset` an author wrote), so only these are there.
pub fn with_srcset(html: &str) -> String {
    const OPEN: &str = "<img src=\"";
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    while let Some(at) = rest.find(OPEN) {
        let src_start = at + OPEN.len();
        out.push_str(&rest[..src_start]);
        rest = &rest[src_start..];
        let Some(end) = rest.find('"') else {
            break;
        };
        let src = &rest[..end];
        out.push_str(src);
        out.push('"');
        rest = &rest[end + 1..];
        if let Some(set) = srcset(src) {
            out.push_str(&format!(" srcset=\"{set}\" sizes=\"{BODY_SIZES}\""));
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srcset_names_each_variant_at_its_width() {
        // `srcset` writes the addresses itself (it is on every card); they are `variant_key`'s.
        let key = "ab12-anh.png";
        let expected: Vec<String> = WIDTHS
            .iter()
            .map(|w| format!("/media/{} {w}w", variant_key(key, *w)))
            .collect();
        assert_eq!(srcset(&format!("/media/{key}")), Some(expected.join(", ")));
    }

    #[test]
    fn library_images_get_their_variants() {
        assert_eq!(
            srcset("/media/ab12-anh.png").as_deref(),
            Some(
                "/media/ab12-anh.w320.jpg 320w, /media/ab12-anh.w640.jpg 640w, \
                 /media/ab12-anh.w1024.jpg 1024w, /media/ab12-anh.w1600.jpg 1600w"
            )
        );
        for not in [
            "https://example.vn/a.jpg",
            "/media/ab12-ke-hoach.pdf",
            "/media/ab12-anh.w640.jpg",
            "/static/logo.svg",
        ] {
            assert_eq!(srcset(not), None, "{not}");
        }
    }

    #[test]
    fn bodies_get_srcset_on_library_images_only() {
        let body = "<p>a</p><img src=\"/media/ab-anh.jpg\" alt=\"Ảnh\"><img src=\"https://x.vn/b.jpg\" alt=\"\">";
        let out = with_srcset(body);
        assert!(out.starts_with(
            "<p>a</p><img src=\"/media/ab-anh.jpg\" srcset=\"/media/ab-anh.w320.jpg 320w"
        ));
        assert!(out.contains("sizes=\"(max-width: 800px) 100vw, 760px\" alt=\"Ảnh\">"));
        assert!(out.ends_with("<img src=\"https://x.vn/b.jpg\" alt=\"\">"));
        assert_eq!(with_srcset("<p>no images</p>"), "<p>no images</p>");
    }
}
