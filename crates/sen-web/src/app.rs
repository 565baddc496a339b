//! The application: configuration, the store, the theme and the read side, shared by every request
//! and background task.

use std::{net::IpAddr, path::PathBuf, sync::Arc, time::Duration};

use ipnet::IpNet;
use parking_lot::RwLock;
use sen_core::format;
use sen_store::Store;

use crate::{
    identity::BotCheck,
    metrics::Metrics,
    read::{
        ReadConfig, ReadSide,
        live::{cookie_key, daily_salt},
    },
    staff_ui::AdminUi,
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
    /// Where media files live (the binary sets a directory under the data directory, or S3).
    pub media: sen_media::StorageConfig,
    pub media_limits: crate::library::MediaLimits,
    /// Where uploads wait while they are checked (never in memory whole).
    pub upload_dir: PathBuf,
    /// On S3, answer large files with a redirect to a signed URL of the bucket instead of
    /// streaming them through sen.
    pub media_redirect: bool,
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
            media: sen_media::StorageConfig::Memory,
            media_limits: crate::library::MediaLimits::default(),
            upload_dir: std::env::temp_dir(),
            media_redirect: false,
        }
    }
}

impl WebConfig {
    /// Served over TLS (behind a proxy that terminates it): cookies get `Secure` and HSTS is sent.
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

pub struct AppInner {
    pub store: Store,
    pub config: WebConfig,
    pub theme: Theme,
    /// The admin area's own templates and messages.
    pub admin_ui: AdminUi,
    pub read: ReadSide,
    /// The media storage and the pool that makes image variants.
    pub library: Arc<crate::library::Library>,
    pub metrics: Metrics,
    pub bots: BotCheck,
    /// The outbox position this node's catalogue and caches are current with at start: taken before
    /// they load, so a change committed while they load is applied by the follower.
    pub start_position: i64,
    secret: String,
    /// The salt of the Vietnamese day numbered in `.0`, so the hot path only compares numbers.
    salt: RwLock<(u64, [u8; 32])>,
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
    #[error(transparent)]
    Media(#[from] sen_media::MediaError),
}

impl App {
    pub async fn new(store: Store, config: WebConfig) -> Result<Self, StartError> {
        let theme = Theme::load(config.theme_dir.clone(), &config.lang)?;
        let admin_ui = AdminUi::load(&config.lang)?;
        let secret = store.secret("visitor-salt").await?;
        // Before anything is loaded: what commits from here on reaches this node through the outbox.
        let start_position = store.last_change_id().await?;
        let read = ReadSide::new(
            store.clone(),
            ReadConfig {
                base_url: config.base_url.clone(),
                cache_bytes: config.cache_bytes,
                cache_ttl: config.cache_ttl,
                visitor_capacity: config.visitor_capacity,
                node_id: config.node_id.clone(),
            },
        );
        let mut library = crate::library::Library::new(
            sen_media::Storage::open(&config.media)?,
            config.media_limits,
            config.upload_dir.clone(),
        );
        library.redirect = config.media_redirect;
        let library = Arc::new(library);
        let app = App(Arc::new(AppInner {
            library,
            store: store.clone(),
            config,
            theme,
            admin_ui,
            read,
            metrics: Metrics::default(),
            bots: BotCheck::default(),
            start_position,
            secret,
            salt: RwLock::new((u64::MAX, [0; 32])),
        }));
        // Writes made by this process drop cached pages before the write call returns.
        let weak = Arc::downgrade(&app.0);
        store.on_change(move |change| {
            if let Some(inner) = weak.upgrade() {
                inner.read.apply_change(change);
            }
        });
        app.refresh_figures().await;
        let loading = std::time::Instant::now();
        let listed = app.read.lists().await?.len();
        tracing::info!(
            articles = listed,
            millis = loading.elapsed().as_millis() as u64,
            "catalogue of published articles loaded"
        );
        Ok(app)
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

    /// The key a visitor's cookie is remembered under, the same on every node.
    pub fn visitor_key(&self, cookie: &str) -> u64 {
        cookie_key(&self.secret, cookie)
    }

    /// Loopback and the configured networks may read `/metrics`; an unknown client never.
    pub fn metrics_allowed(&self, client: Option<IpAddr>) -> bool {
        client.is_some_and(|ip| {
            ip.is_loopback()
                || self
                    .config
                    .metrics_allow
                    .iter()
                    .any(|net| net.contains(&ip))
        })
    }
}
