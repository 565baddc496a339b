//! The read side: what pages and the API show, kept in memory and brought up to date by changes —
//! the catalogue of published articles, the page cache, the live counters and the chrome. Sections
//! (public pages, the API, later the admin) call it; none of them reaches past it into the store's
//! lists.

pub mod cache;
pub mod catalog;
pub mod chrome;
pub mod health;
pub mod live;
pub mod memo;

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use parking_lot::RwLockReadGuard;
use sen_core::{Change, format};
use sen_store::{Store, StoreError};

use cache::{PageCache, Slot};
use catalog::{Catalog, Entry, Index};
use chrome::{Chrome, this_year};
use health::Health;
use live::{ViewCounters, Visitors};
use memo::Memo;

/// A shared list of catalogue entries.
pub type ArticleList = Arc<Vec<Arc<Entry>>>;

/// The most read articles, and a number no other list made by this process has: what a kept
/// rendering of the list is keyed on.
#[derive(Clone)]
pub struct MostRead {
    pub serial: u64,
    pub list: ArticleList,
}

impl std::ops::Deref for MostRead {
    type Target = [Arc<Entry>];
    fn deref(&self) -> &[Arc<Entry>] {
        &self.list
    }
}

static MOST_READ_SERIAL: AtomicU64 = AtomicU64::new(1);

/// Where this node's seconds begin: see `ReadSide::now_secs`.
const CLOCK_HEADROOM: u64 = 2 * 3600;

/// How long the most-read ranking is kept: views change it without any change event.
const MOST_READ_AGE: Duration = Duration::from_secs(60);

/// Visit figures booked in the store, refreshed every tick; pending visits are added when shown.
#[derive(Default)]
pub struct VisitFigures {
    pub today: AtomicI64,
    pub week: AtomicI64,
    pub all: AtomicI64,
    pub online_all_nodes: AtomicI64,
    pub in_flight: AtomicI64,
}

/// How the read side is sized.
pub struct ReadConfig {
    pub base_url: String,
    pub cache_bytes: u64,
    pub cache_ttl: Duration,
    pub visitor_capacity: usize,
    /// Names the node in the log.
    pub node_id: String,
}

pub struct ReadSide {
    store: Store,
    base_url: String,
    pub cache: PageCache,
    pub catalog: Catalog,
    pub views: ViewCounters,
    pub visitors: Visitors,
    pub figures: VisitFigures,
    pub health: Health,
    chrome: Memo<Arc<Chrome>>,
    most_read: Memo<MostRead>,
    started: Instant,
    /// Unix time of this node's second 0.
    base_unix: i64,
}

impl ReadSide {
    pub fn new(store: Store, config: ReadConfig) -> Self {
        let base_unix = time::OffsetDateTime::now_utc().unix_timestamp() - CLOCK_HEADROOM as i64;
        Self {
            store,
            base_url: config.base_url,
            cache: PageCache::new(config.cache_bytes, config.cache_ttl),
            catalog: Catalog::default(),
            views: ViewCounters::default(),
            visitors: Visitors::new(config.visitor_capacity, base_unix),
            figures: VisitFigures::default(),
            health: Health::new(config.node_id),
            chrome: Memo::new(None),
            most_read: Memo::new(Some(MOST_READ_AGE)),
            started: Instant::now(),
            base_unix,
        }
    }

    /// The clock of visits and repeat views, in seconds: it starts at two hours, so that what a
    /// browser says happened on another node shortly before this one started has a second too.
    pub fn now_secs(&self) -> u64 {
        CLOCK_HEADROOM + self.started.elapsed().as_secs()
    }

    /// Unix time on the same clock, for what other nodes compare.
    pub fn unix_now(&self) -> i64 {
        self.base_unix
            .saturating_add(i64::try_from(self.now_secs()).unwrap_or(i64::MAX))
    }

    /// This node's second for a Unix time, when it is not in the future.
    pub fn secs_at(&self, unix: i64) -> Option<u64> {
        let ago = u64::try_from(self.unix_now().checked_sub(unix)?).ok()?;
        self.now_secs().checked_sub(ago)
    }

    /// Marks what a change makes old: called right after a local commit and for every outbox entry.
    pub fn apply_change(&self, change: &Change) {
        self.catalog.apply(change);
        self.cache.apply(change);
        match change {
            Change::Site | Change::Category { .. } | Change::Page { .. } => self.chrome.clear(),
            Change::Article { .. } => {}
        }
        self.most_read.clear();
    }

    /// The chrome, read again after a change to the site, the categories or the pages (and at
    /// the turn of the year, for the copyright line). While the database is away the last one
    /// read is used.
    pub async fn chrome(&self) -> Result<Arc<Chrome>, StoreError> {
        if let Some(chrome) = self.chrome.get(|c| c.values.year == this_year()) {
            return Ok(chrome);
        }
        let generation = self.chrome.generation();
        let read = async {
            Ok::<_, StoreError>(Chrome::new(
                self.store.site().await?,
                self.store.categories().await?,
                self.store.pages().await?,
                &self.base_url,
            ))
        };
        let chrome = or_last(read.await.map(Arc::new), &self.chrome)?;
        self.chrome.put(generation, chrome.clone());
        Ok(chrome)
    }

    /// The catalogue of published articles, up to date with every change seen so far.
    pub async fn lists(&self) -> Result<RwLockReadGuard<'_, Index>, StoreError> {
        self.catalog.read(&self.store).await
    }

    /// The most read articles of the last 7 days, recomputed at most once a minute and after
    /// every change. Once a minute one request reads the ranking while the others in flight show
    /// the one before.
    pub async fn most_read(&self) -> Result<MostRead, StoreError> {
        let remake = match self.most_read.get_or_remake() {
            Ok(list) => return Ok(list),
            Err(remake) => remake,
        };
        let since = format::day_key(time::OffsetDateTime::now_utc() - time::Duration::days(6));
        let ranked = match self.store.most_read(&since, 6).await {
            Ok(ranked) => ranked,
            // Kept until the database answers again.
            Err(err) => return or_last(Err(err), &self.most_read),
        };
        let list: Vec<Arc<Entry>> = {
            let lists = self.lists().await?;
            ranked
                .iter()
                .filter_map(|id| lists.get(*id).cloned())
                .collect()
        };
        let list = MostRead {
            serial: MOST_READ_SERIAL.fetch_add(1, Ordering::Relaxed),
            list: Arc::new(list),
        };
        remake.put(list.clone());
        Ok(list)
    }

    /// The value of a live slot right now.
    pub fn live_value(&self, slot: Slot, article: Option<i64>) -> i64 {
        let f = &self.figures;
        let unbooked = f.in_flight.load(Ordering::Relaxed) + self.visitors.pending_visits();
        match slot {
            Slot::Views => article.map(|id| self.views.current(id, 0)).unwrap_or(0),
            Slot::Online => {
                let here = i64::try_from(self.visitors.online_here()).unwrap_or(i64::MAX);
                f.online_all_nodes.load(Ordering::Relaxed).max(here)
            }
            Slot::Today => f.today.load(Ordering::Relaxed) + unbooked,
            Slot::Week => f.week.load(Ordering::Relaxed) + unbooked,
            Slot::Total => f.all.load(Ordering::Relaxed) + unbooked,
        }
    }
}

/// A value just read, or, when the database is away, the last one `memo` held: what was read
/// before the outage beats a 503.
fn or_last<T: Clone>(read: Result<T, StoreError>, memo: &Memo<T>) -> Result<T, StoreError> {
    match read {
        Err(err) if err.is_unavailable() => memo.last().ok_or(err),
        other => other,
    }
}
