//! Where files live: a directory under the data directory by default, or an S3-compatible
//! bucket that several nodes share (`media_url = "s3://bucket/prefix"` with `SEN_S3_*`), behind
//! `object_store`. Large files go up in parts and come down as streams: memory stays bounded.

use std::{ops::Range, path::Path as FsPath, sync::Arc};

use bytes::Bytes;
use futures_util::{StreamExt, stream::BoxStream};
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart,
    aws::{AmazonS3, AmazonS3Builder},
    local::LocalFileSystem,
    memory::InMemory,
    path::Path,
    signer::{Method, SignedUrlOptions, Signer},
};
use tokio::io::AsyncReadExt;

use crate::MediaError;

/// Parts of a multipart upload: S3 wants at least 5 MiB for each part but the last.
const PART_BYTES: usize = 8 << 20;

/// Where the media storage is, read from the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// Kept in this process's memory only: for tests.
    Memory,
    /// A directory on this machine.
    Local(std::path::PathBuf),
    S3 {
        bucket: String,
        prefix: String,
        endpoint: Option<String>,
        region: String,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
    },
}

impl StorageConfig {
    /// From the `media_url` setting (none: `media/` under the data directory) and the
    /// `SEN_S3_ENDPOINT`, `SEN_S3_REGION`, `SEN_S3_ACCESS_KEY_ID`, `SEN_S3_SECRET_ACCESS_KEY`
    /// variables (read through `env`).
    pub fn parse(
        media_url: Option<&str>,
        data_dir: &FsPath,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, MediaError> {
        let Some(url) = media_url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(Self::Local(data_dir.join("media")));
        };
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(MediaError::Config(format!(
                    "media_url {url:?} names no bucket: write s3://bucket/prefix"
                )));
            }
            let endpoint = env("SEN_S3_ENDPOINT").filter(|e| !e.is_empty());
            if let Some(endpoint) = &endpoint
                && endpoint.starts_with("http://")
                && !is_loopback(endpoint)
            {
                return Err(MediaError::Config(format!(
                    "SEN_S3_ENDPOINT {endpoint} is plain http: only a loopback endpoint may be (use https)"
                )));
            }
            return Ok(Self::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
                endpoint,
                region: env("SEN_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                access_key_id: env("SEN_S3_ACCESS_KEY_ID"),
                secret_access_key: env("SEN_S3_SECRET_ACCESS_KEY"),
            });
        }
        let dir = url.strip_prefix("file://").unwrap_or(url);
        if dir.contains("://") {
            return Err(MediaError::Config(format!(
                "media_url {url:?}: write a directory, file:///path or s3://bucket/prefix"
            )));
        }
        Ok(Self::Local(dir.into()))
    }
}

fn is_loopback(endpoint: &str) -> bool {
    let host = endpoint
        .trim_start_matches("http://")
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    host == "localhost" || host.starts_with("127.") || endpoint.starts_with("http://[::1]")
}

/// A file being read: its whole size, the range sent, and the bytes.
pub struct Fetched {
    pub size: u64,
    pub range: Range<u64>,
    pub stream: BoxStream<'static, Result<Bytes, MediaError>>,
}

/// The media storage.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// The same bucket, for signed URLs (S3 only).
    signer: Option<Arc<AmazonS3>>,
    prefix: String,
    describe: String,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

impl Storage {
    pub fn open(config: &StorageConfig) -> Result<Self, MediaError> {
        match config {
            StorageConfig::Memory => Ok(Self::memory()),
            StorageConfig::Local(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    MediaError::Config(format!(
                        "can't make the media directory {}: {e}",
                        dir.display()
                    ))
                })?;
                let store = LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true);
                Ok(Self {
                    store: Arc::new(store),
                    signer: None,
                    prefix: String::new(),
                    describe: format!("the directory {}", dir.display()),
                })
            }
            StorageConfig::S3 {
                bucket,
                prefix,
                endpoint,
                region,
                access_key_id,
                secret_access_key,
            } => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region);
                if let Some(endpoint) = endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                if let (Some(id), Some(secret)) = (access_key_id, secret_access_key) {
                    builder = builder
                        .with_access_key_id(id)
                        .with_secret_access_key(secret);
                }
                let store = Arc::new(
                    builder
                        .build()
                        .map_err(|e| MediaError::Config(e.to_string()))?,
                );
                Ok(Self {
                    signer: Some(store.clone()),
                    store,
                    prefix: prefix.clone(),
                    describe: format!("s3://{bucket}/{prefix}"),
                })
            }
        }
    }

    /// Files kept in memory only: for tests.
    pub fn memory() -> Self {
        Self {
            store: Arc::new(InMemory::new()),
            signer: None,
            prefix: String::new(),
            describe: "memory".into(),
        }
    }

    fn path(&self, key: &str) -> Result<Path, MediaError> {
        let full = if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        };
        Path::parse(&full).map_err(|e| MediaError::Config(format!("bad key {key:?}: {e}")))
    }

    fn key_of(&self, path: &Path) -> String {
        let path = path.as_ref();
        if self.prefix.is_empty() {
            path.to_string()
        } else {
            path.strip_prefix(&format!("{}/", self.prefix))
                .unwrap_or(path)
                .to_string()
        }
    }

    /// A URL that reads `key` straight from the bucket for `valid_for`, answered with
    /// `content_type` (and `disposition`); `None` where the storage is not S3.
    pub async fn signed_url(
        &self,
        key: &str,
        content_type: &str,
        disposition: Option<&str>,
        valid_for: std::time::Duration,
    ) -> Result<Option<String>, MediaError> {
        let Some(signer) = &self.signer else {
            return Ok(None);
        };
        let mut query = vec![(
            "response-content-type".to_string(),
            content_type.to_string(),
        )];
        if let Some(disposition) = disposition {
            query.push((
                "response-content-disposition".to_string(),
                disposition.to_string(),
            ));
        }
        let options = SignedUrlOptions::new().with_query(query);
        let url = signer
            .signed_url_opts(Method::GET, &self.path(key)?, valid_for, &options)
            .await?;
        Ok(Some(url.to_string()))
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), MediaError> {
        self.store
            .put(&self.path(key)?, PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// Uploads a file from the local disk in parts, never holding it whole.
    pub async fn put_file(&self, key: &str, file: &FsPath) -> Result<(), MediaError> {
        let io = |e: std::io::Error| MediaError::Storage(e.to_string());
        let mut source = tokio::fs::File::open(file).await.map_err(io)?;
        let upload = self.store.put_multipart(&self.path(key)?).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let read = match source.read(&mut buffer).await {
                Ok(read) => read,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(io(e));
                }
            };
            if read == 0 {
                break;
            }
            // At most two parts in flight: the reader waits rather than filling memory.
            writer.wait_for_capacity(2).await?;
            writer.write(&buffer[..read]);
        }
        writer.finish().await?;
        Ok(())
    }

    /// The file, or the `range` of it (clamped to its size).
    pub async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<Fetched, MediaError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..Default::default()
        };
        let got = self.store.get_opts(&self.path(key)?, options).await?;
        let size = got.meta.size;
        let range = got.range.clone();
        let stream = got
            .into_stream()
            .map(|r| r.map_err(MediaError::from))
            .boxed();
        Ok(Fetched {
            size,
            range,
            stream,
        })
    }

    /// The whole file in memory: for images being processed, which are bounded.
    pub async fn read(&self, key: &str) -> Result<Bytes, MediaError> {
        Ok(self.store.get(&self.path(key)?).await?.bytes().await?)
    }

    /// The file's size, if it is there.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, MediaError> {
        match self.store.head(&self.path(key)?).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// Removes the file; one that is not there is no error.
    pub async fn delete(&self, key: &str) -> Result<(), MediaError> {
        match self.store.delete(&self.path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Every stored key with its size.
    pub async fn list(&self) -> Result<Vec<(String, u64)>, MediaError> {
        let prefix = if self.prefix.is_empty() {
            None
        } else {
            Some(self.path("")?)
        };
        let mut listing = self.store.list(prefix.as_ref());
        let mut out = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            out.push((self.key_of(&meta.location), meta.size));
        }
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_name_the_storage() {
        let data = FsPath::new("/var/lib/sen");
        let none = |_: &str| None;
        assert_eq!(
            StorageConfig::parse(None, data, none).expect("default"),
            StorageConfig::Local("/var/lib/sen/media".into())
        );
        let env = |name: &str| match name {
            "SEN_S3_ENDPOINT" => Some("http://127.0.0.1:9000".to_string()),
            "SEN_S3_ACCESS_KEY_ID" => Some("id".to_string()),
            "SEN_S3_SECRET_ACCESS_KEY" => Some("secret".to_string()),
            _ => None,
        };
        let s3 = StorageConfig::parse(Some("s3://portal/media/"), data, env).expect("s3");
        assert!(
            matches!(&s3, StorageConfig::S3 { bucket, prefix, region, .. }
            if bucket == "portal" && prefix == "media" && region == "us-east-1")
        );
        let public_http =
            |name: &str| (name == "SEN_S3_ENDPOINT").then(|| "http://s3.example.vn".to_string());
        let err = StorageConfig::parse(Some("s3://portal"), data, public_http).expect_err("http");
        assert!(err.to_string().contains("plain http"), "{err}");
        assert!(StorageConfig::parse(Some("s3:///x"), data, none).is_err());
        assert!(StorageConfig::parse(Some("ftp://x/y"), data, none).is_err());
    }

    #[tokio::test]
    async fn files_go_in_come_out_in_ranges_and_go_away() {
        let dir = std::env::temp_dir().join(format!("sen-media-storage-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for storage in [
            Storage::memory(),
            Storage::open(&StorageConfig::Local(dir.clone())).expect("local"),
        ] {
            let body: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
            let file = dir.with_extension("upload");
            std::fs::write(&file, &body).expect("write");
            storage
                .put_file("ab/abc-video.mp4", &file)
                .await
                .expect("put");
            storage
                .put("ab/abc-anh.jpg", Bytes::from_static(b"jpeg"))
                .await
                .expect("put");
            assert_eq!(
                storage.size("ab/abc-video.mp4").await.expect("size"),
                Some(100_000)
            );
            let part = storage
                .get("ab/abc-video.mp4", Some(1000..1010))
                .await
                .expect("range");
            assert_eq!((part.size, part.range.clone()), (100_000, 1000..1010));
            let bytes: Vec<u8> = part
                .stream
                .map(|b| b.expect("bytes").to_vec())
                .concat()
                .await;
            assert_eq!(bytes, body[1000..1010]);
            assert_eq!(
                storage.list().await.expect("list"),
                [
                    ("ab/abc-anh.jpg".to_string(), 4),
                    ("ab/abc-video.mp4".to_string(), 100_000)
                ]
            );
            storage.delete("ab/abc-anh.jpg").await.expect("delete");
            storage.delete("ab/abc-anh.jpg").await.expect("again");
            assert_eq!(storage.size("ab/abc-anh.jpg").await.expect("size"), None);
            assert!(matches!(
                storage.get("ab/none.jpg", None).await.map(|_| ()),
                Err(MediaError::NotFound)
            ));
            let _ = std::fs::remove_file(&file);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
