//! The chrome: what every page shows around its content (identity, category menu, static pages), read
//! from the store once per version and kept with its template values.

use std::{collections::HashSet, sync::Arc};

use minijinja::{Value, value::Object};
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use sen_core::{Category, Page, Site, format};

use crate::{
    urls::{category_path, page_path},
    values::fields,
};

/// What every page shows around its content: identity, menu, static pages.
#[derive(Debug)]
pub struct Chrome {
    pub site: Site,
    pub categories: Vec<Category>,
    pub pages: Vec<Page>,
    pub base_url: String,
    /// The same, ready for templates.
    pub values: ChromeValues,
}

impl Chrome {
    pub fn new(site: Site, categories: Vec<Category>, pages: Vec<Page>, base_url: &str) -> Self {
        let values = ChromeValues::new(&site, &categories, &pages, base_url);
        Self {
            site,
            categories,
            pages,
            base_url: base_url.to_string(),
            values,
        }
    }

    pub fn category_by_slug(&self, slug: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.slug == slug)
    }

    pub fn category(&self, id: i64) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// The category and its ancestors, from the top of the tree down. The store refuses cycles;
    /// a walk still stops at the first category it meets again.
    pub fn trail(&self, id: i64) -> Vec<&Category> {
        let mut trail: Vec<&Category> = Vec::new();
        let mut current = self.category(id);
        while let Some(c) = current {
            if trail.iter().any(|t| t.id == c.id) {
                break;
            }
            trail.push(c);
            current = c.parent_id.and_then(|p| self.category(p));
        }
        trail.reverse();
        trail
    }

    /// A category and all below it, each once even if the tree has a cycle.
    pub fn with_descendants(&self, id: i64) -> Vec<i64> {
        let mut ids = vec![id];
        let mut seen: HashSet<i64> = HashSet::from([id]);
        let mut i = 0;
        while i < ids.len() {
            let parent = ids[i];
            for c in &self.categories {
                if c.parent_id == Some(parent) && seen.insert(c.id) {
                    ids.push(c.id);
                }
            }
            i += 1;
        }
        ids
    }

    /// The category menu with the trail of `active` marked, made once per category.
    pub fn menu(&self, active: Option<i64>) -> Value {
        if let Some(menu) = self.values.menus.lock().get(&active) {
            return menu.clone();
        }
        let active_chain: Vec<i64> = active
            .map(|id| self.trail(id).iter().map(|c| c.id).collect())
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
            self.categories
                .iter()
                .filter(|c| c.in_menu && c.parent_id.is_none())
                .map(|c| {
                    let children: Vec<Value> = self
                        .categories
                        .iter()
                        .filter(|k| k.in_menu && k.parent_id == Some(c.id))
                        .map(|k| item(k, None))
                        .collect();
                    item(c, Some(Value::from(children)))
                })
                .collect::<Vec<_>>(),
        );
        self.values.menus.lock().insert(active, menu.clone());
        menu
    }
}

/// At most this many rendered frames are kept per version of the chrome; past it they are all let
/// go and made again as they are used (frames of an older most-read ranking go that way, and a
/// theme passing a per-page value to a frame can't grow memory).
const MAX_FRAMES: usize = 256;

/// What every page shows of the site, made once per version of the chrome.
#[derive(Debug)]
pub struct ChromeValues {
    pub site: Value,
    pub pages_menu: Value,
    /// The paths the menus link to ("/" included), so a page can tell whether it is one of them.
    menu_paths: HashSet<String>,
    /// The menu with the trail of each category marked active; `None` is the menu with none active.
    menus: Mutex<FxHashMap<Option<i64>, Value>>,
    /// Rendered frames of the theme (see `Theme`'s `frame()`), by name and arguments.
    frames: Mutex<FxHashMap<String, Value>>,
    /// The calendar year (in Vietnam) the values were made in, for the copyright line.
    pub year: i32,
}

pub fn this_year() -> i32 {
    time::OffsetDateTime::now_utc()
        .to_offset(format::VIETNAM)
        .year()
}

impl ChromeValues {
    pub fn new(site: &Site, categories: &[Category], pages: &[Page], base_url: &str) -> Self {
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
        let menu_paths = std::iter::once("/".to_string())
            .chain(
                categories
                    .iter()
                    .filter(|c| c.in_menu)
                    .map(|c| category_path(&c.slug)),
            )
            .chain(
                pages
                    .iter()
                    .filter(|p| p.in_menu)
                    .map(|p| page_path(&p.slug)),
            )
            .collect();
        Self {
            site,
            pages_menu,
            menu_paths,
            menus: Mutex::default(),
            frames: Mutex::default(),
            year,
        }
    }

    /// `path` when a menu links to it, else "": what the menus need to know of the page they are on.
    pub fn menu_path<'a>(&self, path: &'a str) -> &'a str {
        if self.menu_paths.contains(path) {
            path
        } else {
            ""
        }
    }

    pub fn frame(&self, key: &str) -> Option<Value> {
        self.frames.lock().get(key).cloned()
    }

    #[cfg(test)]
    pub fn frames_kept(&self) -> usize {
        self.frames.lock().len()
    }

    pub fn keep_frame(&self, key: String, frame: Value) {
        let mut frames = self.frames.lock();
        if frames.len() >= MAX_FRAMES {
            frames.clear();
        }
        frames.insert(key, frame);
    }
}

/// The chrome as a value of a page's context, for the theme's `frame()`.
#[derive(Debug)]
pub struct ChromeObject(pub Arc<Chrome>);

impl Object for ChromeObject {}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(id: i64, parent_id: Option<i64>) -> Category {
        Category {
            id,
            parent_id,
            name: format!("C{id}"),
            slug: format!("c-{id}"),
            description: String::new(),
            position: 0,
            in_menu: true,
        }
    }

    #[test]
    fn walks_of_a_cyclic_tree_end() {
        // 1 → 2 → 3 → 1: the store refuses this, but rows from elsewhere must not hang a reader.
        let chrome = Chrome::new(
            Site::default(),
            vec![
                category(1, Some(3)),
                category(2, Some(1)),
                category(3, Some(2)),
                category(4, None),
            ],
            Vec::new(),
            "http://x",
        );
        let mut below = chrome.with_descendants(1);
        below.sort_unstable();
        assert_eq!(below, [1, 2, 3]);
        assert_eq!(chrome.trail(2).len(), 3);
        assert_eq!(chrome.with_descendants(4), [4]);
        // Neither category of the cycle is a top-level one, so the menu holds only 4.
        assert_eq!(chrome.menu(Some(2)).len(), Some(1));
    }
}
