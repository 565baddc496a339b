use std::{
    net::IpAddr,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{Router, middleware::from_fn_with_state, routing::get};
use ipnet::IpNet;
use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use sen_core::{Category, Change, Page, Site, format};
use sen_store::Store;

use crate::{
    api,
    cache::{PageCache, Slot},
    catalog::{Catalog, Entry, Index},
    context::{self, ChromeValues},
    live::{ViewCounters, Visitors, daily_salt},
    metrics::Metrics,
    middleware, public,
    theme::{Theme, ThemeError},
};

/// What the HTTP side needs to know; the binary fills it from defaults, `sen.toml`, `SEN_*` and flags.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The public address of the portal, for canonical links and the API (no trailing slash).
    pub base_url: String,
    pub lang: String,
    pub theme_dir: Option<PathBuf>,
    /// Memory for cached pages; 0 turns the page cache off.
    pub cache_bytes: u64,
    pub cache_ttl: Duration,
    /// Connections from these addresses may name the client in `X-Forwarded-For`.
    pub trusted_proxies: Vec<IpNet>,
    /// Besides loopback, who may read `/metrics`.
    pub metrics_allow: Vec<IpNet>,
    /// Names this node in the shared online count.
    pub node_id: String,
    /// How many visitors (and repeat views) are remembered at most.
    pub visitor_capacity: usize,
    pub flush_interval: Duration,
    pub follow_interval: Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8080".into(),
            lang: "vi".into(),
            theme_dir: None,
            cache_bytes: 64 << 20,
            cache_ttl: Duration::from_secs(60),
            trusted_proxies: Vec::new(),
            metrics_allow: Vec::new(),
            node_id: "node".into(),
            visitor_capacity: 200_000,
            flush_interval: Duration::from_millis(500),
            follow_interval: Duration::from_millis(200),
        }
    }
}

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
        let values = ChromeValues::new(&site, &pages, base_url);
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

    /// The category and its ancestors, from the top of the tree down (cycles are cut).
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

    /// A category and all below it.
    pub fn with_descendants(&self, id: i64) -> Vec<i64> {
        let mut ids = vec![id];
        let mut i = 0;
        while i < ids.len() {
            let parent = ids[i];
            ids.extend(
                self.categories
                    .iter()
                    .filter(|c| c.parent_id == Some(parent))
                    .map(|c| c.id),
            );
            i += 1;
        }
        ids
    }
}

/// A shared list of catalogue entries.
pub type ArticleList = Arc<Vec<Arc<Entry>>>;

/// Visit figures booked in the store, refreshed every tick; pending visits are added when shown.
#[derive(Default)]
pub struct VisitFigures {
    pub today: AtomicI64,
    pub week: AtomicI64,
    pub all: AtomicI64,
    pub online_all_nodes: AtomicI64,
    pub in_flight: AtomicI64,
}

pub struct AppInner {
    pub store: Store,
    pub config: WebConfig,
    pub theme: Theme,
    pub cache: PageCache,
    pub catalog: Catalog,
    pub views: ViewCounters,
    pub visitors: Visitors,
    pub figures: VisitFigures,
    pub metrics: Metrics,
    pub bots: isbot::Bots,
    secret: String,
    /// The salt of the Vietnamese day numbered in `salt_day`, so the hot path only compares numbers.
    salt: RwLock<(u64, [u8; 32])>,
    chrome: RwLock<Option<Arc<Chrome>>>,
    most_read: Mutex<Option<(Instant, ArticleList)>>,
    started: Instant,
}

/// The application: cheap to clone, shared by every request and background task.
#[derive(Clone)]
pub struct App(pub Arc<AppInner>);

impl std::ops::Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Theme(#[from] ThemeError),
    #[error(transparent)]
    Store(#[from] sen_store::StoreError),
}

impl App {
    pub async fn new(store: Store, config: WebConfig) -> Result<Self, StartError> {
        let theme = Theme::load(config.theme_dir.clone(), &config.lang)?;
        let secret = store.secret("visitor-salt").await?;
        let app = App(Arc::new(AppInner {
            cache: PageCache::new(config.cache_bytes, config.cache_ttl),
            catalog: Catalog::default(),
            visitors: Visitors::new(config.visitor_capacity),
            store: store.clone(),
            config,
            theme,
            views: ViewCounters::default(),
            figures: VisitFigures::default(),
            metrics: Metrics::default(),
            bots: isbot::Bots::default(),
            secret,
            salt: RwLock::new((u64::MAX, [0; 32])),
            chrome: RwLock::new(None),
            most_read: Mutex::new(None),
            started: Instant::now(),
        }));
        // Writes made by this process drop cached pages before the write call returns.
        let weak = Arc::downgrade(&app.0);
        store.on_change(move |change| {
            if let Some(inner) = weak.upgrade() {
                App(inner).apply_change(change);
            }
        });
        app.refresh_figures().await;
        let loading = Instant::now();
        let listed = app.lists().await?.len();
        tracing::info!(
            articles = listed,
            millis = loading.elapsed().as_millis() as u64,
            "catalogue of published articles loaded"
        );
        Ok(app)
    }

    pub fn router(&self) -> Router {
        let public = Router::new()
            .route("/", get(public::home))
            .route("/chuyen-muc/{slug}", get(public::category))
            .route("/the/{slug}", get(public::tag))
            .route("/tin/{file}", get(public::article))
            .route("/in/{id}", get(public::print))
            .route("/trang/{slug}", get(public::page))
            .fallback(public::not_found)
            .layer(from_fn_with_state(self.clone(), middleware::public_page));
        Router::new()
            .route("/static/{*file}", get(public::static_file))
            .route("/media/{*key}", get(public::media))
            .route("/healthz", get(api::healthz))
            .route("/metrics", get(api::metrics))
            .nest("/api/v1", api::router())
            .merge(public)
            .layer(from_fn_with_state(self.clone(), middleware::observe))
            .with_state(self.clone())
    }

    /// Seconds since start: the clock of visits and repeat views.
    pub fn now_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    pub fn daily_salt(&self) -> [u8; 32] {
        let now = time::OffsetDateTime::now_utc();
        let day = u64::try_from((now.unix_timestamp() + 7 * 3600) / 86_400).unwrap_or(0);
        {
            let salt = self.salt.read();
            if salt.0 == day {
                return salt.1;
            }
        }
        let fresh = daily_salt(&self.secret, &format::day_key(now));
        *self.salt.write() = (day, fresh);
        fresh
    }

    pub fn apply_change(&self, change: &Change) {
        self.catalog.apply(change);
        self.cache.apply(change);
        match change {
            Change::Site | Change::Category { .. } | Change::Page { .. } => {
                *self.chrome.write() = None
            }
            Change::Article { .. } => {}
        }
        *self.most_read.lock() = None;
    }

    pub async fn chrome(&self) -> Result<Arc<Chrome>, sen_store::StoreError> {
        if let Some(chrome) = self.chrome.read().clone()
            && chrome.values.year == context::this_year()
        {
            return Ok(chrome);
        }
        let generation = self.cache.generation();
        let chrome = Arc::new(Chrome::new(
            self.store.site().await?,
            self.store.categories().await?,
            self.store.pages().await?,
            &self.config.base_url,
        ));
        if self.cache.generation() == generation {
            *self.chrome.write() = Some(chrome.clone());
        }
        Ok(chrome)
    }

    /// The catalogue of published articles, up to date with every change seen so far.
    pub async fn lists(&self) -> Result<RwLockReadGuard<'_, Index>, sen_store::StoreError> {
        self.catalog.read(&self.store).await
    }

    /// The most read articles of the last 7 days, recomputed at most once a minute.
    pub async fn most_read(&self) -> Result<ArticleList, sen_store::StoreError> {
        if let Some((at, list)) = self.most_read.lock().clone()
            && at.elapsed() < Duration::from_secs(60)
        {
            return Ok(list);
        }
        let since = format::day_key(time::OffsetDateTime::now_utc() - time::Duration::days(6));
        let ranked = self.store.most_read(&since, 6).await?;
        let list: Vec<Arc<Entry>> = {
            let lists = self.lists().await?;
            ranked
                .iter()
                .filter_map(|id| lists.get(*id).cloned())
                .collect()
        };
        let list = Arc::new(list);
        *self.most_read.lock() = Some((Instant::now(), list.clone()));
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
                f.online_all_nodes.load(Ordering::Relaxed).max(here).max(1)
            }
            Slot::Today => f.today.load(Ordering::Relaxed) + unbooked,
            Slot::Week => f.week.load(Ordering::Relaxed) + unbooked,
            Slot::Total => f.all.load(Ordering::Relaxed) + unbooked,
        }
    }

    pub fn metrics_allowed(&self, ip: IpAddr) -> bool {
        ip.is_loopback()
            || self
                .config
                .metrics_allow
                .iter()
                .any(|net| net.contains(&ip))
    }
}
