//! Stored media: the library's entries (the bytes live in the media storage), where each file is
//! used, and the legacy table of bytes that files move out of.

use serde_json::json;
use time::OffsetDateTime;

use sen_core::{Actor, ErrorCode, ValidationError};

use crate::{
    Result, Store, StoreError,
    audit::{AuditAction, record},
    db::{now, on_db},
};

#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    pub key: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

impl Store {
    pub async fn put_media(&self, media: &Media) -> Result<()> {
        on_db!(self, write p => {
            sqlx::query(
                "INSERT INTO media (key, content_type, data, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (key) DO UPDATE SET content_type = excluded.content_type, data = excluded.data",
            )
            .bind(&media.key)
            .bind(&media.content_type)
            .bind(&media.data)
            .bind(now())
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    pub async fn media(&self, key: &str) -> Result<Option<Media>> {
        let row: Option<(String, String, Vec<u8>)> = on_db!(self, read p => {
            sqlx::query_as("SELECT key, content_type, data FROM media WHERE key = $1").bind(key).fetch_optional(p).await
        })?;
        Ok(row.map(|(key, content_type, data)| Media {
            key,
            content_type,
            data,
        }))
    }
}

/// What the library knows of a stored file; its bytes are in the media storage under `key`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MediaFile {
    pub id: i64,
    pub key: String,
    pub content_type: String,
    /// image, document, audio or video.
    pub class: String,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub pages: Option<i32>,
    pub checksum: String,
    pub original_name: String,
    pub alt: String,
    pub caption: String,
    /// The widths of the variants made, e.g. "320,640,1024".
    pub variant_widths: String,
    /// none, pending, done or failed.
    pub variants_state: String,
    pub is_sample: bool,
    pub created_by: Option<i64>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl MediaFile {
    pub fn variant_widths(&self) -> Vec<u32> {
        self.variant_widths
            .split(',')
            .filter_map(|w| w.trim().parse().ok())
            .collect()
    }
}

/// A file just stored, to be entered in the library.
#[derive(Debug, Clone, Default)]
pub struct NewMediaFile {
    pub key: String,
    pub content_type: String,
    pub class: String,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub pages: Option<i32>,
    pub checksum: String,
    pub original_name: String,
    pub alt: String,
    pub caption: String,
    /// pending for an image whose variants are still to be made, else none.
    pub variants_state: String,
    pub is_sample: bool,
}

/// Where a file is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaUse {
    /// An article's cover or body (any status but purged).
    Article {
        id: i64,
        title: String,
    },
    Page {
        id: i64,
        title: String,
    },
    /// The site's logo or banner.
    Site,
}

/// Alt text and caption as stored: one line each, at most 500 characters.
fn described(alt: &str, caption: &str) -> Result<(String, String)> {
    let (alt, caption) = (
        sen_core::text::clean_line(alt),
        sen_core::text::clean_line(caption),
    );
    for (field, value) in [("alt", &alt), ("caption", &caption)] {
        if value.chars().count() > 500 {
            return Err(ValidationError::new(field, ErrorCode::TooLong).into());
        }
    }
    Ok((alt, caption))
}

const MEDIA_COLUMNS: &str = "id, key, content_type, class, size, width, height, pages, checksum, \
    original_name, alt, caption, variant_widths, variants_state, is_sample, created_by, created_at, updated_at";

impl Store {
    /// Enters a stored file in the library. The same content uploaded again has the same key:
    /// the entry already there is answered, unchanged.
    pub async fn add_media_file(&self, actor: &Actor, new: NewMediaFile) -> Result<MediaFile> {
        let (alt, caption) = described(&new.alt, &new.caption)?;
        let t = now();
        let mut tx = self.begin().await?;
        let inserted = on_db!(&mut tx, tx c => {
            sqlx::query(
                "INSERT INTO media_files (key, content_type, class, size, width, height, pages, checksum, \
                 original_name, alt, caption, variants_state, is_sample, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(&new.key).bind(&new.content_type).bind(&new.class).bind(new.size)
            .bind(new.width).bind(new.height).bind(new.pages).bind(&new.checksum)
            .bind(&new.original_name).bind(&alt).bind(&caption).bind(&new.variants_state)
            .bind(new.is_sample).bind(actor.user_id()).bind(t)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })?;
        if inserted == 1 {
            record(
                &mut tx,
                t,
                actor,
                AuditAction::MediaUpload,
                &format!("media:{}", new.key),
                json!({ "name": new.original_name, "type": new.content_type, "size": new.size }),
            )
            .await?;
        }
        tx.commit().await?;
        self.media_file(&new.key).await?.ok_or(StoreError::NotFound)
    }

    pub async fn media_file(&self, key: &str) -> Result<Option<MediaFile>> {
        let sql = format!("SELECT {MEDIA_COLUMNS} FROM media_files WHERE key = $1");
        Ok(on_db!(self, read p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(key).fetch_optional(p).await
        })?)
    }

    /// Records the variants made of an image (or that making them failed).
    pub async fn set_variants(&self, key: &str, widths: &[u32], state: &str) -> Result<()> {
        let widths = widths
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        on_db!(self, write p => {
            sqlx::query("UPDATE media_files SET variant_widths = $2, variants_state = $3 WHERE key = $1")
                .bind(key).bind(&widths).bind(state)
                .execute(p)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }

    /// Images whose variants are still to be made (after a restart, say).
    pub async fn pending_variants(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_db!(self, read p => {
            sqlx::query_as("SELECT key FROM media_files WHERE variants_state = 'pending' ORDER BY id")
                .fetch_all(p)
                .await
        })?;
        Ok(rows.into_iter().map(|(k,)| k).collect())
    }

    /// Changes a file's alt text and caption.
    pub async fn describe_media_file(
        &self,
        actor: &Actor,
        key: &str,
        alt: &str,
        caption: &str,
    ) -> Result<MediaFile> {
        let (alt, caption) = described(alt, caption)?;
        let t = now();
        let mut tx = self.begin().await?;
        let changed = on_db!(&mut tx, tx c => {
            sqlx::query("UPDATE media_files SET alt = $2, caption = $3, updated_at = $4 WHERE key = $1")
                .bind(key).bind(&alt).bind(&caption).bind(t)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        record(
            &mut tx,
            t,
            actor,
            AuditAction::MediaUpdate,
            &format!("media:{key}"),
            json!({ "alt": alt, "caption": caption }),
        )
        .await?;
        tx.commit().await?;
        self.media_file(key).await?.ok_or(StoreError::NotFound)
    }

    /// Where the file `key` is used: articles (cover or body), pages, the site's logo or banner.
    pub async fn media_usage(&self, key: &str) -> Result<Vec<MediaUse>> {
        let path = format!("/media/{key}");
        let pattern = format!("%{}%", path.replace('%', "\\%").replace('_', "\\_"));
        let articles: Vec<(i64, String)> = on_db!(self, read p => {
            sqlx::query_as(
                "SELECT id, title FROM articles WHERE cover_url = $1 OR body LIKE $2 ESCAPE '\\' ORDER BY id",
            )
            .bind(&path).bind(&pattern)
            .fetch_all(p)
            .await
        })?;
        let pages: Vec<(i64, String)> = on_db!(self, read p => {
            sqlx::query_as("SELECT id, title FROM pages WHERE body LIKE $1 ESCAPE '\\' ORDER BY id")
                .bind(&pattern)
                .fetch_all(p)
                .await
        })?;
        let site: Option<(i64,)> = on_db!(self, read p => {
            sqlx::query_as("SELECT id FROM site WHERE logo_url = $1 OR banner_url = $1")
                .bind(&path)
                .fetch_optional(p)
                .await
        })?;
        let mut uses: Vec<MediaUse> = articles
            .into_iter()
            .map(|(id, title)| MediaUse::Article { id, title })
            .collect();
        uses.extend(
            pages
                .into_iter()
                .map(|(id, title)| MediaUse::Page { id, title }),
        );
        if site.is_some() {
            uses.push(MediaUse::Site);
        }
        Ok(uses)
    }

    /// Removes a file from the library; refused with `Conflict("used")` while anything uses it.
    /// The caller removes the bytes from the storage after.
    pub async fn delete_media_file(&self, actor: &Actor, key: &str) -> Result<MediaFile> {
        let file = self.media_file(key).await?.ok_or(StoreError::NotFound)?;
        if !self.media_usage(key).await?.is_empty() {
            return Err(StoreError::Conflict("used"));
        }
        let t = now();
        let mut tx = self.begin().await?;
        on_db!(&mut tx, tx c => {
            sqlx::query("DELETE FROM media_files WHERE key = $1")
                .bind(key)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
        })?;
        record(
            &mut tx,
            t,
            actor,
            AuditAction::MediaDelete,
            &format!("media:{key}"),
            json!({ "name": file.original_name, "size": file.size }),
        )
        .await?;
        tx.commit().await?;
        Ok(file)
    }

    /// One page of the library, newest first: of `class` when given, matching `search` in the
    /// name, alt text or caption (case-insensitive for unaccented letters). Returns the page and
    /// the total.
    pub async fn media_files(
        &self,
        class: Option<&str>,
        search: &str,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<MediaFile>, i64)> {
        let pattern = format!(
            "%{}%",
            search
                .trim()
                .to_lowercase()
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let class = class.unwrap_or("");
        let filter = "($1 = '' OR class = $1) AND (LOWER(original_name) LIKE $2 ESCAPE '\\' \
                      OR LOWER(alt) LIKE $2 ESCAPE '\\' OR LOWER(caption) LIKE $2 ESCAPE '\\')";
        let list = format!(
            "SELECT {MEDIA_COLUMNS} FROM media_files WHERE {filter} \
             ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
        );
        let count = format!("SELECT COUNT(*) FROM media_files WHERE {filter}");
        let offset = (page.max(1) - 1) * per_page;
        let files: Vec<MediaFile> = on_db!(self, read p => {
            sqlx::query_as(sqlx::AssertSqlSafe(list.clone()))
                .bind(class).bind(&pattern).bind(per_page).bind(offset)
                .fetch_all(p)
                .await
        })?;
        let (total,): (i64,) = on_db!(self, read p => {
            sqlx::query_as(sqlx::AssertSqlSafe(count.clone()))
                .bind(class).bind(&pattern)
                .fetch_one(p)
                .await
        })?;
        Ok((files, total))
    }

    /// The keys of every file in the library.
    pub async fn media_keys(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_db!(self, read p => {
            sqlx::query_as("SELECT key FROM media_files ORDER BY key").fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(|(k,)| k).collect())
    }

    /// The keys of files still held as bytes in the database (before the move to the storage).
    pub async fn legacy_media_keys(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_db!(self, read p => {
            sqlx::query_as("SELECT key FROM media ORDER BY key").fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(|(k,)| k).collect())
    }

    /// Whether the legacy row `key` was a sample's.
    pub async fn legacy_media_is_sample(&self, key: &str) -> Result<bool> {
        let row: Option<(bool,)> = on_db!(self, read p => {
            sqlx::query_as("SELECT is_sample FROM media WHERE key = $1").bind(key).fetch_optional(p).await
        })?;
        Ok(row.is_some_and(|(s,)| s))
    }

    /// Drops a legacy row once its bytes are in the storage and its entry in the library.
    pub async fn remove_legacy_media(&self, key: &str) -> Result<()> {
        on_db!(self, write p => {
            sqlx::query("DELETE FROM media WHERE key = $1")
                .bind(key)
                .execute(p)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(())
    }
}
