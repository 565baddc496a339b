//! Settings: defaults in code, then `sen.toml`, then `SEN_*` environment variables, then flags.
//! Flags and variables arrive together through clap; the file fills what they leave unset.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, bail};
use ipnet::IpNet;
use serde::Deserialize;

/// What `sen.toml` may hold; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data: Option<PathBuf>,
    pub database: Option<String>,
    pub base_url: Option<String>,
    pub log_format: Option<String>,
    pub lang: Option<String>,
    pub theme_dir: Option<PathBuf>,
    pub cache_mb: Option<u64>,
    pub trusted_proxies: Option<Vec<String>>,
    pub metrics_allow: Option<Vec<String>>,
    pub node_id: Option<String>,
    pub header_timeout_secs: Option<u64>,
    pub idle_timeout_secs: Option<u64>,
    pub max_header_kb: Option<u64>,
    pub max_connections: Option<u64>,
    pub max_connections_per_address: Option<u64>,
    /// Where media files live: a directory, or `s3://bucket/prefix` (with the `SEN_S3_*`
    /// variables); default `media/` under the data directory.
    pub media_url: Option<String>,
    /// On S3: answer large files with a redirect to a signed URL of the bucket.
    pub media_redirect: Option<bool>,
    /// Largest upload of each kind, in MB.
    pub max_image_mb: Option<u64>,
    pub max_document_mb: Option<u64>,
    pub max_audio_mb: Option<u64>,
    pub max_video_mb: Option<u64>,
}

/// The connection settings as flags and `SEN_*` variables; unset ones come from the file, then
/// from `sen_web::Limits::default()`.
#[derive(Debug, Default, clap::Args)]
pub struct ConnectionArgs {
    /// Seconds a client may take to send a request's headers (also the longest idle wait).
    #[arg(long, env = "SEN_HEADER_TIMEOUT_SECS")]
    pub header_timeout_secs: Option<u64>,
    /// Seconds a keep-alive connection may sit idle.
    #[arg(long, env = "SEN_IDLE_TIMEOUT_SECS")]
    pub idle_timeout_secs: Option<u64>,
    /// Largest request head (request line and headers) in KiB; larger ones get 431.
    #[arg(long, env = "SEN_MAX_HEADER_KB")]
    pub max_header_kb: Option<u64>,
    /// Open connections at most.
    #[arg(long, env = "SEN_MAX_CONNECTIONS")]
    pub max_connections: Option<u64>,
    /// Open connections from one client address at most (trusted proxies are exempt).
    #[arg(long, env = "SEN_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<u64>,
}

/// The connection limits: flags and variables, then the file, then the defaults; each checked.
pub fn limits(args: &ConnectionArgs, file: &FileConfig) -> anyhow::Result<sen_web::Limits> {
    let defaults = sen_web::Limits::default();
    let pick =
        |given: Option<u64>, in_file: Option<u64>, name: &str, min: u64, max: u64| match given
            .or(in_file)
        {
            None => Ok(None),
            Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
            Some(v) => bail!("{name} = {v} is out of range: it must be between {min} and {max}"),
        };
    let secs = |v: Option<u64>, d: Duration| v.map_or(d, Duration::from_secs);
    let count =
        |v: Option<u64>, d: usize| v.map_or(d, |v| usize::try_from(v).unwrap_or(usize::MAX));
    Ok(sen_web::Limits {
        header_timeout: secs(
            pick(
                args.header_timeout_secs,
                file.header_timeout_secs,
                "header_timeout_secs",
                1,
                3600,
            )?,
            defaults.header_timeout,
        ),
        idle_timeout: secs(
            pick(
                args.idle_timeout_secs,
                file.idle_timeout_secs,
                "idle_timeout_secs",
                1,
                3600,
            )?,
            defaults.idle_timeout,
        ),
        max_header_bytes: count(
            pick(
                args.max_header_kb,
                file.max_header_kb,
                "max_header_kb",
                1,
                1024,
            )?
            .map(|kb| kb * 1024),
            defaults.max_header_bytes,
        ),
        max_connections: count(
            pick(
                args.max_connections,
                file.max_connections,
                "max_connections",
                1,
                1_000_000,
            )?,
            defaults.max_connections,
        ),
        max_connections_per_address: count(
            pick(
                args.max_connections_per_address,
                file.max_connections_per_address,
                "max_connections_per_address",
                1,
                1_000_000,
            )?,
            defaults.max_connections_per_address,
        ),
        shutdown_grace: defaults.shutdown_grace,
    })
}

impl FileConfig {
    /// Reads `path`; a missing default file is fine, a missing named file is not.
    pub fn load(path: Option<&PathBuf>) -> anyhow::Result<Self> {
        let (path, required) = match path {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from("sen.toml"), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                // One line: the file, the line in it, and what is wrong there.
                let line = e
                    .span()
                    .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
                let message = e.message().replace('\n', " ");
                match line {
                    Some(line) => anyhow::anyhow!("{} line {line}: {message}", path.display()),
                    None => anyhow::anyhow!("{}: {message}", path.display()),
                }
            }),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }
}

pub fn parse_nets(values: &[String], what: &str) -> anyhow::Result<Vec<IpNet>> {
    values
        .iter()
        .map(|v| {
            let v = v.trim();
            v.parse::<IpNet>()
                .or_else(|_| v.parse::<std::net::IpAddr>().map(IpNet::from))
                .with_context(|| {
                    format!("{what}: {v:?} is neither an IP address nor a network like 10.0.0.0/8")
                })
        })
        .collect()
}

pub fn parse_listen(value: &str) -> anyhow::Result<SocketAddr> {
    value
        .parse()
        .with_context(|| format!("--listen {value:?} is not an address like 127.0.0.1:8080"))
}

/// The database URL: the one given, or a SQLite file in the data directory.
pub fn database_url(given: Option<String>, data: &std::path::Path) -> anyhow::Result<String> {
    match given {
        Some(url)
            if url.starts_with("sqlite:")
                || url.starts_with("postgres:")
                || url.starts_with("postgresql:") =>
        {
            Ok(url)
        }
        Some(url) => bail!(
            "database URL {:?} is not supported: use sqlite://PATH or postgres://USER@HOST/DB",
            redact(&url)
        ),
        None => Ok(format!("sqlite://{}", data.join("sen.db").display())),
    }
}

/// Hides a password in a database URL, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            let creds = &url[start + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..start + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Creates the data directory and proves it can be written.
pub fn ensure_writable(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("data directory {} can't be created", dir.display()))?;
    let probe = dir.join(".sen-write-test");
    std::fs::write(&probe, b"ok")
        .with_context(|| format!("data directory {} can't be written", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

pub const DEFAULT_CACHE_MB: u64 = 64;
pub const CACHE_TTL: Duration = Duration::from_secs(60);

/// The media storage and upload limits from the file and the environment (`SEN_MEDIA_URL` over
/// `media_url`).
pub fn media(
    file: &FileConfig,
    data: &std::path::Path,
) -> anyhow::Result<(sen_media::StorageConfig, sen_web::MediaLimits)> {
    let url = std::env::var("SEN_MEDIA_URL")
        .ok()
        .or(file.media_url.clone());
    let storage =
        sen_media::StorageConfig::parse(url.as_deref(), data, |name| std::env::var(name).ok())?;
    let defaults = sen_web::MediaLimits::default();
    let mb = |value: Option<u64>, default: u64| value.map_or(default, |mb| mb << 20);
    let limits = sen_web::MediaLimits {
        image: mb(file.max_image_mb, defaults.image),
        document: mb(file.max_document_mb, defaults.document),
        audio: mb(file.max_audio_mb, defaults.audio),
        video: mb(file.max_video_mb, defaults.video),
    };
    Ok((storage, limits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_networks() {
        assert_eq!(
            redact("postgres://sen:secret@db/sen"),
            "postgres://sen:***@db/sen"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert!(database_url(Some("mysql://x".into()), std::path::Path::new(".")).is_err());
        assert_eq!(
            database_url(None, std::path::Path::new("d")).expect("url"),
            "sqlite://d/sen.db"
        );
        assert_eq!(
            parse_nets(&["10.0.0.0/8".into(), "127.0.0.1".into()], "x")
                .expect("nets")
                .len(),
            2
        );
        assert!(parse_nets(&["nope".into()], "x").is_err());
        assert!(parse_listen("127.0.0.1:8080").is_ok());
        assert!(parse_listen("localhost").is_err());
    }

    #[test]
    fn a_bad_file_is_named_with_its_line() {
        let path = std::env::temp_dir().join(format!("sen-config-{}.toml", std::process::id()));
        std::fs::write(&path, "listen = \"x\"\n\ncache_mb = \"lots\"\n").expect("write");
        let err = FileConfig::load(Some(&path))
            .expect_err("invalid")
            .to_string();
        std::fs::remove_file(&path).ok();
        assert!(err.contains("line 3"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn connection_limits_come_from_flags_then_the_file_then_defaults() {
        let file: FileConfig =
            toml::from_str("max_connections = 500\nheader_timeout_secs = 4").expect("config");
        let args = ConnectionArgs {
            header_timeout_secs: Some(2),
            max_header_kb: Some(8),
            ..Default::default()
        };
        let l = limits(&args, &file).expect("limits");
        assert_eq!(l.header_timeout, Duration::from_secs(2));
        assert_eq!(l.max_header_bytes, 8192);
        assert_eq!(l.max_connections, 500);
        let defaults = sen_web::Limits::default();
        assert_eq!(l.idle_timeout, defaults.idle_timeout);
        assert_eq!(
            l.max_connections_per_address,
            defaults.max_connections_per_address
        );
        let zero = ConnectionArgs {
            max_connections_per_address: Some(0),
            ..Default::default()
        };
        let err = limits(&zero, &FileConfig::default()).expect_err("zero");
        assert!(
            err.to_string().contains("max_connections_per_address"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        assert!(toml::from_str::<FileConfig>("listne = \"x\"").is_err());
        let c: FileConfig =
            toml::from_str("listen = \"0.0.0.0:80\"\ncache_mb = 8").expect("config");
        assert_eq!(c.cache_mb, Some(8));
    }
}
