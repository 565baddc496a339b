//! Turns domain values into what templates see: cards, the article, the context of every page.

use std::sync::{Arc, OnceLock};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use sen_core::{Article, format, text};

use crate::{
    read::{
        MostRead,
        cache::Dep,
        catalog::Entry,
        chrome::{Chrome, ChromeObject},
    },
    urls::{article_path, category_path, print_path, tag_path},
    values::fields,
};

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
    "srcset",
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
            "srcset" => card.srcset.clone(),
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

/// The most-read cards. Shown as `most_read#serial` where a value is written out for a key (the
/// theme's `frame()`), so the block every page shares is rendered once per ranking.
struct MostReadCards {
    serial: u64,
    cards: Vec<Value>,
}

impl std::fmt::Debug for MostReadCards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "most_read#{}", self.serial)
    }
}

impl Object for MostReadCards {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.cards.get(key.as_usize()?).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.cards.len())
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_ref(), f)
    }
}

/// The most-read cards, and the dependencies of a page that shows them.
pub fn most_read(chrome: &Arc<Chrome>, list: &MostRead, deps: &mut Vec<Dep>) -> Value {
    deps.extend(list.iter().map(|a| Dep::Article(a.id)));
    let cards = list
        .iter()
        .map(|a| {
            Value::from_object(Card {
                article: a.clone(),
                chrome: chrome.clone(),
            })
        })
        .collect();
    Value::from_object(MostReadCards {
        serial: list.serial,
        cards,
    })
}

/// The article of an article or print page, read lazily like a card. Each field is made once, when
/// first read: a page reads the title, the dates and the category several times.
#[derive(Debug)]
struct ArticleFields {
    article: Arc<Article>,
    chrome: Arc<Chrome>,
    made: [OnceLock<Value>; ARTICLE_FIELDS.len()],
}

const ARTICLE_FIELDS: [&str; 20] = [
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
    "correction_note",
    "corrected",
    "corrected_iso",
];

impl ArticleFields {
    fn make(&self, field: &str) -> Value {
        let a = &self.article;
        let published = a.published_at.unwrap_or(a.created_at);
        match field {
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
            "correction_note" => Value::from(a.correction_note.as_str()),
            "corrected" => Value::from(a.corrected_at.map(format::time_date).unwrap_or_default()),
            "corrected_iso" => Value::from(a.corrected_at.map(format::rfc3339).unwrap_or_default()),
            _ => Value::UNDEFINED,
        }
    }
}

impl Object for ArticleFields {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        let at = ARTICLE_FIELDS.iter().position(|f| *f == key)?;
        Some(self.made[at].get_or_init(|| self.make(key)).clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&ARTICLE_FIELDS)
    }
}

pub fn article(chrome: &Arc<Chrome>, a: Arc<Article>) -> Value {
    Value::from_object(ArticleFields {
        article: a,
        chrome: chrome.clone(),
        made: Default::default(),
    })
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

/// Where a page's context keeps the chrome for the theme's `frame()`.
pub const CHROME_KEY: &str = "_chrome";

/// The context every template gets, with the page's own values added.
pub fn page(
    chrome: &Arc<Chrome>,
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
        ("menu", chrome.menu(active_category)),
        ("pages_menu", chrome.values.pages_menu.clone()),
        ("page_title", Value::from(page_title)),
        ("meta", meta_value),
        ("breadcrumbs", breadcrumbs),
        (
            "menu_path",
            Value::from(chrome.values.menu_path(&meta.path)),
        ),
        ("active_category", Value::from(active_category)),
        ("current_path", Value::from(meta.path)),
        (CHROME_KEY, Value::from_object(ChromeObject(chrome.clone()))),
    ];
    all.extend(own);
    fields(all)
}
