//! Turns domain values into what templates and the API see: URLs, Vietnamese dates, cards, menus.

use std::{collections::HashMap, sync::Arc};

use minijinja::value::{Enumerator, Object, Value};
use parking_lot::Mutex;
use sen_core::{Article, Category, Page, Site, format, text};

use crate::{cache::Dep, catalog::Entry, state::Chrome};

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

/// Splits `slug-123.html` into the slug and the id.
pub fn parse_article_file(file: &str) -> Option<(&str, i64)> {
    let stem = file.strip_suffix(".html").unwrap_or(file);
    match stem.rsplit_once('-') {
        Some((slug, id)) => Some((slug, id.parse().ok().filter(|id: &i64| *id > 0)?)),
        None => Some(("", stem.parse().ok().filter(|id: &i64| *id > 0)?)),
    }
}

/// A small record for templates: named values, looked up by a short scan instead of a map of values.
/// Templates also look up every global (`t`, `live`, `lang`) here first, so a mask of the key lengths
/// turns most misses away before any comparison.
#[derive(Debug)]
struct Fields {
    pairs: Vec<(&'static str, Value)>,
    lengths: u64,
}

fn length_bit(key: &str) -> u64 {
    1 << key.len().min(63)
}

impl Object for Fields {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        if self.lengths & length_bit(key) == 0 {
            return None;
        }
        self.pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.pairs.iter().map(|(k, _)| Value::from(*k)).collect())
    }
}

fn fields(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    let pairs: Vec<(&'static str, Value)> = pairs.into_iter().collect();
    let lengths = pairs.iter().fold(0, |mask, (k, _)| mask | length_bit(k));
    Value::from_object(Fields { pairs, lengths })
}

fn category_link(chrome: &Chrome, id: i64) -> Value {
    match chrome.category(id) {
        Some(c) => fields([
            ("id", Value::from(c.id)),
            ("name", Value::from(c.name.as_str())),
            ("slug", Value::from(c.slug.as_str())),
            ("url", Value::from(category_path(&c.slug))),
        ]),
        None => fields([
            ("id", Value::from(id)),
            ("name", Value::from("")),
            ("slug", Value::from("")),
            ("url", Value::from("/")),
        ]),
    }
}

/// An article in a list. Templates read a handful of its fields, so each is made when it is read.
#[derive(Debug)]
struct Card {
    article: Arc<Entry>,
    chrome: Arc<Chrome>,
}

const CARD_FIELDS: &[&str] = &[
    "id",
    "title",
    "url",
    "summary",
    "cover_url",
    "cover_caption",
    "date",
    "datetime",
    "iso",
    "category",
];

impl Object for Card {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let card = &self.article.card;
        Some(match key.as_str()? {
            "id" => Value::from(self.article.id),
            "title" => card.title.clone(),
            "url" => card.url.clone(),
            "summary" => card.summary.clone(),
            "cover_url" => card.cover_url.clone(),
            "cover_caption" => card.cover_caption.clone(),
            "date" => card.date.clone(),
            "datetime" => card.datetime.clone(),
            "iso" => card.iso.clone(),
            "category" => category_link(&self.chrome, self.article.category_id),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(CARD_FIELDS)
    }
}

/// Cards for a list, and the dependencies of a page that shows them.
pub fn cards(chrome: &Arc<Chrome>, list: &[Arc<Entry>], deps: &mut Vec<Dep>) -> Value {
    deps.extend(list.iter().map(|a| Dep::Article(a.id)));
    Value::from(
        list.iter()
            .map(|a| {
                Value::from_object(Card {
                    article: a.clone(),
                    chrome: chrome.clone(),
                })
            })
            .collect::<Vec<_>>(),
    )
}

/// The article of an article or print page, read lazily like a card.
#[derive(Debug)]
struct ArticleFields {
    article: Arc<Article>,
    chrome: Arc<Chrome>,
}

const ARTICLE_FIELDS: &[&str] = &[
    "id",
    "title",
    "summary",
    "body",
    "byline",
    "author",
    "date_long",
    "iso",
    "updated_iso",
    "cover_url",
    "cover_caption",
    "source_name",
    "source_url",
    "category",
    "tags",
    "url",
    "print_url",
];

impl Object for ArticleFields {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let a = &self.article;
        let published = a.published_at.unwrap_or(a.created_at);
        Some(match key.as_str()? {
            "id" => Value::from(a.id),
            "title" => Value::from(a.title.as_str()),
            "summary" => Value::from(a.summary.as_str()),
            "body" => Value::from(a.body.as_str()),
            "byline" => Value::from(a.byline.as_str()),
            "author" => Value::from(a.author.as_str()),
            "date_long" => Value::from(format::date_long(published)),
            "iso" => Value::from(format::rfc3339(published)),
            "updated_iso" => Value::from(format::rfc3339(a.updated_at)),
            "cover_url" => Value::from(a.cover_url.as_str()),
            "cover_caption" => Value::from(a.cover_caption.as_str()),
            "source_name" => Value::from(a.source_name.as_str()),
            "source_url" => Value::from(a.source_url.as_str()),
            "category" => category_link(&self.chrome, a.category_id),
            "tags" => Value::from(
                a.tags
                    .iter()
                    .map(|t| {
                        fields([
                            ("name", Value::from(t.name.as_str())),
                            ("url", Value::from(tag_path(&t.slug))),
                        ])
                    })
                    .collect::<Vec<_>>(),
            ),
            "url" => Value::from(article_path(&a.slug, a.id)),
            "print_url" => Value::from(print_path(a.id)),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(ARTICLE_FIELDS)
    }
}

pub fn article(chrome: &Arc<Chrome>, a: Arc<Article>) -> Value {
    Value::from_object(ArticleFields {
        article: a,
        chrome: chrome.clone(),
    })
}

/// What every page shows of the site, made once per version of the chrome.
#[derive(Debug)]
pub struct ChromeValues {
    site: Value,
    pages_menu: Value,
    /// The menu with the trail of each category marked active; `None` is the menu with none active.
    menus: Mutex<HashMap<Option<i64>, Value>>,
    /// The calendar year (in Vietnam) the values were made in, for the copyright line.
    pub year: i32,
}

pub fn this_year() -> i32 {
    time::OffsetDateTime::now_utc()
        .to_offset(format::VIETNAM)
        .year()
}

impl ChromeValues {
    pub fn new(site: &Site, pages: &[Page], base_url: &str) -> Self {
        let year = this_year();
        let text = |s: &String| Value::from(s.as_str());
        let site = fields([
            ("name", text(&site.name)),
            ("short_name", text(&site.short_name)),
            ("governing_body", text(&site.governing_body)),
            ("tagline", text(&site.tagline)),
            ("address", text(&site.address)),
            ("phone", text(&site.phone)),
            ("fax", text(&site.fax)),
            ("email", text(&site.email)),
            ("responsible_person", text(&site.responsible_person)),
            ("credit_note", text(&site.credit_note)),
            ("license_note", text(&site.license_note)),
            ("logo_url", text(&site.logo_url)),
            ("banner_url", text(&site.banner_url)),
            ("base_url", Value::from(base_url)),
            ("copyright_year", Value::from(year)),
        ]);
        let pages_menu = Value::from(
            pages
                .iter()
                .filter(|p| p.in_menu)
                .map(|p| {
                    fields([
                        ("title", Value::from(p.title.as_str())),
                        ("url", Value::from(page_path(&p.slug))),
                    ])
                })
                .collect::<Vec<_>>(),
        );
        Self {
            site,
            pages_menu,
            menus: Mutex::new(HashMap::new()),
            year,
        }
    }
}

fn menu(chrome: &Chrome, active: Option<i64>) -> Value {
    if let Some(menu) = chrome.values.menus.lock().get(&active) {
        return menu.clone();
    }
    let active_chain: Vec<i64> = active
        .map(|id| chrome.trail(id).iter().map(|c| c.id).collect())
        .unwrap_or_default();
    let item = |c: &Category, children: Option<Value>| {
        let mut pairs = vec![
            ("name", Value::from(c.name.as_str())),
            ("url", Value::from(category_path(&c.slug))),
            ("active", Value::from(active_chain.contains(&c.id))),
        ];
        pairs.extend(children.map(|v| ("children", v)));
        fields(pairs)
    };
    let menu = Value::from(
        chrome
            .categories
            .iter()
            .filter(|c| c.in_menu && c.parent_id.is_none())
            .map(|c| {
                let children: Vec<Value> = chrome
                    .categories
                    .iter()
                    .filter(|k| k.in_menu && k.parent_id == Some(c.id))
                    .map(|k| item(k, None))
                    .collect();
                item(c, Some(Value::from(children)))
            })
            .collect::<Vec<_>>(),
    );
    chrome.values.menus.lock().insert(active, menu.clone());
    menu
}

/// What a page is about, for the title, the description and the social cards.
pub struct Meta {
    pub title: Option<String>,
    pub description: String,
    pub path: String,
    pub og_type: &'static str,
    pub image: String,
    pub published_iso: String,
    pub modified_iso: String,
}

impl Meta {
    pub fn new(title: Option<String>, path: impl Into<String>) -> Self {
        Self {
            title,
            description: String::new(),
            path: path.into(),
            og_type: "website",
            image: String::new(),
            published_iso: String::new(),
            modified_iso: String::new(),
        }
    }
}

/// The context every template gets, with the page's own values added.
pub fn page(
    chrome: &Chrome,
    meta: Meta,
    breadcrumbs: Vec<(String, String)>,
    active_category: Option<i64>,
    own: Vec<(&'static str, Value)>,
) -> Value {
    let site = &chrome.site;
    let base_url = &chrome.base_url;
    let absolute = |url: &str| {
        if url.is_empty() || url.starts_with("http://") || url.starts_with("https://") {
            url.to_string()
        } else {
            format!("{base_url}{url}")
        }
    };
    let page_title = match &meta.title {
        Some(title) => format!("{title} | {}", site.name),
        None => site.name.clone(),
    };
    let description = if meta.description.is_empty() {
        if site.tagline.is_empty() {
            site.name.clone()
        } else {
            site.tagline.clone()
        }
    } else {
        text::shorten(&meta.description, 300)
    };
    let meta_value = fields([
        ("description", Value::from(description)),
        ("canonical", Value::from(absolute(&meta.path))),
        ("og_type", Value::from(meta.og_type)),
        ("og_image", Value::from(absolute(&meta.image))),
        ("published_iso", Value::from(meta.published_iso)),
        ("modified_iso", Value::from(meta.modified_iso)),
    ]);
    let breadcrumbs = Value::from(
        breadcrumbs
            .into_iter()
            .map(|(name, url)| fields([("name", Value::from(name)), ("url", Value::from(url))]))
            .collect::<Vec<_>>(),
    );
    let mut all = vec![
        ("site", chrome.values.site.clone()),
        ("menu", menu(chrome, active_category)),
        ("pages_menu", chrome.values.pages_menu.clone()),
        ("page_title", Value::from(page_title)),
        ("meta", meta_value),
        ("breadcrumbs", breadcrumbs),
        ("current_path", Value::from(meta.path)),
    ];
    all.extend(own);
    fields(all)
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
        assert_eq!(parse_article_file("a-99999999999999999999.html"), None);
    }
}
