//! The catalogue: every published article's list fields, in memory, newest first. All lists on the public
//! pages and in the API read from here, so rendering a page costs at most one query (an article's body).
//! The store stays the source of truth: a change marks what it touched as stale (locally right after the
//! commit, on other nodes through the outbox), and the next reader reloads exactly that before it reads.

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BTreeSet, BinaryHeap},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

// Keyed by our own ids: the fast hash.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use minijinja::Value;
use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use sen_core::{Change, ListedArticle, format};
use sen_store::{Listing, Store, StoreError};

use crate::urls::article_path;
use time::OffsetDateTime;

/// Ids read per query when the whole catalogue loads: bounds the memory a load needs on top of the index.
const LOAD_BATCH: i64 = 2_000;
/// Past this many changed articles one full load is cheaper than a query naming them all.
const RELOAD_ALL_ABOVE: usize = 500;

/// Newest first, then the higher id first: the order of every list.
type Key = (Reverse<OffsetDateTime>, Reverse<i64>);
type Shelf = BTreeMap<Key, Arc<Entry>>;

fn key(a: &Entry) -> Key {
    (Reverse(a.published_at), Reverse(a.id))
}

/// An article in the catalogue: what lists select by, and what a card shows made once into template
/// values, so a list on a page costs reference counts instead of formatting. The text lives only here.
#[derive(Debug)]
pub struct Entry {
    pub id: i64,
    pub category_id: i64,
    pub published_at: OffsetDateTime,
    pub featured: bool,
    pub tag_ids: Vec<i64>,
    pub card: CardValues,
}

#[derive(Debug)]
pub struct CardValues {
    /// The article's path, `/tin/{slug}-{id}.html`.
    pub url: Value,
    pub title: Value,
    pub summary: Value,
    pub cover_url: Value,
    pub cover_caption: Value,
    pub date: Value,
    pub datetime: Value,
    /// RFC 3339, as the API gives times.
    pub iso: Value,
    /// The cover's variants (`srcset`), empty for a cover that is not the library's: made once
    /// here, as every list of cards shows them.
    pub srcset: Value,
}

impl Entry {
    pub fn new(article: ListedArticle) -> Self {
        let a = article.summary;
        let card = CardValues {
            url: Value::from(article_path(&a.slug, a.id)),
            title: Value::from(a.title),
            summary: Value::from(a.summary),
            srcset: Value::from(sen_core::variants::srcset(&a.cover_url).unwrap_or_default()),
            cover_url: Value::from(a.cover_url),
            cover_caption: Value::from(a.cover_caption),
            date: Value::from(format::date(a.published_at)),
            datetime: Value::from(format::time_date(a.published_at)),
            iso: Value::from(format::rfc3339(a.published_at)),
        };
        Self {
            id: a.id,
            category_id: a.category_id,
            published_at: a.published_at,
            featured: article.featured,
            tag_ids: article.tag_ids,
            card,
        }
    }
}

/// Which published articles a list shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Any of these categories; empty means all.
    pub categories: Vec<i64>,
    pub tag: Option<i64>,
    pub featured: Option<bool>,
    pub exclude: Option<i64>,
}

/// The articles, shelved by the ways lists pick them.
#[derive(Default)]
pub struct Index {
    by_id: HashMap<i64, Arc<Entry>>,
    newest: Shelf,
    featured: Shelf,
    by_category: HashMap<i64, Shelf>,
    by_tag: HashMap<i64, Shelf>,
}

impl Index {
    fn insert(&mut self, article: ListedArticle) {
        self.remove(article.summary.id);
        let article = Arc::new(Entry::new(article));
        let k = key(&article);
        self.newest.insert(k, article.clone());
        if article.featured {
            self.featured.insert(k, article.clone());
        }
        self.by_category
            .entry(article.category_id)
            .or_default()
            .insert(k, article.clone());
        for tag in &article.tag_ids {
            self.by_tag
                .entry(*tag)
                .or_default()
                .insert(k, article.clone());
        }
        self.by_id.insert(article.id, article);
    }

    fn remove(&mut self, id: i64) {
        let Some(old) = self.by_id.remove(&id) else {
            return;
        };
        let k = key(&old);
        self.newest.remove(&k);
        self.featured.remove(&k);
        let drop_from = |shelves: &mut HashMap<i64, Shelf>, at: i64| {
            if let Some(shelf) = shelves.get_mut(&at) {
                shelf.remove(&k);
                if shelf.is_empty() {
                    shelves.remove(&at);
                }
            }
        };
        drop_from(&mut self.by_category, old.category_id);
        for tag in &old.tag_ids {
            drop_from(&mut self.by_tag, *tag);
        }
    }

    /// Articles whose publication time falls in `(after, until]`: scheduled ones coming into view.
    pub fn coming_due(&self, after: OffsetDateTime, until: OffsetDateTime) -> Vec<Arc<Entry>> {
        self.newest
            .values()
            .skip_while(|a| a.published_at > until)
            .take_while(|a| a.published_at > after)
            .cloned()
            .collect()
    }

    pub fn get(&self, id: i64) -> Option<&Arc<Entry>> {
        self.by_id.get(&id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The articles `filter` picks that are public at `now`, newest first.
    fn matching<'a>(
        &'a self,
        filter: &ListFilter,
        now: OffsetDateTime,
    ) -> impl Iterator<Item = &'a Arc<Entry>> + use<'a> {
        let empty = || Merged::new(Vec::new());
        // The smallest shelf that holds every match; the other conditions are checked one by one.
        let shelves: Merged<'a> = if let Some(tag) = filter.tag {
            self.by_tag
                .get(&tag)
                .map_or_else(empty, |s| Merged::new(vec![s]))
        } else if filter.featured == Some(true) {
            Merged::new(vec![&self.featured])
        } else if !filter.categories.is_empty() {
            Merged::new(
                filter
                    .categories
                    .iter()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .filter_map(|c| self.by_category.get(c))
                    .collect(),
            )
        } else {
            Merged::new(vec![&self.newest])
        };
        let categories: HashSet<i64> = filter.categories.iter().copied().collect();
        let (exclude, featured, tag) = (filter.exclude, filter.featured, filter.tag);
        shelves.filter(move |a| {
            a.published_at <= now
                && exclude != Some(a.id)
                && (categories.is_empty() || categories.contains(&a.category_id))
                && featured.is_none_or(|f| a.featured == f)
                && tag.is_none_or(|t| a.tag_ids.contains(&t))
        })
    }

    /// One page of a list.
    pub fn list(
        &self,
        filter: &ListFilter,
        now: OffsetDateTime,
        offset: usize,
        limit: usize,
    ) -> Vec<Arc<Entry>> {
        self.matching(filter, now)
            .skip(offset)
            .take(limit)
            .cloned()
            .collect()
    }

    /// How many articles a list holds.
    pub fn count(&self, filter: &ListFilter, now: OffsetDateTime) -> usize {
        self.matching(filter, now).count()
    }

    /// Public articles sharing tags with `article`: most shared tags first, then newest. Only the newest
    /// few of each tag are considered, so a tag on thousands of articles costs no more than a rare one.
    pub fn related(
        &self,
        article: i64,
        tags: &[i64],
        now: OffsetDateTime,
        limit: usize,
    ) -> Vec<Arc<Entry>> {
        let mut shared: HashMap<i64, (usize, &Arc<Entry>)> = HashMap::default();
        for tag in tags.iter().collect::<BTreeSet<_>>() {
            let filter = ListFilter {
                tag: Some(*tag),
                exclude: Some(article),
                ..Default::default()
            };
            for a in self.matching(&filter, now).take(limit * 4) {
                shared.entry(a.id).or_insert((0, a)).0 += 1;
            }
        }
        let mut list: Vec<(usize, &Arc<Entry>)> = shared.into_values().collect();
        list.sort_by_key(|(n, a)| (Reverse(*n), key(a)));
        list.into_iter()
            .take(limit)
            .map(|(_, a)| a.clone())
            .collect()
    }
}

/// Several shelves read as one, newest first (a k-way merge).
struct Merged<'a> {
    iters: Vec<std::collections::btree_map::Values<'a, Key, Arc<Entry>>>,
    heads: BinaryHeap<Reverse<(Key, usize)>>,
    current: Vec<Option<&'a Arc<Entry>>>,
}

impl<'a> Merged<'a> {
    fn new(shelves: Vec<&'a Shelf>) -> Self {
        let mut merged = Merged {
            iters: shelves.iter().map(|s| s.values()).collect(),
            heads: BinaryHeap::new(),
            current: vec![None; shelves.len()],
        };
        for i in 0..merged.iters.len() {
            merged.advance(i);
        }
        merged
    }

    fn advance(&mut self, i: usize) {
        let next = self.iters[i].next();
        if let Some(a) = next {
            self.heads.push(Reverse((key(a), i)));
        }
        self.current[i] = next;
    }
}

impl<'a> Iterator for Merged<'a> {
    type Item = &'a Arc<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        let Reverse((_, i)) = self.heads.pop()?;
        let item = self.current[i];
        self.advance(i);
        item
    }
}

/// What must be read again before the next list.
#[derive(Default)]
struct Stale {
    everything: bool,
    ids: BTreeSet<i64>,
    /// Counts the marks ever made; the index is current when `applied` has caught up with it.
    marked: u64,
}

/// Nothing to reload.
static EMPTY: Stale = Stale {
    everything: false,
    ids: BTreeSet::new(),
    marked: 0,
};

/// Marks taken for a reload, put back when dropped still holding them.
struct Unapplied<'a> {
    stale: &'a Mutex<Stale>,
    todo: Option<Stale>,
}

impl Drop for Unapplied<'_> {
    fn drop(&mut self) {
        if let Some(todo) = self.todo.take() {
            let mut stale = self.stale.lock();
            stale.everything |= todo.everything;
            stale.ids.extend(todo.ids);
        }
    }
}

pub struct Catalog {
    index: RwLock<Index>,
    stale: Mutex<Stale>,
    /// The `marked` count the index reflects: it moves only once a reload is in the index, so a
    /// reader arriving while another reloads waits for that reload instead of reading old lists.
    applied: AtomicU64,
    /// One reload at a time.
    reloading: tokio::sync::Mutex<()>,
    /// Reloads that failed because the database was away: a reader that waited through one
    /// doesn't try again at once (each try waits out the store's timeout).
    failed_reloads: AtomicU64,
    /// The index has been loaded whole once: until then it has nothing to fall back on.
    loaded: std::sync::atomic::AtomicBool,
}

impl Default for Catalog {
    fn default() -> Self {
        Self {
            index: RwLock::default(),
            stale: Mutex::new(Stale {
                everything: true,
                ids: BTreeSet::new(),
                marked: 1,
            }),
            applied: AtomicU64::new(0),
            reloading: tokio::sync::Mutex::new(()),
            failed_reloads: AtomicU64::new(0),
            loaded: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl Catalog {
    /// Marks what a change touched; called right after a local commit and for every outbox entry.
    pub fn apply(&self, change: &Change) {
        let mut stale = self.stale.lock();
        match change {
            Change::Article { id, .. } => {
                stale.ids.insert(*id);
            }
            // Imports and sample removal announce themselves as site changes; categories may be removed.
            Change::Site | Change::Category { .. } => stale.everything = true,
            Change::Page { .. } => return,
        }
        stale.marked += 1;
    }

    /// The index, brought up to date with every change marked so far. While the database is away
    /// the index as it stands is read (the marks stay for the next try), once it has loaded.
    pub async fn read(&self, store: &Store) -> Result<RwLockReadGuard<'_, Index>, StoreError> {
        if self.is_stale() {
            let failed_before = self.failed_reloads.load(Ordering::Acquire);
            let _one = self.reloading.lock().await;
            let held = self.loaded.load(Ordering::Acquire);
            if held && self.failed_reloads.load(Ordering::Acquire) != failed_before {
                // The reload this reader waited for found the database away.
                return Ok(self.index.read());
            }
            // Another reader may have reloaded while this one waited.
            if self.is_stale() {
                let (todo, marked) = {
                    let mut stale = self.stale.lock();
                    let marked = stale.marked;
                    let todo = Stale {
                        everything: std::mem::take(&mut stale.everything),
                        ids: std::mem::take(&mut stale.ids),
                        marked,
                    };
                    (todo, marked)
                };
                // Put back unless applied: on failure, and when the reader is dropped halfway (a
                // client gone while the database was slow), so the next reader reloads it.
                let mut unapplied = Unapplied {
                    stale: &self.stale,
                    todo: Some(todo),
                };
                let todo = unapplied.todo.as_ref().unwrap_or(&EMPTY);
                if let Err(err) = self.reload(store, todo).await {
                    drop(unapplied);
                    if !(held && err.is_unavailable()) {
                        return Err(err);
                    }
                    self.failed_reloads.fetch_add(1, Ordering::AcqRel);
                    return Ok(self.index.read());
                }
                unapplied.todo = None;
                self.applied.store(marked, Ordering::Release);
            }
        }
        Ok(self.index.read())
    }

    fn is_stale(&self) -> bool {
        self.stale.lock().marked != self.applied.load(Ordering::Acquire)
    }

    async fn reload(&self, store: &Store, todo: &Stale) -> Result<(), StoreError> {
        if todo.everything || todo.ids.len() > RELOAD_ALL_ABOVE {
            let mut index = Index::default();
            let last = store.last_article_id().await?;
            let mut after = 0;
            while after < last {
                let through = after.saturating_add(LOAD_BATCH);
                for article in store
                    .listed_articles(Listing::Range { after, through })
                    .await?
                {
                    index.insert(article);
                }
                after = through;
            }
            *self.index.write() = index;
            self.loaded.store(true, Ordering::Release);
        } else if !todo.ids.is_empty() {
            let ids: Vec<i64> = todo.ids.iter().copied().collect();
            let fresh = store.listed_articles(Listing::Ids(&ids)).await?;
            let mut index = self.index.write();
            for id in &ids {
                index.remove(*id);
            }
            for article in fresh {
                index.insert(article);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sen_core::ArticleSummary;
    use time::Duration;

    fn article(id: i64, category: i64, minutes_ago: i64, tags: &[i64]) -> ListedArticle {
        ListedArticle {
            summary: ArticleSummary {
                id,
                title: format!("Tin {id}"),
                slug: format!("tin-{id}"),
                summary: String::new(),
                cover_url: String::new(),
                cover_caption: String::new(),
                category_id: category,
                published_at: OffsetDateTime::UNIX_EPOCH + Duration::days(20_000)
                    - Duration::minutes(minutes_ago),
                views: 0,
            },
            featured: id % 2 == 0,
            tag_ids: tags.to_vec(),
        }
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20_000)
    }

    fn ids(list: &[Arc<Entry>]) -> Vec<i64> {
        list.iter().map(|a| a.id).collect()
    }

    fn index() -> Index {
        let mut index = Index::default();
        // Category 1 has 1..=5 (5 newest), category 2 has 6, category 3 (a child of 1 in the tree) has 7.
        for i in 1..=5 {
            index.insert(article(i, 1, 10 - i, &[100]));
        }
        index.insert(article(6, 2, 0, &[100, 200]));
        index.insert(article(7, 3, 30, &[200]));
        // Scheduled for an hour from now: in the index, in no list yet.
        index.insert(article(8, 1, -60, &[100]));
        index
    }

    #[test]
    fn lists_are_newest_first_and_leave_out_scheduled_articles() {
        let index = index();
        let all = ListFilter::default();
        assert_eq!(ids(&index.list(&all, now(), 0, 100)), [6, 5, 4, 3, 2, 1, 7]);
        assert_eq!(index.count(&all, now()), 7);
        // An hour later the scheduled one leads.
        let later = now() + Duration::hours(2);
        assert_eq!(index.list(&all, later, 0, 1)[0].id, 8);
    }

    #[test]
    fn scheduled_articles_come_due_once() {
        let index = index();
        // Article 8 is scheduled an hour after `now()`.
        let due = |from: i64, to: i64| {
            ids(&index.coming_due(
                now() + Duration::minutes(from),
                now() + Duration::minutes(to),
            ))
        };
        assert!(due(0, 59).is_empty());
        assert_eq!(due(59, 61), [8]);
        assert!(due(61, 120).is_empty());
        // Windows are half-open: 5 was published 5 minutes before `now()`, 4 six minutes before.
        assert_eq!(due(-6, -5), [5]);
        assert_eq!(due(-7, -5), [5, 4]);
    }

    #[test]
    fn category_lists_merge_subcategories_and_page() {
        let index = index();
        let tree = ListFilter {
            categories: vec![1, 3, 1],
            ..Default::default()
        };
        assert_eq!(index.count(&tree, now()), 6);
        assert_eq!(ids(&index.list(&tree, now(), 0, 100)), [5, 4, 3, 2, 1, 7]);
        assert_eq!(ids(&index.list(&tree, now(), 2, 2)), [3, 2]);
        assert!(index.list(&tree, now(), 100, 10).is_empty());
        let other_news = ListFilter {
            categories: vec![1],
            exclude: Some(5),
            ..Default::default()
        };
        assert_eq!(ids(&index.list(&other_news, now(), 0, 2)), [4, 3]);
        let nothing = ListFilter {
            categories: vec![99],
            ..Default::default()
        };
        assert_eq!(index.count(&nothing, now()), 0);
    }

    #[test]
    fn featured_and_tag_lists() {
        let index = index();
        let featured = ListFilter {
            featured: Some(true),
            ..Default::default()
        };
        assert_eq!(ids(&index.list(&featured, now(), 0, 10)), [6, 4, 2]);
        let tagged = ListFilter {
            tag: Some(200),
            ..Default::default()
        };
        assert_eq!(ids(&index.list(&tagged, now(), 0, 10)), [6, 7]);
        let unknown = ListFilter {
            tag: Some(999),
            ..Default::default()
        };
        assert_eq!(index.count(&unknown, now()), 0);
    }

    #[test]
    fn related_prefers_shared_tags_then_newest() {
        let index = index();
        // 6 shares both tags with a hypothetical article tagged 100 and 200.
        let related = index.related(1, &[100, 200], now(), 3);
        assert_eq!(ids(&related), [6, 5, 4]);
        assert!(index.related(1, &[], now(), 3).is_empty());
    }

    sen_store::dual_test!(
        a_reload_dropped_halfway_is_done_by_the_next_reader,
        |backend| async move {
            let store = sen_store::testing::store(backend).await;
            let category = store
                .create_category(
                    &sen_core::Actor::CLI,
                    sen_core::CategoryInput {
                        name: "Tin".into(),
                        ..Default::default()
                    },
                )
                .await
                .expect("category")
                .id;
            let catalog = Catalog::default();
            assert!(catalog.read(&store).await.expect("load").is_empty());
            let mut input = sen_core::ArticleInput::new("Mới", category);
            input.status = sen_core::ArticleStatus::Published;
            input.published_at = Some(OffsetDateTime::now_utc() - Duration::minutes(1));
            let id = store
                .create_article(&sen_core::Actor::CLI, input)
                .await
                .expect("article")
                .id;
            catalog.apply(&Change::Article {
                id,
                categories: vec![category],
                tags: vec![],
            });
            // A reader whose client went away: its future is dropped at its first wait (on SQLite
            // the read may finish without one).
            drop(tokio::time::timeout(std::time::Duration::ZERO, catalog.read(&store)).await);
            assert!(catalog.read(&store).await.expect("read").get(id).is_some());
        }
    );

    #[test]
    fn replacing_and_removing_keep_every_shelf_consistent() {
        let mut index = index();
        // Article 5 moves to category 2, loses its tag and its featured flag goes away (5 is odd anyway).
        index.insert(article(5, 2, 1, &[]));
        let cat1 = ListFilter {
            categories: vec![1],
            ..Default::default()
        };
        let cat2 = ListFilter {
            categories: vec![2],
            ..Default::default()
        };
        assert_eq!(ids(&index.list(&cat1, now(), 0, 10)), [4, 3, 2, 1]);
        assert_eq!(ids(&index.list(&cat2, now(), 0, 10)), [6, 5]);
        index.remove(6);
        index.remove(6);
        assert_eq!(ids(&index.list(&cat2, now(), 0, 10)), [5]);
        let tagged = ListFilter {
            tag: Some(200),
            ..Default::default()
        };
        assert_eq!(ids(&index.list(&tagged, now(), 0, 10)), [7]);
        assert_eq!(index.len(), 7);
    }
}
