//! `sen`: serve the portal, migrate the database, add or remove the sample content, manage staff
//! accounts and API tokens.

mod accounts;
mod config;
mod covers;
mod logging;
mod sample;

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use sen_store::{Backend, SampleState, Store};
use sen_web::{App, Tasks, WebConfig};

use crate::config::{ConnectionArgs, FileConfig};

#[derive(Parser)]
#[command(
    name = "sen",
    version,
    about = "A news-portal engine for associations and public agencies"
)]
struct Cli {
    /// Data directory (SQLite database and local files).
    #[arg(long, global = true, env = "SEN_DATA")]
    data: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB (default: SQLite in the data directory).
    #[arg(long, global = true, env = "SEN_DATABASE_URL")]
    database: Option<String>,
    /// Settings file (default: ./sen.toml when it exists).
    #[arg(long, global = true, env = "SEN_CONFIG")]
    config: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long, global = true, env = "SEN_LOG_FORMAT")]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "SEN_LISTEN")]
        listen: Option<String>,
        /// Public address of the portal, for canonical links (default: http://LISTEN).
        #[arg(long, env = "SEN_BASE_URL")]
        base_url: Option<String>,
        /// Don't create the sample portal on an empty SQLite database.
        #[arg(long)]
        no_sample: bool,
        /// Create the sample portal on an empty database, PostgreSQL included.
        #[arg(long, conflicts_with = "no_sample")]
        sample: bool,
        /// Memory for the page cache in MiB; 0 turns it off.
        #[arg(long, env = "SEN_CACHE_MB")]
        cache_mb: Option<u64>,
        /// Names this node among several (default: the host name and port).
        #[arg(long, env = "SEN_NODE_ID")]
        node_id: Option<String>,
        #[command(flatten)]
        connections: ConnectionArgs,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Add the sample portal, remove it, or generate a large corpus.
    Sample {
        /// Remove the sample content (and generated articles); what editors wrote stays.
        #[arg(long)]
        remove: bool,
        /// Generate this many deterministic articles (for benchmarks and tests).
        #[arg(long, conflicts_with = "remove")]
        articles: Option<usize>,
    },
    /// Manage staff accounts: add, passwd, disable, enable, list.
    User {
        #[command(subcommand)]
        command: accounts::UserCommand,
    },
    /// Manage API tokens: create, list, revoke.
    Token {
        #[command(subcommand)]
        command: accounts::TokenCommand,
    },
    /// The media library's storage.
    Media {
        #[command(subcommand)]
        command: MediaCommand,
    },
}

#[derive(Debug, clap::Subcommand)]
enum MediaCommand {
    /// Check that every file of the library is in the storage and every stored object belongs to
    /// a file; exits 1 when something is missing or left over.
    Check {
        /// Remove the stored objects that no file of the library names.
        #[arg(long)]
        fix_orphans: bool,
    },
}

async fn open_store(url: &str) -> anyhow::Result<Store> {
    Store::open(url)
        .await
        .with_context(|| format!("cannot open database {}", config::redact(url)))
}

#[tokio::main]
async fn main() {
    let result = run().await;
    logging::flush();
    if let Err(err) = result {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let file = FileConfig::load(cli.config.as_ref())?;
    let log_format = cli
        .log_format
        .clone()
        .or(file.log_format.clone())
        .unwrap_or_else(|| "text".into());
    logging::init(&log_format)?;
    let data = cli
        .data
        .clone()
        .or(file.data.clone())
        .unwrap_or_else(|| PathBuf::from("sen-data"));
    let database = cli.database.clone().or(file.database.clone());
    let url = config::database_url(database, &data)?;
    if url.starts_with("sqlite:") {
        config::ensure_writable(&data)?;
    }
    match cli.command {
        Command::User { command } => {
            let store = open_store(&url).await?;
            let done = accounts::user(&store, command).await;
            store.close().await;
            done
        }
        Command::Token { command } => {
            let store = open_store(&url).await?;
            let done = accounts::token(&store, command).await;
            store.close().await;
            done
        }
        Command::Media {
            command: MediaCommand::Check { fix_orphans },
        } => {
            let store = open_store(&url).await?;
            let (media, _) = config::media(&file, &data)?;
            let storage = sen_media::Storage::open(&media)?;
            let report = sen_web::check_media(&store, &storage, fix_orphans)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            store.close().await;
            for key in &report.missing {
                println!("missing: {key} (the library names it; the storage has no such object)");
            }
            for (key, size) in &report.orphans {
                println!("orphan: {key} ({size} bytes, named by no file of the library)");
            }
            if report.removed > 0 {
                println!("removed {} orphans", report.removed);
            }
            let left = report.orphans.len() - report.removed;
            println!(
                "media in {storage:?}: {} missing, {} orphans{}",
                report.missing.len(),
                report.orphans.len(),
                if fix_orphans { " (removed)" } else { "" }
            );
            if report.missing.is_empty() && left == 0 {
                Ok(())
            } else {
                Err(anyhow::anyhow!(
                    "the media storage and the library disagree (see above){}",
                    if left > 0 {
                        "; --fix-orphans removes the orphans"
                    } else {
                        ""
                    }
                ))
            }
        }
        Command::Migrate => {
            let store = open_store(&url).await?;
            store.close().await;
            println!("database {} is up to date", config::redact(&url));
            Ok(())
        }
        Command::Sample { remove, articles } => {
            let store = open_store(&url).await?;
            let now = time::OffsetDateTime::now_utc();
            if remove {
                let n = store.remove_sample().await?;
                println!("removed the sample content ({n} articles)");
            } else if let Some(count) = articles {
                const BATCH: usize = 1000;
                let mut done = 0;
                while done < count {
                    let n = BATCH.min(count - done);
                    store.add_generated(&sample::corpus(n, done, now)?).await?;
                    done += n;
                }
                println!("generated {count} articles");
            } else if store.add_sample(&sample::bundle(now)?, false).await? {
                println!("added the sample portal");
            } else {
                println!("the sample portal is already there");
            }
            store.close().await;
            Ok(())
        }
        Command::Serve {
            listen,
            base_url,
            no_sample,
            sample,
            cache_mb,
            node_id,
            connections,
        } => {
            let limits = config::limits(&connections, &file)?;
            let (media, media_limits) = config::media(&file, &data)?;
            let listen = listen
                .or(file.listen.clone())
                .unwrap_or_else(|| "127.0.0.1:8080".into());
            let addr = config::parse_listen(&listen)?;
            let base_url = base_url
                .or(file.base_url.clone())
                .unwrap_or_else(|| format!("http://{addr}"))
                .trim_end_matches('/')
                .to_string();
            let web = WebConfig {
                base_url,
                lang: file.lang.clone().unwrap_or_else(|| "vi".into()),
                theme_dir: file.theme_dir.clone(),
                cache_bytes: cache_mb
                    .or(file.cache_mb)
                    .unwrap_or(config::DEFAULT_CACHE_MB)
                    << 20,
                cache_ttl: config::CACHE_TTL,
                trusted_proxies: config::parse_nets(
                    &file.trusted_proxies.clone().unwrap_or_default(),
                    "trusted_proxies",
                )?,
                metrics_allow: config::parse_nets(
                    &file.metrics_allow.clone().unwrap_or_default(),
                    "metrics_allow",
                )?,
                node_id: node_id
                    .or(file.node_id.clone())
                    .unwrap_or_else(|| format!("{}-{}", host_name(), addr.port())),
                media,
                media_limits,
                upload_dir: data.join("uploads"),
                media_redirect: std::env::var("SEN_MEDIA_REDIRECT")
                    .ok()
                    .map(|v| matches!(v.as_str(), "1" | "true" | "yes"))
                    .or(file.media_redirect)
                    .unwrap_or(false),
                ..WebConfig::default()
            };
            serve(&url, addr, web, limits, no_sample, sample).await
        }
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "sen".into())
}

async fn serve(
    url: &str,
    addr: SocketAddr,
    web: WebConfig,
    limits: sen_web::Limits,
    no_sample: bool,
    sample: bool,
) -> anyhow::Result<()> {
    let store = open_store(url).await?;
    let wants_sample = sample || (store.backend() == Backend::Sqlite && !no_sample);
    if wants_sample
        && store.sample_state().await? == SampleState::Never
        && !store.has_content().await?
        && store
            .add_sample(&sample::bundle(time::OffsetDateTime::now_utc())?, true)
            .await?
    {
        tracing::info!("created the sample portal; remove it with `sen sample --remove`");
        if store.backend() == Backend::Sqlite {
            first_admin(&store, &web.base_url).await?;
        }
    }
    raise_file_limit(limits.max_connections);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let app = App::new(store.clone(), web).await?;
    let tasks = Tasks::start(&app).await;
    tracing::info!(%addr, database = %config::redact(url), "sen is serving");

    sen_web::serve(listener, &app, limits, async {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests, then flushing counts");
    })
    .await;
    tasks.shutdown().await;
    store.close().await;
    Ok(())
}

/// Makes the first administrator of a new portal, `admin` with a random password printed once,
/// unless an active administrator exists.
async fn first_admin(store: &Store, base_url: &str) -> anyhow::Result<()> {
    if store.has_admin().await? {
        return Ok(());
    }
    let password = sen_store::random_password();
    let created = store
        .create_user(
            &sen_core::Actor::System { name: "serve" },
            sen_core::NewUser {
                username: "admin".into(),
                display_name: String::new(),
                role: sen_core::Role::Admin,
                password: password.clone(),
                categories: vec![],
                must_change_password: true,
            },
        )
        .await;
    match created {
        Ok(_) => {
            println!("created the administrator \"admin\" with the password: {password}");
            println!("sign in at {base_url}/admin/login (the password is shown only this once)");
        }
        // A user named admin that is not an active administrator: the operator decides.
        Err(err) => tracing::warn!(error = %err, "no administrator made: use `sen user add`"),
    }
    Ok(())
}

/// Each connection is a file descriptor: takes the soft limit up to the hard one, and says when
/// even that is below the connection limit (accepting then pauses while descriptors run out).
fn raise_file_limit(max_connections: usize) {
    // Descriptors besides connections: the database, the log, theme and media files.
    const RESERVE: u64 = 64;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < max_connections as u64 + RESERVE => tracing::warn!(
            file_limit = limit,
            max_connections,
            "the file descriptor limit is below max_connections; raise it (ulimit -n, LimitNOFILE=)"
        ),
        Ok(limit) => tracing::debug!(file_limit = limit, "file descriptor limit"),
        Err(e) => tracing::warn!(error = %e, "cannot read or raise the file descriptor limit"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
