//! What the JSON API takes and answers: its own types, apart from the templates' values, so the
//! API's shape changes only on purpose. The OpenAPI document is made from them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{Error, ErrorCode};

/// A category as an article names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRef {
    pub id: i64,
    pub name: String,
    pub slug: String,
}

/// An article in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleItem {
    pub id: i64,
    pub title: String,
    /// The article's public address.
    pub url: String,
    pub summary: String,
    pub category: Option<CategoryRef>,
    /// RFC 3339, in UTC.
    #[schema(format = DateTime)]
    pub published_at: String,
    /// Every view counted so far, on every node.
    pub views: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticlePage {
    pub items: Vec<ArticleItem>,
    /// Articles in the whole list.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagRef {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Source {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cover {
    pub url: String,
    pub caption: String,
}

/// One article whole: the list fields and the rest.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleDetail {
    #[serde(flatten)]
    pub item: ArticleItem,
    /// Sanitised HTML.
    pub body: String,
    pub byline: String,
    pub author: String,
    pub tags: Vec<TagRef>,
    pub source: Source,
    pub cover: Cover,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// draft, submitted, returned, published (scheduled while `publish_at` is ahead), archived
    /// or trashed. Only published articles are shown without a token.
    pub status: String,
    /// Goes up by one with every change; a `PATCH` names the version it was made on.
    pub version: i64,
    pub featured: bool,
    /// When it goes live; `null` until it is published or scheduled.
    #[schema(format = DateTime)]
    pub publish_at: Option<String>,
    /// When the scheduler takes it down.
    #[schema(format = DateTime)]
    pub unpublish_at: Option<String>,
    /// The last correction (đính chính), shown on the public page.
    pub correction: Option<Correction>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Correction {
    pub note: String,
    #[schema(format = DateTime)]
    pub at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryItem {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub position: i32,
    pub in_menu: bool,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryItem>,
}

/// Visit figures, as the "Thống kê truy cập" block shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    /// Visitors of the last 5 minutes, over all nodes.
    pub online: i64,
    /// Visits today (Vietnam's calendar day).
    pub today: i64,
    /// Visits since Monday.
    pub week: i64,
    /// Every visit, with the site's starting total.
    pub total: i64,
}

/// The query of the article list, for the document. The handler reads the query by hand so that
/// a bad value is refused naming its parameter; numbers are plain digits.
#[derive(Debug, Deserialize, IntoParams)]
#[expect(dead_code, reason = "describes the query in the OpenAPI document")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// From 1; default 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// From 1 to 100; default 20.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
    /// A category's id or slug; its subcategories' articles are included.
    pub category: Option<String>,
}

/// Every error: a stable code, words for people, and the parameter or field at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl From<&Error> for ErrorBody {
    fn from(err: &Error) -> Self {
        Self {
            error: ErrorDetail {
                code: err.code,
                message: err.message.clone(),
                field: err.field.clone(),
            },
        }
    }
}

/// The site identity, whole: `PUT` replaces every field (one left out is emptied). The footer's
/// legally required fields (`name`, `governing_body`, `address`, `phone`, `email`,
/// `responsible_person`) may not be empty.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SiteBody {
    pub name: String,
    pub short_name: String,
    pub governing_body: String,
    pub tagline: String,
    pub address: String,
    /// Digits with `+ ( ) . - / , ;` and spaces; at least six digits.
    pub phone: String,
    pub fax: String,
    /// An e-mail address.
    // Not `format = Email`: the document's default, "", would not be one.
    pub email: String,
    /// The person responsible for the content.
    pub responsible_person: String,
    pub credit_note: String,
    pub license_note: String,
    /// A local path starting with `/`, or an http(s) URL; may be empty.
    pub logo_url: String,
    pub banner_url: String,
    /// Visits counted before the site moved to sen; added to the all-time total.
    #[schema(minimum = 0)]
    pub visits_base: i64,
}

impl From<SiteBody> for sen_core::Site {
    fn from(b: SiteBody) -> Self {
        Self {
            name: b.name,
            short_name: b.short_name,
            governing_body: b.governing_body,
            tagline: b.tagline,
            address: b.address,
            phone: b.phone,
            fax: b.fax,
            email: b.email,
            responsible_person: b.responsible_person,
            credit_note: b.credit_note,
            license_note: b.license_note,
            logo_url: b.logo_url,
            banner_url: b.banner_url,
            visits_base: b.visits_base,
        }
    }
}

impl From<sen_core::Site> for SiteBody {
    fn from(s: sen_core::Site) -> Self {
        Self {
            name: s.name,
            short_name: s.short_name,
            governing_body: s.governing_body,
            tagline: s.tagline,
            address: s.address,
            phone: s.phone,
            fax: s.fax,
            email: s.email,
            responsible_person: s.responsible_person,
            credit_note: s.credit_note,
            license_note: s.license_note,
            logo_url: s.logo_url,
            banner_url: s.banner_url,
            visits_base: s.visits_base,
        }
    }
}

/// A new category. `slug` is made from the name when left out.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewCategory {
    pub parent_id: Option<i64>,
    pub name: String,
    pub slug: Option<String>,
    pub description: String,
    #[schema(minimum = 0, maximum = 100000)]
    pub position: i32,
    /// Default true.
    pub in_menu: bool,
}

impl Default for NewCategory {
    fn default() -> Self {
        Self {
            parent_id: None,
            name: String::new(),
            slug: None,
            description: String::new(),
            position: 0,
            in_menu: true,
        }
    }
}

/// Some fields of a category; those left out stay. A new `slug` keeps the old address answering
/// with a redirect; `parent_id: null` moves it to the top.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CategoryPatch {
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    #[schema(minimum = 0, maximum = 100000)]
    pub position: Option<i32>,
    pub in_menu: Option<bool>,
}

/// A new static page. `slug` is made from the title when left out.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewPage {
    pub title: String,
    pub slug: Option<String>,
    /// HTML; sanitised on the way in.
    pub body: String,
    #[schema(minimum = 0, maximum = 100000)]
    pub position: i32,
    /// Default true.
    pub in_menu: bool,
}

impl Default for NewPage {
    fn default() -> Self {
        Self {
            title: String::new(),
            slug: None,
            body: String::new(),
            position: 0,
            in_menu: true,
        }
    }
}

/// Some fields of a static page; those left out stay. A new `slug` keeps the old address
/// answering with a redirect.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PagePatch {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub body: Option<String>,
    #[schema(minimum = 0, maximum = 100000)]
    pub position: Option<i32>,
    pub in_menu: Option<bool>,
}

/// A static page.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageItem {
    pub id: i64,
    pub title: String,
    pub slug: String,
    /// Sanitised HTML.
    pub body: String,
    pub position: i32,
    pub in_menu: bool,
    #[schema(format = DateTime)]
    pub updated_at: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageList {
    pub items: Vec<PageItem>,
}

/// A category named by its id or its slug.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CategoryKey {
    Id(i64),
    Slug(String),
}

/// A new article. `status` is `draft` (the default), `submitted` or `published` as the token's
/// role allows (an author submits; an editor of the category publishes, or schedules with
/// `publish_at` ahead). `slug` is made from the title when left out; the body is sanitised.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewArticle {
    pub title: String,
    pub category: Option<CategoryKey>,
    pub slug: Option<String>,
    pub summary: String,
    /// HTML; sanitised on the way in.
    pub body: String,
    pub tags: Vec<String>,
    pub status: Option<String>,
    /// The editor's byline (biên tập).
    pub byline: String,
    pub author: String,
    pub source_name: String,
    /// An http(s) URL.
    pub source_url: String,
    /// The cover image's URL: a local path or http(s).
    pub cover: String,
    pub cover_caption: String,
    /// Shown in "Tiêu điểm".
    pub featured: bool,
    /// RFC 3339; ahead of now schedules the publication.
    #[schema(format = DateTime)]
    pub publish_at: Option<String>,
    /// RFC 3339; the scheduler takes the article down then.
    #[schema(format = DateTime)]
    pub unpublish_at: Option<String>,
}

/// Where a new article is.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleCreated {
    pub id: i64,
    /// Its public address (answers 404 until it is published).
    pub url: String,
    pub status: String,
    pub version: i64,
}

/// A JSON merge patch of an article (RFC 7396): fields left out stay, `null` empties one.
/// `version` is the one the change was made on (409 when the article moved on since).
/// Changing the title, summary or body of a published article is a correction and needs
/// `correction_note`. `status` takes a workflow step: `submitted` (submit), `draft` (withdraw a
/// submission), `returned` (with `note`), `published` (publish or schedule), `archived`
/// (unpublish); `trashed` is `DELETE`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ArticlePatch {
    /// Required.
    pub version: Option<i64>,
    pub correction_note: Option<String>,
    /// The comment that goes with `"status": "returned"`.
    pub note: Option<String>,
    pub status: Option<String>,
    pub title: Option<String>,
    pub category: Option<CategoryKey>,
    pub slug: Option<String>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub summary: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub body: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Option<Option<Vec<String>>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub byline: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub author: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub source_name: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub source_url: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub cover: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub cover_caption: Option<Option<String>>,
    pub featured: Option<bool>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub publish_at: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub unpublish_at: Option<Option<String>>,
}

/// One saved state of an article.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionItem {
    pub id: i64,
    /// The article's version this state was.
    pub version: i64,
    /// create, save, autosave, correction or restore.
    pub kind: String,
    /// The correction note, or the revision a restore brought back.
    pub note: String,
    /// Who saved it.
    pub by: String,
    #[schema(format = DateTime)]
    pub at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionList {
    pub items: Vec<RevisionItem>,
}

/// A file of the media library.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaItem {
    /// Its storage key: the content's hash and a readable name.
    pub key: String,
    /// Its address, `/media/{key}`, cached for ever.
    pub url: String,
    /// The content type, decided from the bytes.
    pub r#type: String,
    /// image, document, audio or video.
    pub class: String,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// A PDF's pages, when cheap to count.
    pub pages: Option<i32>,
    /// The name it was uploaded with.
    pub name: String,
    pub alt: String,
    pub caption: String,
    /// The resized copies of an image, narrowest first.
    pub variants: Vec<MediaVariant>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MediaVariant {
    pub width: u32,
    pub url: String,
}

/// The upload's form fields.
#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the multipart form in the OpenAPI document"
)]
pub struct UploadForm {
    /// The file.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// The image's text alternative (required before an image is used in an article).
    pub alt: Option<String>,
    pub caption: Option<String>,
}

/// A field that is present, even as `null`: `Some(None)`; absent fields take the default `None`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
