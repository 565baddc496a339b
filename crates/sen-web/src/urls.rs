//! The public addresses of things, and the strict reading of numbers in paths and queries.

pub fn article_path(slug: &str, id: i64) -> String {
    format!("/tin/{slug}-{id}.html")
}

pub fn category_path(slug: &str) -> String {
    format!("/chuyen-muc/{slug}")
}

pub fn tag_path(slug: &str) -> String {
    format!("/the/{slug}")
}

pub fn page_path(slug: &str) -> String {
    format!("/trang/{slug}")
}

pub fn print_path(id: i64) -> String {
    format!("/in/{id}")
}

/// A whole number above zero written plainly: ASCII digits only, no sign, no spaces, no leading zero.
/// Pages and the API read every id and page number through here, so `+1`, ` 1` and `01` are refused
/// everywhere alike.
pub fn positive(text: &str) -> Option<i64> {
    let plain =
        !text.is_empty() && !text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit());
    if !plain {
        return None;
    }
    text.parse().ok()
}

/// Splits `slug-123.html` into the slug and the id.
pub fn parse_article_file(file: &str) -> Option<(&str, i64)> {
    let stem = file.strip_suffix(".html").unwrap_or(file);
    match stem.rsplit_once('-') {
        Some((slug, id)) => Some((slug, positive(id)?)),
        None => Some(("", positive(stem)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_files_parse() {
        assert_eq!(
            parse_article_file("ke-hoach-165-12.html"),
            Some(("ke-hoach-165", 12))
        );
        assert_eq!(parse_article_file("ke-hoach-12"), Some(("ke-hoach", 12)));
        assert_eq!(parse_article_file("12.html"), Some(("", 12)));
        assert_eq!(parse_article_file("ke-hoach.html"), None);
        assert_eq!(parse_article_file("a-0.html"), None);
        assert_eq!(parse_article_file("a-+1.html"), None);
        assert_eq!(parse_article_file("a-99999999999999999999.html"), None);
    }

    #[test]
    fn numbers_are_read_strictly() {
        assert_eq!(positive("1"), Some(1));
        assert_eq!(positive("120"), Some(120));
        for bad in [
            "",
            "0",
            "01",
            "+1",
            " 1",
            "1 ",
            "-1",
            "1e3",
            "٣",
            "99999999999999999999",
        ] {
            assert_eq!(positive(bad), None, "{bad:?}");
        }
    }
}
