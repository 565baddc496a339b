//! Turns domain values into what templates and the API see: URLs, Vietnamese dates, cards, menus.

use std::sync::Arc;

use sen_core::{Article, ArticleSummary, Category, ListedArticle, Page, format, text};
use serde_json::{Value, json};

use crate::{cache::Dep, state::Chrome};

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

fn category_link(chrome: &Chrome, id: i64) -> Value {
    match chrome.category(id) {
        Some(c) => {
            json!({"id": c.id, "name": c.name, "slug": c.slug, "url": category_path(&c.slug)})
        }
        None => json!({"id": id, "name": "", "slug": "", "url": "/"}),
    }
}

/// An article in a list.
pub fn card(chrome: &Chrome, a: &ArticleSummary) -> Value {
    json!({
        "id": a.id,
        "title": a.title,
        "url": article_path(&a.slug, a.id),
        "summary": a.summary,
        "cover_url": a.cover_url,
        "cover_caption": a.cover_caption,
        "date": format::date(a.published_at),
        "datetime": format::time_date(a.published_at),
        "iso": format::rfc3339(a.published_at),
        "category": category_link(chrome, a.category_id),
    })
}

/// Cards for a list, and the dependencies of a page that shows them.
pub fn cards<'a>(
    chrome: &Chrome,
    list: impl IntoIterator<Item = &'a ArticleSummary>,
    deps: &mut Vec<Dep>,
) -> Vec<Value> {
    list.into_iter()
        .map(|a| {
            deps.push(Dep::Article(a.id));
            card(chrome, a)
        })
        .collect()
}

/// The summaries of a catalogue list.
pub fn summaries(list: &[Arc<ListedArticle>]) -> impl Iterator<Item = &ArticleSummary> {
    list.iter().map(|a| &a.summary)
}

pub fn article(chrome: &Chrome, a: &Article) -> Value {
    let published = a.published_at.unwrap_or(a.created_at);
    json!({
        "id": a.id,
        "title": a.title,
        "summary": a.summary,
        "body": a.body,
        "byline": a.byline,
        "author": a.author,
        "date_long": format::date_long(published),
        "iso": format::rfc3339(published),
        "updated_iso": format::rfc3339(a.updated_at),
        "cover_url": a.cover_url,
        "cover_caption": a.cover_caption,
        "source_name": a.source_name,
        "source_url": a.source_url,
        "category": category_link(chrome, a.category_id),
        "tags": a.tags.iter().map(|t| json!({"name": t.name, "url": tag_path(&t.slug)})).collect::<Vec<_>>(),
        "url": article_path(&a.slug, a.id),
        "print_url": print_path(a.id),
    })
}

fn menu(chrome: &Chrome, active: Option<i64>) -> Vec<Value> {
    let active_chain: Vec<i64> = active
        .map(|id| chrome.trail(id).iter().map(|c| c.id).collect())
        .unwrap_or_default();
    let item = |c: &Category| json!({"name": c.name, "url": category_path(&c.slug), "active": active_chain.contains(&c.id)});
    chrome
        .categories
        .iter()
        .filter(|c| c.in_menu && c.parent_id.is_none())
        .map(|c| {
            let children: Vec<Value> = chrome
                .categories
                .iter()
                .filter(|k| k.in_menu && k.parent_id == Some(c.id))
                .map(item)
                .collect();
            let mut v = item(c);
            v["children"] = Value::Array(children);
            v
        })
        .collect()
}

fn pages_menu(pages: &[Page]) -> Vec<Value> {
    pages
        .iter()
        .filter(|p| p.in_menu)
        .map(|p| json!({"title": p.title, "url": page_path(&p.slug)}))
        .collect()
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

/// The context every template gets, with the page's own values merged in.
pub fn page(
    chrome: &Chrome,
    base_url: &str,
    meta: Meta,
    breadcrumbs: Vec<(String, String)>,
    active_category: Option<i64>,
    own: Value,
) -> Value {
    let site = &chrome.site;
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
    let year = time::OffsetDateTime::now_utc()
        .to_offset(format::VIETNAM)
        .year();
    let mut ctx = json!({
        "site": {
            "name": site.name, "short_name": site.short_name, "governing_body": site.governing_body,
            "tagline": site.tagline, "address": site.address, "phone": site.phone, "fax": site.fax,
            "email": site.email, "responsible_person": site.responsible_person,
            "credit_note": site.credit_note, "license_note": site.license_note,
            "logo_url": site.logo_url, "banner_url": site.banner_url, "base_url": base_url,
            "copyright_year": year,
        },
        "menu": menu(chrome, active_category),
        "pages_menu": pages_menu(&chrome.pages),
        "page_title": page_title,
        "meta": {
            "description": description,
            "canonical": absolute(&meta.path),
            "og_type": meta.og_type,
            "og_image": absolute(&meta.image),
            "published_iso": meta.published_iso,
            "modified_iso": meta.modified_iso,
        },
        "breadcrumbs": breadcrumbs.into_iter().map(|(name, url)| json!({"name": name, "url": url})).collect::<Vec<_>>(),
        "current_path": meta.path,
    });
    if let (Some(target), Value::Object(own)) = (ctx.as_object_mut(), own) {
        target.extend(own);
    }
    ctx
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
