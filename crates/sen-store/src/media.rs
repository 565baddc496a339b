//! Stored media: the library's entries (the bytes live in the media storage), where each file is
//! used, and the legacy table of bytes that files move out of.

use serde_json::json;
use time::OffsetDateTime;

use sen_core::{Actor, Change, ErrorCode, ValidationError, format::utc_seconds};

use crate::{
    Result, Store, StoreError,
    audit::{AuditAction, record},
    db::{now, on_db},
    outbox::append_change,
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

/// A LIKE pattern (with `ESCAPE '\\'`) that finds `needle` anywhere.
fn containing(needle: &str) -> String {
    format!(
        "%{}%",
        needle
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// What the library's search reads: name, alt text and caption, folded (`Hội` finds `hoi`).
fn search_text(name: &str, alt: &str, caption: &str) -> String {
    sen_core::text::fold(&format!("{name} {alt} {caption}")).to_lowercase()
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
                 original_name, alt, caption, variants_state, is_sample, created_by, created_at, updated_at, \
                 search_text) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(&new.key).bind(&new.content_type).bind(&new.class).bind(new.size)
            .bind(new.width).bind(new.height).bind(new.pages).bind(&new.checksum)
            .bind(&new.original_name).bind(&alt).bind(&caption).bind(&new.variants_state)
            .bind(new.is_sample).bind(actor.user_id()).bind(t)
            .bind(search_text(&new.original_name, &alt, &caption))
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })?;
        if inserted == 1 {
            // A file again at an address that led elsewhere.
            on_db!(&mut tx, tx c => {
                sqlx::query("DELETE FROM media_aliases WHERE key = $1")
                    .bind(&new.key)
                    .execute(c)
                    .await
                    .map(|done| done.rows_affected())
            })?;
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
        let file = self.media_file(key).await?.ok_or(StoreError::NotFound)?;
        let search = search_text(&file.original_name, &alt, &caption);
        let t = now();
        let mut tx = self.begin().await?;
        let changed = on_db!(&mut tx, tx c => {
            sqlx::query("UPDATE media_files SET alt = $2, caption = $3, updated_at = $4, search_text = $5 WHERE key = $1")
                .bind(key).bind(&alt).bind(&caption).bind(t).bind(&search)
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

    /// Where the file `key` is used: articles (cover or body), pages, the site's logo or banner;
    /// also by the addresses of files it replaced, which lead to it.
    pub async fn media_usage(&self, key: &str) -> Result<Vec<MediaUse>> {
        let aliases: Vec<(String,)> = on_db!(self, read p => {
            sqlx::query_as("SELECT key FROM media_aliases WHERE target = $1 ORDER BY key")
                .bind(key)
                .fetch_all(p)
                .await
        })?;
        let mut uses = self.direct_media_usage(key).await?;
        for (alias,) in aliases {
            for u in self.direct_media_usage(&alias).await? {
                if !uses.contains(&u) {
                    uses.push(u);
                }
            }
        }
        Ok(uses)
    }

    async fn direct_media_usage(&self, key: &str) -> Result<Vec<MediaUse>> {
        let path = format!("/media/{key}");
        let pattern = containing(&path);
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
    /// name, alt text or caption (with or without diacritics), uploaded within `period` (from,
    /// until) when given. Returns the page and the total.
    pub async fn media_files(
        &self,
        class: Option<&str>,
        search: &str,
        period: Option<(OffsetDateTime, OffsetDateTime)>,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<MediaFile>, i64)> {
        let pattern = containing(search_text(search.trim(), "", "").trim_end());
        // Stored times are UTC; SQLite compares them as text.
        let period = period.map(|(from, until)| (utc_seconds(from), utc_seconds(until)));
        let page = page.clamp(1, 1_000_000);
        let class = class.unwrap_or("");
        let filter = "($1 = '' OR class = $1) AND search_text LIKE $2 ESCAPE '\\' \
                      AND ($3 IS NULL OR created_at >= $3) AND ($4 IS NULL OR created_at < $4)";
        let list = format!(
            "SELECT {MEDIA_COLUMNS} FROM media_files WHERE {filter} \
             ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6"
        );
        let count = format!("SELECT COUNT(*) FROM media_files WHERE {filter}");
        let offset = (page.max(1) - 1) * per_page;
        let files: Vec<MediaFile> = on_db!(self, read p => {
            sqlx::query_as(sqlx::AssertSqlSafe(list.clone()))
                .bind(class).bind(&pattern)
                .bind(period.map(|p| p.0)).bind(period.map(|p| p.1))
                .bind(per_page).bind(offset)
                .fetch_all(p)
                .await
        })?;
        let (total,): (i64,) = on_db!(self, read p => {
            sqlx::query_as(sqlx::AssertSqlSafe(count.clone()))
                .bind(class).bind(&pattern)
                .bind(period.map(|p| p.0)).bind(period.map(|p| p.1))
                .fetch_one(p)
                .await
        })?;
        Ok((files, total))
    }

    /// Fills the search text of files entered before it existed; returns how many.
    pub async fn fill_media_search(&self) -> Result<usize> {
        let rows: Vec<(String, String, String, String)> = on_db!(self, read p => {
            sqlx::query_as("SELECT key, original_name, alt, caption FROM media_files WHERE search_text = ''")
                .fetch_all(p)
                .await
        })?;
        for (key, name, alt, caption) in &rows {
            let search = search_text(name, alt, caption);
            on_db!(self, write p => {
                sqlx::query("UPDATE media_files SET search_text = $2 WHERE key = $1 AND search_text = ''")
                    .bind(key).bind(&search)
                    .execute(p)
                    .await
                    .map(|done| done.rows_affected())
            })?;
        }
        Ok(rows.len())
    }

    /// The keys of every file in the library.
    pub async fn media_keys(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_db!(self, read p => {
            sqlx::query_as("SELECT key FROM media_files ORDER BY key").fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(|(k,)| k).collect())
    }

    /// Puts the library's file `to` wherever `from` is used (articles' covers and bodies, pages,
    /// the site's logo and banner) and removes `from` from the library; its address answers a
    /// redirect to `to` from now on ([`Store::media_alias`]). Articles keep their version: the
    /// words did not change, and an editor saving an open copy still names a working address.
    /// Returns the removed entry, whose bytes the caller removes from the storage.
    pub async fn replace_media_file(
        &self,
        actor: &Actor,
        from: &str,
        to: &str,
    ) -> Result<MediaFile> {
        let old = self.media_file(from).await?.ok_or(StoreError::NotFound)?;
        let new = self.media_file(to).await?.ok_or(StoreError::NotFound)?;
        if from == to {
            return Err(StoreError::Conflict("same"));
        }
        let (old_path, new_path) = (format!("/media/{from}"), format!("/media/{to}"));
        let stem = |key: &str| key.rsplit_once('.').map_or(key, |(s, _)| s).to_string();
        // The address in attributes, and the variants' addresses in a srcset.
        let (old_quoted, new_quoted) = (format!("\"{old_path}\""), format!("\"{new_path}\""));
        let (old_variants, new_variants) = (
            format!("/media/{}.w", stem(from)),
            format!("/media/{}.w", stem(to)),
        );
        let (by_path, by_variants) = (containing(&old_path), containing(&old_variants));
        let t = now();
        let mut tx = self.begin().await?;
        // First, so that of two replacements of one file only one goes on.
        let removed = on_db!(&mut tx, tx c => {
            sqlx::query("DELETE FROM media_files WHERE key = $1")
                .bind(from)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
        })?;
        if removed != 1 {
            return Err(StoreError::NotFound);
        }
        // Rewritten in SQL, each row as it stands when it is written: a save committed meanwhile
        // is renamed, not overwritten.
        let articles: Vec<(i64,)> = on_db!(&mut tx, tx c => {
            sqlx::query_as(
                "UPDATE articles SET body = REPLACE(REPLACE(body, $1, $2), $3, $4), \
                 cover_url = CASE WHEN cover_url = $5 THEN $6 ELSE cover_url END \
                 WHERE cover_url = $5 OR body LIKE $7 ESCAPE '\\' OR body LIKE $8 ESCAPE '\\' RETURNING id",
            )
            .bind(&old_quoted).bind(&new_quoted).bind(&old_variants).bind(&new_variants)
            .bind(&old_path).bind(&new_path).bind(&by_path).bind(&by_variants)
            .fetch_all(c)
            .await
        })?;
        let pages: Vec<(i64,)> = on_db!(&mut tx, tx c => {
            sqlx::query_as(
                "UPDATE pages SET body = REPLACE(REPLACE(body, $1, $2), $3, $4) \
                 WHERE body LIKE $5 ESCAPE '\\' OR body LIKE $6 ESCAPE '\\' RETURNING id",
            )
            .bind(&old_quoted).bind(&new_quoted).bind(&old_variants).bind(&new_variants)
            .bind(&by_path).bind(&by_variants)
            .fetch_all(c)
            .await
        })?;
        on_db!(&mut tx, tx c => {
            sqlx::query(
                "UPDATE site SET logo_url = CASE WHEN logo_url = $1 THEN $2 ELSE logo_url END, \
                 banner_url = CASE WHEN banner_url = $1 THEN $2 ELSE banner_url END",
            )
            .bind(&old_path).bind(&new_path)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })?;
        // Addresses that led to `from` lead to `to`; `to` itself is a file again, not an alias.
        on_db!(&mut tx, tx c => {
            sqlx::query("UPDATE media_aliases SET target = $2 WHERE target = $1")
                .bind(from).bind(to)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
        })?;
        on_db!(&mut tx, tx c => {
            sqlx::query("DELETE FROM media_aliases WHERE key = $1")
                .bind(to)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
        })?;
        on_db!(&mut tx, tx c => {
            sqlx::query(
                "INSERT INTO media_aliases (key, target, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET target = excluded.target",
            )
            .bind(from).bind(to).bind(t)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })?;
        // A replaced image's description stays with the image that stands in for it.
        if new.alt.is_empty() && !old.alt.is_empty() {
            let caption = if new.caption.is_empty() {
                &old.caption
            } else {
                &new.caption
            };
            let search = search_text(&new.original_name, &old.alt, caption);
            on_db!(&mut tx, tx c => {
                sqlx::query("UPDATE media_files SET alt = $2, caption = $3, search_text = $4 WHERE key = $1")
                    .bind(to).bind(&old.alt).bind(caption).bind(&search)
                    .execute(c)
                    .await
                    .map(|done| done.rows_affected())
            })?;
        }
        record(
            &mut tx,
            t,
            actor,
            AuditAction::MediaReplace,
            &format!("media:{from}"),
            json!({
                "by": to,
                "articles": articles.iter().map(|(id,)| id).collect::<Vec<_>>(),
                "pages": pages.iter().map(|(id,)| id).collect::<Vec<_>>(),
            }),
        )
        .await?;
        // Bodies, covers and perhaps the logo changed: every page may show the file.
        append_change(&mut tx, &Change::Site).await?;
        tx.commit().await?;
        self.notify(&Change::Site);
        Ok(old)
    }

    /// The file that replaced the one stored under `key`, if one did.
    pub async fn media_alias(&self, key: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = on_db!(self, read p => {
            sqlx::query_as("SELECT target FROM media_aliases WHERE key = $1").bind(key).fetch_optional(p).await
        })?;
        Ok(row.map(|(t,)| t))
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
