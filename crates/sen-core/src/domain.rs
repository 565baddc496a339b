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

/// The longest one-line name (the organisation, its governing body, the person responsible).
pub const NAME_MAX: usize = 200;
/// The longest address, note or link.
pub const TEXT_MAX: usize = 500;
/// The highest menu position; positions start at 0.
pub const POSITION_MAX: i32 = 100_000;
/// The longest static page body, in characters.
pub const PAGE_BODY_MAX: usize = 500_000;
/// The longest article summary (sapo), in characters.
pub const ARTICLE_SUMMARY_MAX: usize = 1_000;
/// The longest article body, in characters of sanitised HTML.
pub const ARTICLE_BODY_MAX: usize = 1_000_000;
/// Tags per article, and the longest tag.
pub const ARTICLE_TAGS_MAX: usize = 20;
pub const TAG_MAX: usize = 80;
/// Larger than any real visit count, small enough that sums never overflow.
pub const VISITS_BASE_MAX: i64 = 1_000_000_000_000;

impl Site {
    /// The fields ND 174/2026 Art 93(1) requires in the footer: they may never be empty.
    pub const REQUIRED: [&'static str; 6] = [
        "name",
        "governing_body",
        "address",
        "phone",
        "email",
        "responsible_person",
    ];

    /// NFC-normalises every field and checks the rules: the footer's legally required fields set,
    /// the e-mail and phone numbers well formed, links local or http(s), lengths bounded.
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
        // In the order of the form, so the first error is the first field at fault.
        let fields: [(&'static str, &str, usize); 13] = [
            ("name", &self.name, NAME_MAX),
            ("short_name", &self.short_name, 100),
            ("governing_body", &self.governing_body, NAME_MAX),
            ("tagline", &self.tagline, NAME_MAX),
            ("address", &self.address, TEXT_MAX),
            ("phone", &self.phone, 100),
            ("fax", &self.fax, 100),
            ("email", &self.email, 254),
            ("responsible_person", &self.responsible_person, NAME_MAX),
            ("credit_note", &self.credit_note, TEXT_MAX),
            ("license_note", &self.license_note, TEXT_MAX),
            ("logo_url", &self.logo_url, TEXT_MAX),
            ("banner_url", &self.banner_url, TEXT_MAX),
        ];
        for (field, value, max) in fields {
            if Self::REQUIRED.contains(&field) {
                require(field, value)?;
            }
            bounded(field, value, max)?;
        }
        for (field, value) in [("phone", &self.phone), ("fax", &self.fax)] {
            if !value.is_empty() && !is_phone(value) {
                return Err(ValidationError::new(field, ErrorCode::InvalidPhone));
            }
        }
        if !is_email(&self.email) {
            return Err(ValidationError::new("email", ErrorCode::InvalidEmail));
        }
        for (field, value) in [
            ("logo_url", &self.logo_url),
            ("banner_url", &self.banner_url),
        ] {
            if !value.is_empty() && !is_link(value) {
                return Err(ValidationError::new(field, ErrorCode::InvalidUrl));
            }
        }
        if !(0..=VISITS_BASE_MAX).contains(&self.visits_base) {
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
    /// Normalises the text; the name is required, the slug made from it when none is given.
    pub fn validated(mut self) -> Result<Self, ValidationError> {
        self.name = text::clean_line(&self.name);
        self.description = text::clean_line(&self.description);
        require("name", &self.name)?;
        bounded("name", &self.name, 100)?;
        self.slug = Some(valid_slug(self.slug.as_deref(), &self.name)?);
        bounded("description", &self.description, TEXT_MAX)?;
        valid_position(self.position)?;
        Ok(self)
    }
}

impl From<&Category> for CategoryInput {
    /// The category as it is, for a change of some of its fields.
    fn from(c: &Category) -> Self {
        Self {
            parent_id: c.parent_id,
            name: c.name.clone(),
            slug: Some(c.slug.clone()),
            description: c.description.clone(),
            position: c.position,
            in_menu: c.in_menu,
        }
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
    /// Submitted for review (chờ duyệt).
    Pending,
    /// Sent back to its author by an editor, with a comment (trả lại).
    Returned,
    /// Published, or scheduled when its publication time is still to come.
    Published,
    /// Unpublished (gỡ bài): kept, no longer public.
    Archived,
    /// In the trash; restored to what it was, or purged after 30 days.
    Trashed,
}

impl ArticleStatus {
    pub const ALL: [ArticleStatus; 6] = [
        Self::Draft,
        Self::Pending,
        Self::Returned,
        Self::Published,
        Self::Archived,
        Self::Trashed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Pending => "pending",
            Self::Returned => "returned",
            Self::Published => "published",
            Self::Archived => "archived",
            Self::Trashed => "trashed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
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
    /// The member of staff who wrote it; `None` for imported and sample articles.
    #[serde(default)]
    pub author_id: Option<i64>,
    /// Raised by every write; a save names the version it started from.
    #[serde(default = "first_version")]
    pub version: i64,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub unpublish_at: Option<OffsetDateTime>,
    /// The editor's comment when it was returned to its author.
    #[serde(default)]
    pub review_note: String,
    /// The last correction (đính chính), shown on the public page with its time.
    #[serde(default)]
    pub correction_note: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub corrected_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub trashed_at: Option<OffsetDateTime>,
    /// The status it had before the trash.
    #[serde(default)]
    pub trashed_from: Option<ArticleStatus>,
}

fn first_version() -> i64 {
    1
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
    /// When a published article is taken down by itself (the scheduler unpublishes it).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub unpublish_at: Option<OffsetDateTime>,
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
            unpublish_at: None,
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
        bounded("summary", &self.summary, ARTICLE_SUMMARY_MAX)?;
        self.body = crate::variants::with_srcset(&sanitize_html(&self.body));
        bounded("body", &self.body, ARTICLE_BODY_MAX)?;
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
        if !(self.cover_url.is_empty() || is_link(&self.cover_url)) {
            return Err(ValidationError::new("cover_url", ErrorCode::InvalidUrl));
        }
        for (field, value) in [
            ("cover_caption", &self.cover_caption),
            ("author", &self.author),
            ("byline", &self.byline),
            ("source_name", &self.source_name),
        ] {
            bounded(field, value, NAME_MAX)?;
        }
        if self.status == ArticleStatus::Published && self.published_at.is_none() {
            self.published_at = Some(OffsetDateTime::now_utc());
        }
        self.created_at = self.created_at.map(format::utc_seconds);
        self.published_at = self.published_at.map(format::utc_seconds);
        self.unpublish_at = self.unpublish_at.map(format::utc_seconds);
        if let (Some(up), Some(from)) = (self.unpublish_at, self.published_at)
            && up <= from
        {
            return Err(ValidationError::new("unpublish_at", ErrorCode::OutOfRange));
        }
        let mut tags: Vec<String> = Vec::new();
        for tag in &self.tags {
            let tag = text::clean_line(tag);
            if !tag.is_empty() && !text::slugify(&tag).is_empty() && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if tags.len() > ARTICLE_TAGS_MAX {
            return Err(ValidationError::new("tags", ErrorCode::TooLong));
        }
        for tag in &tags {
            bounded("tags", tag, TAG_MAX)?;
        }
        self.tags = tags;
        Ok(self)
    }
}

impl From<&Article> for ArticleInput {
    /// The article as it is, for a change of some of its fields.
    fn from(a: &Article) -> Self {
        Self {
            title: a.title.clone(),
            slug: Some(a.slug.clone()),
            summary: a.summary.clone(),
            body: a.body.clone(),
            cover_url: a.cover_url.clone(),
            cover_caption: a.cover_caption.clone(),
            author: a.author.clone(),
            byline: a.byline.clone(),
            source_name: a.source_name.clone(),
            source_url: a.source_url.clone(),
            category_id: a.category_id,
            featured: a.featured,
            status: a.status,
            created_at: Some(a.created_at),
            published_at: a.published_at,
            unpublish_at: a.unpublish_at,
            tags: a.tags.iter().map(|t| t.name.clone()).collect(),
        }
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
    /// Normalises the title and sanitises the body; the title is required, the slug made from it
    /// when none is given.
    pub fn validated(mut self) -> Result<Self, ValidationError> {
        self.title = text::clean_line(&self.title);
        require("title", &self.title)?;
        bounded("title", &self.title, NAME_MAX)?;
        self.slug = Some(valid_slug(self.slug.as_deref(), &self.title)?);
        self.body = crate::variants::with_srcset(&sanitize_html(&self.body));
        bounded("body", &self.body, PAGE_BODY_MAX)?;
        valid_position(self.position)?;
        Ok(self)
    }
}

impl From<&Page> for PageInput {
    /// The page as it is, for a change of some of its fields.
    fn from(p: &Page) -> Self {
        Self {
            title: p.title.clone(),
            slug: Some(p.slug.clone()),
            body: p.body.clone(),
            position: p.position,
            in_menu: p.in_menu,
        }
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
    /// Not an e-mail address (`name@domain.tld`).
    InvalidEmail,
    /// A phone or fax number with letters or other characters than `0-9 + ( ) . - / ,` and spaces.
    InvalidPhone,
    /// An image of the media library without its text alternative, used where readers see it.
    AltMissing,
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
            Self::InvalidEmail => "invalid_email",
            Self::InvalidPhone => "invalid_phone",
            Self::AltMissing => "alt_missing",
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

/// Refuses text longer than `max` characters.
fn bounded(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    if value.chars().count() > max {
        Err(ValidationError::new(field, ErrorCode::TooLong))
    } else {
        Ok(())
    }
}

fn valid_position(position: i32) -> Result<(), ValidationError> {
    if (0..=POSITION_MAX).contains(&position) {
        Ok(())
    } else {
        Err(ValidationError::new("position", ErrorCode::OutOfRange))
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

/// A local path (`/media/logo.png`) or an http(s) URL: what an image or link field may hold. A
/// path starting with `//` would name another host, and a backslash is read as a slash by browsers.
pub fn is_link(s: &str) -> bool {
    let local = s.starts_with('/')
        && !s.starts_with("//")
        && !s.contains(|c: char| c.is_whitespace() || c == '\\');
    local || is_http_url(s)
}

/// An e-mail address as a footer shows it: one `@`, a local part, and a domain of at least two
/// labels of letters, digits and hyphens. Stricter than RFC 5322 on purpose (no quoting, no
/// comments): what passes is an address every mail client takes.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// A phone or fax number, or several: digits with the usual separators (`0239 3 856 214`,
/// `+84 (239) 3856214`, `0239.3856214 - 0239.3856215`), at least six digits.
pub fn is_phone(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_digit() || " +().-/,;".contains(c))
        && s.chars().filter(char::is_ascii_digit).count() >= 6
}

/// Allow-list sanitising of editor HTML, applied once on the way in.
pub fn sanitize_html(html: &str) -> String {
    let cleaned = text::clean(html);
    let sanitised = ammonia::Builder::default()
        .add_tags(["figure", "figcaption", "audio", "video"])
        // The editor's video embeds: a link in a marked figure, turned into a player by the theme;
        // and the library's own audio and video in a player figure.
        .add_allowed_classes(
            "figure",
            ["embed", "embed--youtube", "embed--vimeo", "player"],
        )
        .add_tag_attributes("audio", ["src", "controls", "preload"])
        .add_tag_attributes("video", ["src", "controls", "preload"])
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // A player plays only the library's files: no other host learns who listens.
            ("audio" | "video", "src") => value
                .strip_prefix("/media/")
                .is_some_and(|key| {
                    !key.is_empty()
                        && !key.contains("..")
                        && !key.contains("//")
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
                })
                .then(|| value.into()),
            ("audio" | "video", "controls") => Some("".into()),
            ("audio" | "video", "preload") => {
                Some(if value == "none" { "none" } else { "metadata" }.into())
            }
            _ => Some(value.into()),
        })
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

    fn site() -> Site {
        Site {
            name: "Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh Hà Lam".into(),
            governing_body: "UBND tỉnh Hà Lam".into(),
            address: "Số 26 đường Bạch Đằng".into(),
            phone: "0239 3 856 214".into(),
            email: "vanphong@lienhiephoi.example.vn".into(),
            responsible_person: "Ông Trần Đức Khang".into(),
            ..Site::default()
        }
    }

    fn site_error(change: impl FnOnce(&mut Site)) -> ValidationError {
        let mut s = site();
        change(&mut s);
        s.validated().expect_err("refused")
    }

    #[test]
    fn the_footers_required_fields_cannot_be_emptied() {
        assert!(site().validated().is_ok());
        for field in Site::REQUIRED {
            let err = site_error(|s| {
                let value = match field {
                    "name" => &mut s.name,
                    "governing_body" => &mut s.governing_body,
                    "address" => &mut s.address,
                    "phone" => &mut s.phone,
                    "email" => &mut s.email,
                    "responsible_person" => &mut s.responsible_person,
                    other => panic!("unknown field {other}"),
                };
                // Whitespace only is empty once cleaned.
                *value = " \u{a0}\t ".into();
            });
            assert_eq!(err, ValidationError::new(field, ErrorCode::Required));
        }
    }

    #[test]
    fn site_fields_are_checked_by_kind() {
        type Case = (&'static str, ErrorCode, fn(&mut Site));
        let cases: [Case; 12] = [
            ("email", ErrorCode::InvalidEmail, |s| {
                s.email = "vanphong".into()
            }),
            ("email", ErrorCode::InvalidEmail, |s| s.email = "a@b".into()),
            ("email", ErrorCode::InvalidEmail, |s| {
                s.email = "a b@x.vn".into()
            }),
            ("email", ErrorCode::InvalidEmail, |s| {
                s.email = "a@@x.vn".into()
            }),
            ("phone", ErrorCode::InvalidPhone, |s| {
                s.phone = "gọi 0239".into()
            }),
            ("phone", ErrorCode::InvalidPhone, |s| s.phone = "123".into()),
            ("fax", ErrorCode::InvalidPhone, |s| s.fax = "fax".into()),
            ("logo_url", ErrorCode::InvalidUrl, |s| {
                s.logo_url = "javascript:alert(1)".into()
            }),
            ("logo_url", ErrorCode::InvalidUrl, |s| {
                s.logo_url = "//evil.example/x.png".into()
            }),
            ("banner_url", ErrorCode::InvalidUrl, |s| {
                s.banner_url = "banner.png".into()
            }),
            ("visits_base", ErrorCode::OutOfRange, |s| s.visits_base = -1),
            ("name", ErrorCode::TooLong, |s| {
                s.name = "a".repeat(NAME_MAX + 1)
            }),
        ];
        for (field, code, change) in cases {
            assert_eq!(site_error(change), ValidationError::new(field, code));
        }
        let mut fine = site();
        fine.phone = "+84 (239) 3856214, 0239.3856215".into();
        fine.fax = String::new();
        fine.logo_url = "/media/logo.png".into();
        fine.banner_url = "https://cdn.example.vn/banner.jpg".into();
        fine.email = "Van.Phong+web@lien-hiep.halam.example.vn".into();
        fine.visits_base = 1_284_317;
        fine.tagline = "  Tập hợp   trí thức ".into();
        let valid = fine.validated().expect("valid");
        assert_eq!(valid.tagline, "Tập hợp trí thức");
    }

    #[test]
    fn categories_and_pages_name_their_fields() {
        let category = |name: &str, slug: Option<&str>, position| CategoryInput {
            name: name.into(),
            slug: slug.map(str::to_string),
            position,
            ..CategoryInput::default()
        };
        let ok = category(" Tin  tức ", None, 3).validated().expect("valid");
        assert_eq!(
            (ok.name.as_str(), ok.slug.as_deref()),
            ("Tin tức", Some("tin-tuc"))
        );
        for (input, field, code) in [
            (category("  ", None, 0), "name", ErrorCode::Required),
            (
                category(&"a".repeat(101), None, 0),
                "name",
                ErrorCode::TooLong,
            ),
            (
                category("Tin", Some("Tin Tức"), 0),
                "slug",
                ErrorCode::InvalidSlug,
            ),
            (category("!!!", None, 0), "slug", ErrorCode::InvalidSlug),
            (category("Tin", None, -1), "position", ErrorCode::OutOfRange),
            (
                category("Tin", None, POSITION_MAX + 1),
                "position",
                ErrorCode::OutOfRange,
            ),
        ] {
            assert_eq!(
                input.validated().expect_err("refused"),
                ValidationError::new(field, code)
            );
        }
        let page = |title: &str, body: &str| PageInput {
            title: title.into(),
            body: body.into(),
            ..PageInput::default()
        };
        let ok = page("Giới thiệu", "<p onclick=\"x()\">Về</p>")
            .validated()
            .expect("valid");
        assert_eq!(ok.slug.as_deref(), Some("gioi-thieu"));
        assert!(!ok.body.contains("onclick"));
        for (input, field, code) in [
            (page("", ""), "title", ErrorCode::Required),
            (
                page(&"a".repeat(NAME_MAX + 1), ""),
                "title",
                ErrorCode::TooLong,
            ),
            (
                page("Trang", &"a".repeat(PAGE_BODY_MAX + 1)),
                "body",
                ErrorCode::TooLong,
            ),
        ] {
            assert_eq!(
                input.validated().expect_err("refused"),
                ValidationError::new(field, code)
            );
        }
    }

    #[test]
    fn links_are_local_paths_or_http() {
        for good in ["/media/a.png", "https://x.vn/a.png", "http://x.vn"] {
            assert!(is_link(good), "{good}");
        }
        for bad in [
            "",
            "a.png",
            "//x.vn/a.png",
            "/\\x.vn",
            "/a b",
            "ftp://x.vn",
            "data:image/png",
        ] {
            assert!(!is_link(bad), "{bad}");
        }
    }

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
