//! Vietnamese-aware text handling: NFC normalisation, diacritic folding and slugs.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark, is_nfc_quick};

/// Characters sen reserves for live-value markers in rendered pages; they never enter stored text.
const RESERVED: [char; 2] = ['\u{1}', '\u{2}'];

/// Normalises text to NFC where it enters the system and drops control characters that have no place in
/// content (keeping tab and newlines).
pub fn clean(input: &str) -> String {
    let needs_filter = input
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r') || RESERVED.contains(&c));
    let filtered: std::borrow::Cow<'_, str> = if needs_filter {
        input
            .chars()
            .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
            .collect::<String>()
            .into()
    } else {
        input.into()
    };
    if is_nfc_quick(filtered.chars()) == unicode_normalization::IsNormalized::Yes {
        filtered.into_owned()
    } else {
        filtered.nfc().collect()
    }
}

/// Like [`clean`], and also trims the ends and collapses runs of whitespace: for one-line fields.
pub fn clean_line(input: &str) -> String {
    clean(input)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Folds Vietnamese (and other Latin) letters to ASCII: removes diacritics and maps `đ`/`Đ` to `d`/`D`,
/// and the look-alike `ð`/`Ð` that text converted from old Vietnamese encodings carries in their place.
pub fn fold(input: &str) -> String {
    input
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'ð' => 'd',
            'Đ' | 'Ð' => 'D',
            _ => c,
        })
        .collect()
}

/// A URL slug: folded, lower-case ASCII letters and digits joined by single hyphens.
///
/// `Kế hoạch thực hiện Kết luận 52/2019` becomes `ke-hoach-thuc-hien-ket-luan-52-2019`.
pub fn slugify(input: &str) -> String {
    let mut slug = String::with_capacity(input.len());
    let mut pending_hyphen = false;
    for c in fold(input).chars() {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !slug.is_empty() {
                slug.push('-');
            }
            pending_hyphen = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            pending_hyphen = true;
        }
    }
    truncate_slug(slug, 120)
}

fn truncate_slug(slug: String, max: usize) -> String {
    if slug.len() <= max {
        return slug;
    }
    // Cut at the last hyphen before the limit so no word is split.
    let cut = slug[..max].rfind('-').unwrap_or(max);
    slug[..cut].to_string()
}

/// Whether a string is a well-formed slug as [`slugify`] produces it.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 120
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// Plain text from an HTML fragment, for summaries and meta descriptions.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    clean_line(&decoded)
}

/// Shortens text to at most `max` characters at a word boundary, adding an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max).collect();
    if let Some(pos) = cut.rfind(' ') {
        cut.truncate(pos);
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_fold_vietnamese() {
        assert_eq!(
            slugify("Kế hoạch thực hiện Kết luận 52/2019"),
            "ke-hoach-thuc-hien-ket-luan-52-2019"
        );
        assert_eq!(slugify("Đoàn đại biểu ĐẠI HỘI"), "doan-dai-bieu-dai-hoi");
        assert_eq!(slugify("  --Hà Nội!!  "), "ha-noi");
        assert_eq!(slugify("165-KH/TU"), "165-kh-tu");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn slugs_of_nfd_input_match_nfc() {
        let nfd: String = "Thừa Thiên Huế".nfd().collect();
        assert_eq!(slugify(&nfd), "thua-thien-hue");
    }

    #[test]
    fn long_slugs_are_cut_at_a_word() {
        let long = "từ ".repeat(100);
        let slug = slugify(&long);
        assert!(slug.len() <= 120);
        assert!(!slug.ends_with('-'));
        assert!(is_slug(&slug));
    }

    #[test]
    fn clean_normalises_to_nfc_and_drops_controls() {
        let nfd: String = "Hội Nhà báo".nfd().collect();
        assert_ne!(nfd, "Hội Nhà báo");
        assert_eq!(clean(&nfd), "Hội Nhà báo");
        assert_eq!(clean("a\u{1}b\u{2}c\u{7}\n"), "abc\n");
        assert_eq!(clean_line("  một   hai\n ba "), "một hai ba");
    }

    #[test]
    fn fold_removes_marks() {
        assert_eq!(fold("Đồng bằng sông Cửu Long"), "Dong bang song Cuu Long");
    }

    #[test]
    fn eth_folds_like_d_bar() {
        // Text converted from old Vietnamese encodings (TCVN3, VNI) often has Ð/ð (U+00D0/U+00F0)
        // where Đ/đ (U+0110/U+0111) was meant.
        assert_eq!(fold("\u{D0}ại hội \u{F0}oàn"), "Dai hoi doan");
        assert_eq!(slugify("\u{D0}ại hội \u{F0}oàn"), "dai-hoi-doan");
    }

    #[test]
    fn strip_and_shorten() {
        assert_eq!(
            strip_tags("<p>Xin <b>chào</b> &amp; hẹn gặp</p>"),
            "Xin chào & hẹn gặp"
        );
        assert_eq!(shorten("một hai ba bốn", 9), "một hai…");
        assert_eq!(shorten("ngắn", 10), "ngắn");
    }

    #[test]
    fn slug_validation() {
        assert!(is_slug("tin-hoat-dong"));
        assert!(!is_slug("Tin"));
        assert!(!is_slug("a--b"));
        assert!(!is_slug("-a"));
        assert!(!is_slug(""));
    }
}
