//! The media library's work, for the API and the admin alike: an upload streamed to a temporary
//! file in bounded memory, its type decided from its bytes and its size bounded per type, an
//! image made safe (upright, no metadata) before it is stored; its variants made off the request
//! path by a bounded pool; and files served with their caching, ranges and names.

use std::{path::PathBuf, sync::Arc};

use axum::{
    body::Body,
    extract::Multipart,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use sen_core::Actor;
use sen_media::{Class, ImageLimits, Kind, MediaError, SNIFF_BYTES, Storage, picture};
use sen_store::{MediaFile, NewMediaFile};
use sha2::{Digest, Sha256};
use tokio::{io::AsyncWriteExt, sync::Semaphore};

use sen_store::Store;

use crate::error::{Error, ErrorCode};

/// How large an upload of each class may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaLimits {
    pub image: u64,
    pub document: u64,
    pub audio: u64,
    pub video: u64,
}

impl Default for MediaLimits {
    fn default() -> Self {
        Self {
            image: 20 << 20,
            document: 50 << 20,
            audio: 100 << 20,
            video: 500 << 20,
        }
    }
}

impl MediaLimits {
    pub fn of(&self, class: Class) -> u64 {
        match class {
            Class::Image => self.image,
            Class::Document => self.document,
            Class::Audio => self.audio,
            Class::Video => self.video,
        }
    }

    fn largest(&self) -> u64 {
        self.image
            .max(self.document)
            .max(self.audio)
            .max(self.video)
    }
}

/// The media storage of a node and its pool for making variants.
pub struct Library {
    pub storage: Storage,
    pub limits: MediaLimits,
    pub image_limits: ImageLimits,
    upload_dir: PathBuf,
    /// Variants are made one image at a time (each holds its decoded picture), off the request
    /// path.
    pool: Arc<Semaphore>,
    /// Uploaded images are made safe one at a time too, but apart from the variants: a person
    /// waiting for an upload never waits behind a backlog of variants (as after a first start).
    preparing: Arc<Semaphore>,
    /// Small files (and variants) as served, by the key asked for.
    hot: moka::sync::Cache<String, Arc<HotFile>>,
    /// Larger files answered with a redirect to a signed URL of the bucket (S3 only).
    pub redirect: bool,
}

impl Library {
    pub fn new(storage: Storage, limits: MediaLimits, upload_dir: PathBuf) -> Self {
        Self {
            storage,
            limits,
            image_limits: ImageLimits::default(),
            upload_dir,
            pool: Arc::new(Semaphore::new(1)),
            preparing: Arc::new(Semaphore::new(1)),
            hot: hot_cache(),
            redirect: false,
        }
    }

    /// Stops serving `key` from memory on this node (it was deleted).
    pub fn forget(&self, key: &str) {
        self.hot.invalidate(key);
    }
}

/// A media error as the answer names it: the file's fault is the `file` field's.
pub fn media_error(err: MediaError) -> Error {
    let reason = err.reason();
    let answer = match err {
        MediaError::TooLarge { .. } => {
            Error::new(ErrorCode::TooLarge, err.to_string()).with_field("file")
        }
        MediaError::NotFound => Error::not_found(),
        MediaError::Storage(_) | MediaError::Config(_) => {
            tracing::warn!(error = %err, "media storage");
            Error::new(ErrorCode::Unavailable, "the media storage did not answer")
        }
        other => Error::new(ErrorCode::InvalidInput, other.to_string()).with_field("file"),
    };
    answer.with_reason(reason)
}

/// A temporary file removed when dropped.
struct Spool {
    path: PathBuf,
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// An upload as received: the file on disk, what it is, and its description.
pub struct Received {
    spool: Spool,
    kind: Kind,
    size: u64,
    sha256: String,
    pub name: String,
    pub alt: String,
    pub caption: String,
}

impl Received {
    /// What kind of file it is, by its content.
    pub fn class(&self) -> Class {
        self.kind.class()
    }
}

fn field_error(field: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidInput, message).with_field(field)
}

/// Reads a multipart upload: the file in `file` (streamed to disk, refused as soon as it is over
/// its kind's limit), `alt` and `caption` as text.
pub async fn receive(library: &Library, mut form: Multipart) -> Result<Received, Error> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        Error::invalid_parameter("body", format!("the multipart body can't be read: {e}"))
            .with_reason("unreadable")
    };
    let (mut alt, mut caption) = (String::new(), String::new());
    let mut file: Option<Received> = None;
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or_default() {
            "file" if file.is_none() => {
                let name = field.file_name().unwrap_or_default().to_string();
                tokio::fs::create_dir_all(&library.upload_dir)
                    .await
                    .map_err(|e| media_error(MediaError::Storage(e.to_string())))?;
                let spool = Spool {
                    path: library.upload_dir.join(format!(
                        "upload-{}-{}",
                        std::process::id(),
                        rand::random::<u64>()
                    )),
                };
                let io = |e: std::io::Error| media_error(MediaError::Storage(e.to_string()));
                let mut out = tokio::fs::File::create(&spool.path).await.map_err(io)?;
                let mut hasher = Sha256::new();
                let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
                let mut kind: Option<Kind> = None;
                let mut limit = library.limits.largest();
                let mut size = 0u64;
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    size += chunk.len() as u64;
                    if kind.is_none() && head.len() < SNIFF_BYTES {
                        let take = (SNIFF_BYTES - head.len()).min(chunk.len());
                        head.extend_from_slice(&chunk[..take]);
                        if head.len() >= SNIFF_BYTES {
                            let sniffed = sen_media::sniff(&head).map_err(media_error)?;
                            limit = library.limits.of(sniffed.class());
                            kind = Some(sniffed);
                        }
                    }
                    if size > limit {
                        return Err(media_error(MediaError::TooLarge { limit }));
                    }
                    hasher.update(&chunk);
                    out.write_all(&chunk).await.map_err(io)?;
                }
                out.flush().await.map_err(io)?;
                let kind = match kind {
                    Some(kind) => kind,
                    None => sen_media::sniff(&head).map_err(media_error)?,
                };
                let limit = library.limits.of(kind.class());
                if size > limit {
                    return Err(media_error(MediaError::TooLarge { limit }));
                }
                let sha256 = hex(&hasher.finalize());
                file = Some(Received {
                    spool,
                    kind,
                    size,
                    sha256,
                    name,
                    alt: String::new(),
                    caption: String::new(),
                });
            }
            "alt" => alt = field.text().await.map_err(unreadable)?,
            "caption" => caption = field.text().await.map_err(unreadable)?,
            other => {
                return Err(field_error(
                    "body",
                    format!("unknown field {other:?}: send file, alt and caption"),
                ));
            }
        }
    }
    for (field, value) in [("alt", &alt), ("caption", &caption)] {
        if value.chars().count() > 500 {
            return Err(
                field_error(field, format!("{field} is longer than 500 characters"))
                    .with_reason("too_long"),
            );
        }
    }
    let mut file = file.ok_or_else(|| {
        field_error("file", "send the file in the field `file`").with_reason("no_file")
    })?;
    file.alt = alt;
    file.caption = caption;
    Ok(file)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Stores a received file and enters it in the library; an image is made safe first and its
/// variants are made after, off the request path.
pub async fn ingest(
    store: &Store,
    library: &Arc<Library>,
    actor: &Actor,
    received: Received,
) -> Result<MediaFile, Error> {
    let kind = received.kind;
    let mut new = NewMediaFile {
        content_type: kind.content_type().into(),
        class: kind.class().as_str().into(),
        original_name: sen_core::text::clean_line(&received.name),
        alt: received.alt.clone(),
        caption: received.caption.clone(),
        variants_state: "none".into(),
        ..Default::default()
    };
    if kind.class() == Class::Image {
        let data = tokio::fs::read(&received.spool.path)
            .await
            .map_err(|e| media_error(MediaError::Storage(e.to_string())))?;
        let limits = library.image_limits;
        let permit = library.preparing.clone().acquire_owned().await;
        let prepared = tokio::task::spawn_blocking(move || {
            picture::prepare(&data, kind, &limits).map(|p| {
                let widths: Vec<u32> = sen_media::VARIANT_WIDTHS
                    .iter()
                    .copied()
                    .filter(|&w| w < p.width)
                    .collect();
                (p.bytes, p.width, p.height, widths)
            })
        })
        .await
        .map_err(|e| media_error(MediaError::Corrupt(e.to_string())))?
        .map_err(media_error)?;
        drop(permit);
        let (bytes, width, height, widths) = prepared;
        let sha256 = hex(&Sha256::digest(&bytes));
        new.key = sen_media::media_key(&sha256, &received.name, kind);
        new.size = bytes.len() as i64;
        new.checksum = sha256;
        new.width = i32::try_from(width).ok();
        new.height = i32::try_from(height).ok();
        new.variants_state = if widths.is_empty() { "done" } else { "pending" }.into();
        library
            .storage
            .put(&new.key, Bytes::from(bytes))
            .await
            .map_err(media_error)?;
    } else {
        new.key = sen_media::media_key(&received.sha256, &received.name, kind);
        new.size = received.size as i64;
        new.checksum = received.sha256.clone();
        if kind == Kind::Pdf {
            new.pages = pdf_pages(&received.spool.path).await;
        }
        library
            .storage
            .put_file(&new.key, &received.spool.path)
            .await
            .map_err(media_error)?;
    }
    let file = store.add_media_file(actor, new).await?;
    if file.variants_state == "pending" {
        spawn_variants(store.clone(), library.clone(), file.key.clone());
    }
    Ok(file)
}

/// A PDF's page count when it is cheap to read: the page objects of a file of up to 20 MB.
async fn pdf_pages(path: &std::path::Path) -> Option<i32> {
    let data = tokio::fs::read(path).await.ok()?;
    if data.len() > 20 << 20 {
        return None;
    }
    i32::try_from(count_pdf_pages(&data))
        .ok()
        .filter(|&n| n > 0)
}

/// `/Type /Page` objects (not `/Pages`), with or without the space.
fn count_pdf_pages(data: &[u8]) -> usize {
    let mut count = 0;
    let mut at = 0;
    while let Some(found) = data[at..].windows(5).position(|w| w == b"/Type") {
        let mut i = at + found + 5;
        while data.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if data[i..].starts_with(b"/Page") && data.get(i + 5).is_none_or(|&c| c != b's') {
            count += 1;
        }
        at = i;
    }
    count
}

/// Makes the variants of the image `key` in the pool, stores them and records them.
pub fn spawn_variants(store: Store, library: Arc<Library>, key: String) {
    tokio::spawn(async move {
        let Ok(_permit) = library.pool.clone().acquire_owned().await else {
            return;
        };
        let made = async {
            let data = library.storage.read(&key).await?;
            let file = store
                .media_file(&key)
                .await
                .map_err(|e| MediaError::Storage(e.to_string()))?
                .ok_or(MediaError::NotFound)?;
            let kind = Kind::from_content_type(&file.content_type).ok_or(MediaError::NotAnImage)?;
            let limits = library.image_limits;
            let variants = tokio::task::spawn_blocking(move || {
                // The stored original is clean already: decoding it is all the variants need.
                let (original, _) = picture::decode(&data, kind, &limits)?;
                picture::variants(&original)
            })
            .await
            .map_err(|e| MediaError::Corrupt(e.to_string()))??;
            let mut widths = Vec::new();
            for v in variants {
                library
                    .storage
                    .put(&sen_media::variant_key(&key, v.width), Bytes::from(v.bytes))
                    .await?;
                library
                    .storage
                    .put(
                        &sen_media::webp_variant_key(&key, v.width),
                        Bytes::from(v.webp),
                    )
                    .await?;
                widths.push(v.width);
            }
            Ok::<_, MediaError>(widths)
        }
        .await;
        let (widths, state) = match made {
            Ok(widths) => (widths, "done"),
            Err(err) => {
                tracing::warn!(key, error = %err, "the image's variants could not be made");
                (Vec::new(), "failed")
            }
        };
        if let Err(err) = store.set_variants(&key, &widths, state).await {
            tracing::warn!(key, error = %err, "the image's variants could not be recorded");
        }
    });
}

/// The original of a variant key (`….w640.jpg`, or its WebP twin `….w640.webp`) and the width
/// asked for.
fn variant_of(key: &str) -> Option<(&str, u32)> {
    let stem = key
        .strip_suffix(".jpg")
        .or_else(|| key.strip_suffix(".webp"))?;
    let (base, width) = stem.rsplit_once(".w")?;
    let width: u32 = width.parse().ok()?;
    Some((base, width))
}

/// Whether the browser takes WebP (every current one says so in `Accept` when it asks for an
/// image).
fn takes_webp(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("image/webp"))
}

/// A `Range: bytes=…` header of one range, against a file of `size` bytes. `Err` when the
/// range can't be satisfied; `Ok(None)` when there is no single range to honour.
fn byte_range(headers: &HeaderMap, size: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(value) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        let suffix: u64 = end.parse().map_err(|_| ())?;
        if suffix == 0 {
            return Err(());
        }
        size.saturating_sub(suffix)..size
    } else {
        let start: u64 = start.parse().map_err(|_| ())?;
        let end = if end.is_empty() {
            size
        } else {
            end.parse::<u64>()
                .map_err(|_| ())?
                .saturating_add(1)
                .min(size)
        };
        start..end
    };
    if range.start >= size || range.start >= range.end {
        return Err(());
    }
    Ok(Some(range))
}

/// `Content-Disposition` with the uploaded name (RFC 6266): an ASCII fallback and the UTF-8 name.
fn disposition(kind: Kind, original_name: &str, key: &str) -> Option<HeaderValue> {
    if kind.class() != Class::Document {
        return None;
    }
    let name = if original_name.is_empty() {
        key.rsplit('/').next().unwrap_or(key).to_string()
    } else {
        original_name.to_string()
    };
    let ascii: String = sen_core::text::fold(&name)
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let how = if kind == Kind::Pdf {
        "inline"
    } else {
        "attachment"
    };
    HeaderValue::from_str(&format!(
        "{how}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .ok()
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Files up to this size are kept in memory once served (keys name one content for ever).
const HOT_FILE_MAX: u64 = 512 << 10;
/// How long a file stays in memory: a file deleted through another node stops being served here
/// within this time.
const HOT_TTL: std::time::Duration = std::time::Duration::from_secs(300);

/// How long a signed URL of the bucket lets a reader fetch a file.
const SIGNED_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

/// A small file kept in memory, with its answer's headers.
pub(crate) struct HotFile {
    content_type: HeaderValue,
    etag: HeaderValue,
    disposition: Option<HeaderValue>,
    bytes: Bytes,
}

pub(crate) fn hot_cache() -> moka::sync::Cache<String, Arc<HotFile>> {
    moka::sync::Cache::builder()
        .weigher(|_, f: &Arc<HotFile>| u32::try_from(f.bytes.len()).unwrap_or(u32::MAX))
        .max_capacity(64 << 20)
        .time_to_live(HOT_TTL)
        .build()
}

/// `/media/{key}`: a file of the library (or one of its variants) with a long cache, its ETag,
/// single byte ranges and its name; a file not yet moved out of the database is served from it.
pub async fn serve(store: &Store, library: &Library, key: &str, headers: &HeaderMap) -> Response {
    // A variant's address (`….w640.jpg`) answers its WebP twin to browsers that take WebP: pages
    // name one address per width, and caches keep the two apart by `Accept`.
    let negotiated = key.ends_with(".jpg") && variant_of(key).is_some();
    let twin = variant_of(key)
        .filter(|_| negotiated && takes_webp(headers))
        .map(|(base, width)| format!("{base}.w{width}.webp"));
    let mut response = match &twin {
        Some(twin) => serve_key(store, library, twin, headers).await,
        None => serve_key(store, library, key, headers).await,
    };
    // No WebP twin (made before there were any, or still being made): the JPEG.
    if twin.is_some() && response.status() == StatusCode::NOT_FOUND {
        response = serve_key(store, library, key, headers).await;
    }
    if negotiated {
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
    }
    response
}

async fn serve_key(store: &Store, library: &Library, key: &str, headers: &HeaderMap) -> Response {
    match library.hot.get(key) {
        Some(hot) => whole(&hot, headers),
        None => match serve_file(store, library, key, headers).await {
            Ok(response) => response,
            Err(err) => err.into_response(),
        },
    }
}

/// The answer from a file in memory.
fn whole(hot: &HotFile, headers: &HeaderMap) -> Response {
    respond(
        &hot.content_type,
        &hot.etag,
        hot.disposition.as_ref(),
        headers,
        hot.bytes.len() as u64,
        |range| {
            Ok(Body::from(match range {
                Some(r) => hot.bytes.slice(r.start as usize..r.end as usize),
                None => hot.bytes.clone(),
            }))
        },
    )
    .unwrap_or_else(|err| err.into_response())
}

async fn serve_file(
    store: &Store,
    library: &Library,
    key: &str,
    headers: &HeaderMap,
) -> Result<Response, Error> {
    let (file, stored_key, variant) = match store.media_file(key).await? {
        Some(file) => (file, key.to_string(), false),
        None => {
            let Some((base, width)) = variant_of(key) else {
                return moved_or_legacy(store, key).await;
            };
            let Some(file) = original_of(store, base).await? else {
                return moved_or_legacy(store, key).await;
            };
            if file.variant_widths().contains(&width) {
                (file, key.to_string(), true)
            } else if file.class == "image" && file.variants_state != "pending" {
                // The image is narrower than this width: its original is the best there is.
                let original = file.key.clone();
                (file, original, false)
            } else if file.variants_state == "pending" {
                // Not made yet: the original stands in, briefly cached.
                let original = file.key.clone();
                let mut response = Box::pin(serve_file(store, library, &original, headers)).await?;
                response.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=60"),
                );
                return Ok(response);
            } else {
                return Err(Error::not_found());
            }
        }
    };
    let webp = variant && stored_key.ends_with(".webp");
    let etag = format!(
        "\"{}{}\"",
        file.checksum.get(..32).unwrap_or(&file.checksum),
        match (variant, webp) {
            (true, true) => "w",
            (true, false) => "v",
            _ => "",
        }
    );
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\""));
    let content_type = if webp {
        "image/webp"
    } else if variant {
        "image/jpeg"
    } else {
        file.content_type.as_str()
    };
    let content_type = HeaderValue::from_str(content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = if variant {
        None
    } else {
        Kind::from_content_type(&file.content_type)
            .and_then(|kind| disposition(kind, &file.original_name, &file.key))
    };
    let size = if stored_key == file.key {
        u64::try_from(file.size).unwrap_or(0)
    } else {
        library
            .storage
            .size(&stored_key)
            .await
            .map_err(media_error)?
            .ok_or_else(Error::not_found)?
    };
    if library.redirect && size > HOT_FILE_MAX && !not_modified(headers, &etag) {
        let signed = library
            .storage
            .signed_url(
                &stored_key,
                content_type.to_str().unwrap_or("application/octet-stream"),
                disposition.as_ref().and_then(|d| d.to_str().ok()),
                SIGNED_FOR,
            )
            .await
            .map_err(media_error)?;
        if let Some(url) = signed.and_then(|u| HeaderValue::from_str(&u).ok()) {
            return Ok((
                StatusCode::FOUND,
                [
                    (header::LOCATION, url),
                    // The signed URL lasts an hour: a cache may keep the redirect for less.
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("private, max-age=600"),
                    ),
                ],
            )
                .into_response());
        }
    }
    if size <= HOT_FILE_MAX {
        let bytes = library
            .storage
            .read(&stored_key)
            .await
            .map_err(media_error)?;
        let hot = Arc::new(HotFile {
            content_type,
            etag,
            disposition,
            bytes,
        });
        library.hot.insert(key.to_string(), hot.clone());
        return Ok(whole(&hot, headers));
    }
    let fetched = match byte_range(headers, size) {
        Ok(range) if !not_modified(headers, &etag) => Some(
            library
                .storage
                .get(&stored_key, range)
                .await
                .map_err(media_error)?,
        ),
        _ => None,
    };
    let mut stream = fetched.map(|f| f.stream);
    respond(
        &content_type,
        &etag,
        disposition.as_ref(),
        headers,
        size,
        |_| {
            stream
                .take()
                .map(Body::from_stream)
                .ok_or_else(Error::not_found)
        },
    )
}

fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.to_str().unwrap_or_default();
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// The answer for a file of `size` bytes: 304 to a matching `If-None-Match`, 416 to a range past
/// its end, 206 with the range, else 200; `body` gives the bytes of the range asked (or all).
fn respond(
    content_type: &HeaderValue,
    etag: &HeaderValue,
    disposition: Option<&HeaderValue>,
    headers: &HeaderMap,
    size: u64,
    body: impl FnOnce(Option<std::ops::Range<u64>>) -> Result<Body, Error>,
) -> Result<Response, Error> {
    if not_modified(headers, etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag.clone()),
                (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
            ],
        )
            .into_response());
    }
    let range = match byte_range(headers, size) {
        Ok(range) => range,
        Err(()) => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{size}"))],
            )
                .into_response());
        }
    };
    let sent = range.clone().unwrap_or(0..size);
    let mut response = Response::new(body(range.clone())?);
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type.clone());
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(sent.end - sent.start),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    h.insert(header::ETAG, etag.clone());
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(value) = disposition {
        h.insert(header::CONTENT_DISPOSITION, value.clone());
    }
    if range.is_some() {
        if let Ok(value) = HeaderValue::from_str(&format!(
            "bytes {}-{}/{size}",
            sent.start,
            sent.end.saturating_sub(1)
        )) {
            h.insert(header::CONTENT_RANGE, value);
        }
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    Ok(response)
}

/// The image a variant was made from: its key is the variant's without `.w{width}.jpg`, with
/// the original's own extension.
async fn original_of(store: &Store, base: &str) -> Result<Option<MediaFile>, Error> {
    for kind in [Kind::Jpeg, Kind::Png, Kind::Webp, Kind::Gif] {
        if let Some(file) = store
            .media_file(&format!("{base}.{}", kind.extension()))
            .await?
        {
            return Ok(Some(file));
        }
    }
    Ok(None)
}

/// A file replaced in the library answers a redirect to the one that replaced it (a variant to
/// the same width of the new image); else it may still be held in the database.
async fn moved_or_legacy(store: &Store, key: &str) -> Result<Response, Error> {
    let mut target = store.media_alias(key).await?.map(|t| format!("/media/{t}"));
    if target.is_none()
        && let Some((base, width)) = variant_of(key)
    {
        for kind in [Kind::Jpeg, Kind::Png, Kind::Webp, Kind::Gif] {
            if let Some(t) = store
                .media_alias(&format!("{base}.{}", kind.extension()))
                .await?
            {
                let variant = if key.ends_with(".webp") {
                    sen_media::webp_variant_key(&t, width)
                } else {
                    sen_media::variant_key(&t, width)
                };
                target = Some(format!("/media/{variant}"));
                break;
            }
        }
    }
    match target.and_then(|t| HeaderValue::from_str(&t).ok()) {
        Some(location) => Ok((
            // Not permanent: the file may come back (replaced in turn by the old one), and a
            // remembered redirect would then loop.
            StatusCode::FOUND,
            [
                (header::LOCATION, location),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=300"),
                ),
            ],
        )
            .into_response()),
        None => legacy(store, key).await,
    }
}

/// A file still held as bytes in the database (before it moved to the storage).
async fn legacy(store: &Store, key: &str) -> Result<Response, Error> {
    let media = store.media(key).await?.ok_or_else(Error::not_found)?;
    let content_type = HeaderValue::from_str(&media.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        media.data,
    )
        .into_response())
}

/// Moves the files still held in the database into the storage, entering each in the library.
/// Safe to repeat: a file already moved is skipped, and a row goes only once its file is stored.
pub async fn move_legacy(store: &Store, library: &Library) -> Result<usize, Error> {
    let mut moved = 0;
    for key in store.legacy_media_keys().await? {
        if store.media_file(&key).await?.is_some() {
            store.remove_legacy_media(&key).await?;
            continue;
        }
        let Some(media) = store.media(&key).await? else {
            continue;
        };
        let kind = sen_media::sniff(&media.data).ok();
        let (width, height) = match kind {
            Some(k) if k.class() == Class::Image => {
                picture::dimensions(&media.data, k, &library.image_limits)
                    .map(|(w, h)| (i32::try_from(w).ok(), i32::try_from(h).ok()))
                    .unwrap_or((None, None))
            }
            _ => (None, None),
        };
        let checksum = hex(&Sha256::digest(&media.data));
        // A cover moved from the database is described by its article's title, as pages showed
        // it until now, so articles that use it keep saving.
        let alt = match width {
            Some(_) => store
                .media_usage(&key)
                .await?
                .into_iter()
                .find_map(|u| match u {
                    sen_store::MediaUse::Article { title, .. } => Some(title),
                    _ => None,
                })
                .unwrap_or_default(),
            None => String::new(),
        };
        let new = NewMediaFile {
            alt,
            key: key.clone(),
            content_type: media.content_type.clone(),
            class: kind.map_or("document", |k| k.class().as_str()).into(),
            size: media.data.len() as i64,
            width,
            height,
            checksum,
            original_name: key.rsplit('/').next().unwrap_or(&key).to_string(),
            // Its variants are made after the move, as an upload's are.
            variants_state: if width.is_some() { "pending" } else { "none" }.into(),
            is_sample: store.legacy_media_is_sample(&key).await?,
            ..Default::default()
        };
        library
            .storage
            .put(&key, Bytes::from(media.data))
            .await
            .map_err(media_error)?;
        store
            .add_media_file(&Actor::System { name: "media-move" }, new)
            .await?;
        store.remove_legacy_media(&key).await?;
        moved += 1;
    }
    Ok(moved)
}

/// Removes a file deleted from the library, and its variants, from the storage and from this
/// node's memory.
pub async fn forget_and_remove(library: &Library, file: &MediaFile) -> Result<(), Error> {
    library.forget(&file.key);
    for width in sen_media::VARIANT_WIDTHS {
        library.forget(&sen_media::variant_key(&file.key, width));
        library.forget(&sen_media::webp_variant_key(&file.key, width));
    }
    for width in file.variant_widths() {
        for key in [
            sen_media::variant_key(&file.key, width),
            sen_media::webp_variant_key(&file.key, width),
        ] {
            library.storage.delete(&key).await.map_err(media_error)?;
        }
    }
    library.storage.delete(&file.key).await.map_err(media_error)
}

/// What `sen media check` found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Files of the library (or their variants) that the storage does not have.
    pub missing: Vec<String>,
    /// Stored objects that nothing in the library names, with their sizes.
    pub orphans: Vec<(String, u64)>,
    /// Orphans removed (with `fix_orphans`).
    pub removed: usize,
}

/// Checks that every file of the library is in the storage (with the variants it lists) and that
/// every stored object belongs to one; with `fix_orphans`, removes the objects that don't.
pub async fn check(
    store: &Store,
    storage: &Storage,
    fix_orphans: bool,
) -> Result<CheckReport, Error> {
    let mut report = CheckReport::default();
    let stored: std::collections::BTreeMap<String, u64> = storage
        .list()
        .await
        .map_err(media_error)?
        .into_iter()
        .collect();
    let mut named = std::collections::BTreeSet::new();
    for key in store.media_keys().await? {
        let Some(file) = store.media_file(&key).await? else {
            continue;
        };
        let mut keys = vec![file.key.clone()];
        for w in file.variant_widths() {
            keys.push(sen_media::variant_key(&file.key, w));
            keys.push(sen_media::webp_variant_key(&file.key, w));
        }
        for key in keys {
            if !stored.contains_key(&key) {
                report.missing.push(key.clone());
            }
            named.insert(key);
        }
    }
    // Files still in the database's old table are not orphans' owners yet, but theirs are named.
    named.extend(store.legacy_media_keys().await?);
    for (key, size) in stored {
        if !named.contains(&key) {
            report.orphans.push((key, size));
        }
    }
    if fix_orphans {
        for (key, _) in &report.orphans {
            storage.delete(key).await.map_err(media_error)?;
            report.removed += 1;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str, size: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(value).expect("value"));
        byte_range(&h, size)
    }

    #[test]
    fn byte_ranges_are_read_as_rfc_9110_says() {
        assert_eq!(range("bytes=0-99", 1000), Ok(Some(0..100)));
        assert_eq!(range("bytes=900-", 1000), Ok(Some(900..1000)));
        assert_eq!(range("bytes=-100", 1000), Ok(Some(900..1000)));
        assert_eq!(range("bytes=990-2000", 1000), Ok(Some(990..1000)));
        assert_eq!(range("bytes=0-1,5-9", 1000), Ok(None));
        assert_eq!(range("items=0-1", 1000), Ok(None));
        assert_eq!(range("bytes=1000-", 1000), Err(()));
        assert_eq!(range("bytes=5-2", 1000), Err(()));
        assert_eq!(range("bytes=abc", 1000), Err(()));
    }

    #[test]
    fn pdf_pages_are_counted_not_their_tree() {
        let pdf = b"<< /Type /Pages /Count 3 >> << /Type /Page >> << /Type/Page>> <</Type/Pages>> <</Type\n/Page /Parent 2 0 R>>";
        assert_eq!(count_pdf_pages(pdf), 3);
        assert_eq!(count_pdf_pages(b"%PDF-1.7 no pages"), 0);
        assert_eq!(count_pdf_pages(b"/Type"), 0);
    }

    #[test]
    fn variant_keys_name_their_original() {
        assert_eq!(
            variant_of("ab/abcd-anh.w640.jpg"),
            Some(("ab/abcd-anh", 640))
        );
        assert_eq!(
            variant_of("ab/abcd-anh.w320.webp"),
            Some(("ab/abcd-anh", 320))
        );
        assert_eq!(variant_of("ab/abcd-anh.jpg"), None);
        assert_eq!(variant_of("ab/abcd-anh.webp"), None);
    }

    #[test]
    fn documents_are_named_for_the_download() {
        let value = disposition(Kind::Docx, "Kế hoạch 165-KH.docx", "k").expect("header");
        let text = value.to_str().expect("ascii");
        assert!(
            text.starts_with("attachment; filename=\"Ke hoach 165-KH.docx\""),
            "{text}"
        );
        assert!(
            text.contains("filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%20165-KH.docx"),
            "{text}"
        );
        assert!(disposition(Kind::Jpeg, "a.jpg", "k").is_none());
    }
}
