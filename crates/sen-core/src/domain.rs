//! Content types and the rules that make them valid.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{format, text};

/// The organisation behind the portal, shown in the header and the legally required footer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Site {
    pub name: String,
    pub short_name: String,
    pub governing_body: String,
    pub tagline: String,
    pub address: String,
    pub phone: String,
    pub fax: String,
    pub email: String,
    pub responsible_person: String,
    pub credit_note: String,
    pub license_note: String,
    pub logo_url: String,
    pub banner_url: String,
    /// Visits counted before the site moved to sen; added to the all-time total.
    pub visits_base: i64,
}

impl Site {
    /// NFC-normalises every field; the name must not be empty.
    pub fn validated(mut self) -> Result<Self, ValidationError> {
        for field in [
            &mut self.name,
            &mut self.short_name,
            &mut self.governing_body,
            &mut self.tagline,
            &mut self.address,
            &mut self.phone,
            &mut self.fax,
            &mut self.email,
            &mut self.responsible_person,
            &mut self.credit_note,
            &mut self.license_note,
            &mut self.logo_url,
            &mut self.banner_url,
        ] {
            *field = text::clean_line(field);
        }
        require("name", &self.name)?;
        if self.visits_base < 0 {
            return Err(ValidationError::new("visits_base", ErrorCode::OutOfRange));
        }
        Ok(self)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Category {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub position: i32,
    pub in_menu: bool,
}

/// A category as an editor submits it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CategoryInput {
    pub parent_id: Option<i64>,
    pub name: String,
    pub slug: Option<String>,
    pub description: String,
    pub position: i32,
    pub in_menu: bool,
}

impl CategoryInput {
    pub fn validated(mut self) -> Result<Self, ValidationError> {
        self.name = text::clean_line(&self.name);
        self.description = text::clean_line(&self.description);
        require("name", &self.name)?;
        self.slug = Some(valid_slug(self.slug.as_deref(), &self.name)?);
        Ok(self)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    Draft,
    Pending,
    Published,
    Archived,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Pending => "pending",
            Self::Published => "published",
            Self::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => Self::Draft,
            "pending" => Self::Pending,
            "published" => Self::Published,
            "archived" => Self::Archived,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Article {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub summary: String,
    /// Sanitised HTML.
    pub body: String,
    pub cover_url: String,
    pub cover_caption: String,
    pub author: String,
    pub byline: String,
    pub source_name: String,
    pub source_url: String,
    pub category_id: i64,
    pub featured: bool,
    pub status: ArticleStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Views flushed to the store; live views add the ones still in memory.
    pub views: i64,
    pub tags: Vec<Tag>,
}

impl Article {
    /// Visible to readers: published, with a publication time that has come.
    pub fn is_public(&self, now: OffsetDateTime) -> bool {
        self.status == ArticleStatus::Published && self.published_at.is_some_and(|t| t <= now)
    }
}

/// What lists show of an article.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArticleSummary {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub cover_url: String,
    pub cover_caption: String,
    pub category_id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub published_at: OffsetDateTime,
    pub views: i64,
}

impl From<&Article> for ArticleSummary {
    fn from(a: &Article) -> Self {
        Self {
            id: a.id,
            title: a.title.clone(),
            slug: a.slug.clone(),
            summary: a.summary.clone(),
            cover_url: a.cover_url.clone(),
            cover_caption: a.cover_caption.clone(),
            category_id: a.category_id,
            published_at: a.published_at.unwrap_or(a.created_at),
            views: a.views,
        }
    }
}

/// A published article as lists see it: its summary, whether it is featured, and its tags' ids.
/// Scheduled articles are included; a list compares `published_at` with the time it is shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedArticle {
    pub summary: ArticleSummary,
    pub featured: bool,
    pub tag_ids: Vec<i64>,
}

/// An article as an author submits it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArticleInput {
    pub title: String,
    pub slug: Option<String>,
    pub summary: String,
    pub body: String,
    pub cover_url: String,
    pub cover_caption: String,
    pub author: String,
    pub byline: String,
    pub source_name: String,
    pub source_url: String,
    pub category_id: i64,
    pub featured: bool,
    pub status: ArticleStatus,
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    /// Tag names; tags are created on first use.
    pub tags: Vec<String>,
}

impl ArticleInput {
    /// A draft with only the required fields set.
    pub fn new(title: &str, category_id: i64) -> Self {
        Self {
            title: title.to_string(),
            slug: None,
            summary: String::new(),
            body: String::new(),
            cover_url: String::new(),
            cover_caption: String::new(),
            author: String::new(),
            byline: String::new(),
            source_name: String::new(),
            source_url: String::new(),
            category_id,
            featured: false,
            status: ArticleStatus::Draft,
            created_at: None,
            published_at: None,
            tags: Vec::new(),
        }
    }

    /// Normalises every field, sanitises the body and checks the rules.
    pub fn validated(mut self) -> Result<Self, ValidationError> {
        self.title = text::clean_line(&self.title);
        require("title", &self.title)?;
        if self.title.chars().count() > 300 {
            return Err(ValidationError::new("title", ErrorCode::TooLong));
        }
        self.slug = Some(valid_slug(self.slug.as_deref(), &self.title)?);
        self.summary = text::clean_line(&self.summary);
        self.body = sanitize_html(&self.body);
        for field in [
            &mut self.cover_url,
            &mut self.cover_caption,
            &mut self.author,
            &mut self.byline,
            &mut self.source_name,
            &mut self.source_url,
        ] {
            *field = text::clean_line(field);
        }
        if !self.source_url.is_empty() && !is_http_url(&self.source_url) {
            return Err(ValidationError::new("source_url", ErrorCode::InvalidUrl));
        }
        if !(self.cover_url.is_empty()
            || self.cover_url.starts_with('/')
            || is_http_url(&self.cover_url))
        {
            return Err(ValidationError::new("cover_url", ErrorCode::InvalidUrl));
        }
        if self.status == ArticleStatus::Published && self.published_at.is_none() {
            self.published_at = Some(OffsetDateTime::now_utc());
        }
        self.created_at = self.created_at.map(format::utc_seconds);
        self.published_at = self.published_at.map(format::utc_seconds);
        let mut tags: Vec<String> = Vec::new();
        for tag in &self.tags {
            let tag = text::clean_line(tag);
            if !tag.is_empty() && !text::slugify(&tag).is_empty() && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        self.tags = tags;
        Ok(self)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Page {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub body: String,
    pub position: i32,
    pub in_menu: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PageInput {
    pub title: String,
    pub slug: Option<String>,
    pub body: String,
    pub position: i32,
    pub in_menu: bool,
}

impl PageInput {
    pub fn validated(mut self) -> Result<Self, ValidationError> {
        self.title = text::clean_line(&self.title);
        require("title", &self.title)?;
        self.slug = Some(valid_slug(self.slug.as_deref(), &self.title)?);
        self.body = sanitize_html(&self.body);
        Ok(self)
    }
}

/// What changed, as recorded in the outbox; every node drops the cached pages it touches.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// An article changed; `categories` and `tags` hold both the old and the new ones.
    Article {
        id: i64,
        categories: Vec<i64>,
        tags: Vec<i64>,
    },
    /// Categories shape the menu on every page.
    Category {
        id: i64,
    },
    Page {
        id: i64,
    },
    /// The site identity is on every page.
    Site,
}

/// Stable error codes: the theme's message catalogue turns them into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Required,
    TooLong,
    InvalidSlug,
    InvalidUrl,
    OutOfRange,
    /// A category would become its own ancestor.
    Cycle,
    /// Shorter than the rule's minimum (a password: 10 characters).
    TooShort,
    /// A password on the built-in list of breached or trivial ones.
    CommonPassword,
    /// A password that is the username.
    SameAsUsername,
    /// A password of one character repeated.
    RepeatedCharacter,
    /// A username outside `a-z 0-9 . - _`, or not 3 to 32 long.
    InvalidUsername,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::TooLong => "too_long",
            Self::InvalidSlug => "invalid_slug",
            Self::InvalidUrl => "invalid_url",
            Self::OutOfRange => "out_of_range",
            Self::Cycle => "cycle",
            Self::TooShort => "too_short",
            Self::CommonPassword => "common_password",
            Self::SameAsUsername => "same_as_username",
            Self::RepeatedCharacter => "repeated_character",
            Self::InvalidUsername => "invalid_username",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {}", code.as_str())]
pub struct ValidationError {
    pub field: &'static str,
    pub code: ErrorCode,
}

impl ValidationError {
    pub fn new(field: &'static str, code: ErrorCode) -> Self {
        Self { field, code }
    }
}

fn require(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        Err(ValidationError::new(field, ErrorCode::Required))
    } else {
        Ok(())
    }
}

/// The given slug if it is well formed, else one made from `source`.
fn valid_slug(given: Option<&str>, source: &str) -> Result<String, ValidationError> {
    match given.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if text::is_slug(s) => Ok(s.to_string()),
        Some(_) => Err(ValidationError::new("slug", ErrorCode::InvalidSlug)),
        None => {
            let slug = text::slugify(source);
            if slug.is_empty() {
                Err(ValidationError::new("slug", ErrorCode::InvalidSlug))
            } else {
                Ok(slug)
            }
        }
    }
}

fn is_http_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > 8
        && !s.contains(char::is_whitespace)
}

/// Allow-list sanitising of editor HTML, applied once on the way in.
pub fn sanitize_html(html: &str) -> String {
    let cleaned = text::clean(html);
    let sanitised = ammonia::Builder::default()
        .add_tags(["figure", "figcaption"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .add_tag_attributes("th", ["colspan", "rowspan", "scope"])
        .link_rel(Some("noopener noreferrer"))
        .url_schemes(["http", "https", "mailto", "tel"].into())
        .clean(&cleaned)
        .to_string();
    // The parser decodes character references (`&#1;`) and the serialiser writes control
    // characters back raw, so a marker can appear only now: clean again.
    text::clean(&sanitised)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_input_is_normalised_and_sanitised() {
        let mut input = ArticleInput::new("  Kế hoạch   số 165-KH/TU ", 1);
        input.body = "<p onclick=\"x()\">Nội dung<script>alert(1)</script></p><a href=\"javascript:alert(1)\">x</a>".into();
        input.tags = vec![
            "Chuyển đổi số".into(),
            " Chuyển đổi số ".into(),
            "!!".into(),
        ];
        let valid = input.validated().expect("valid");
        assert_eq!(valid.title, "Kế hoạch số 165-KH/TU");
        assert_eq!(valid.slug.as_deref(), Some("ke-hoach-so-165-kh-tu"));
        assert!(!valid.body.contains("script"));
        assert!(!valid.body.contains("onclick"));
        assert!(!valid.body.contains("javascript"));
        assert_eq!(valid.tags, vec!["Chuyển đổi số".to_string()]);
    }

    #[test]
    fn article_input_rejects_bad_fields() {
        let err = ArticleInput::new("   ", 1)
            .validated()
            .expect_err("invalid");
        assert_eq!(err, ValidationError::new("title", ErrorCode::Required));
        let mut input = ArticleInput::new("Tin", 1);
        input.slug = Some("Bad Slug".into());
        assert_eq!(
            input.validated().expect_err("invalid").code,
            ErrorCode::InvalidSlug
        );
        let mut input = ArticleInput::new("Tin", 1);
        input.source_url = "javascript:alert(1)".into();
        assert_eq!(
            input.validated().expect_err("invalid").code,
            ErrorCode::InvalidUrl
        );
    }

    #[test]
    fn live_value_markers_never_survive_sanitising() {
        for n in [1u32, 2] {
            let raw = char::from_u32(n).expect("a control character").to_string();
            for written in [
                raw,
                format!("&#{n};"),
                format!("&#0{n};"),
                format!("&#000{n};"),
                format!("&#x{n};"),
                format!("&#x0{n};"),
                format!("&#X{n:02X};"),
                format!("&#x{n}"),
                format!("&#{n}"),
            ] {
                for html in [
                    format!("<p>a{written}b</p>"),
                    format!("<a href=\"https://x.vn/{written}\" title=\"t{written}\">x</a>"),
                    format!("<img alt=\"{written}\" src=\"/a.jpg\">"),
                    format!("<table><tr><td>{written}</td></tr></table>"),
                ] {
                    let out = sanitize_html(&html);
                    assert!(!out.contains(['\u{1}', '\u{2}']), "{html:?} gave {out:?}");
                }
            }
        }
    }

    #[test]
    fn publishing_sets_a_publication_time() {
        let mut input = ArticleInput::new("Tin", 1);
        input.status = ArticleStatus::Published;
        assert!(input.validated().expect("valid").published_at.is_some());
    }

    #[test]
    fn input_times_become_utc_seconds() {
        let mut input = ArticleInput::new("Tin", 1);
        input.created_at = Some(time::macros::datetime!(2026-11-27 21:35:00.5 +07:00));
        input.published_at = Some(time::macros::datetime!(2026-11-27 14:36:59.999 UTC));
        let valid = input.validated().expect("valid");
        let created = valid.created_at.expect("kept");
        assert_eq!(created, time::macros::datetime!(2026-11-27 14:35 UTC));
        assert_eq!(created.offset(), time::UtcOffset::UTC);
        assert_eq!(
            valid.published_at,
            Some(time::macros::datetime!(2026-11-27 14:36:59 UTC))
        );
        let mut input = ArticleInput::new("Tin", 1);
        input.status = ArticleStatus::Published;
        let now = input.validated().expect("valid").published_at.expect("now");
        assert_eq!((now.nanosecond(), now.offset()), (0, time::UtcOffset::UTC));
    }

    #[test]
    fn status_round_trips() {
        for s in [
            ArticleStatus::Draft,
            ArticleStatus::Pending,
            ArticleStatus::Published,
            ArticleStatus::Archived,
        ] {
            assert_eq!(ArticleStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ArticleStatus::parse("nope"), None);
    }
}
