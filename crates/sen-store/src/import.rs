use std::collections::HashMap;

use sen_core::{ArticleInput, Change, Site, text};
use serde::{Deserialize, Serialize};

use crate::{
    Result, Store, StoreError,
    articles::link_tags,
    db::{Tx, now, on_db},
    outbox::append_change,
    site::upsert_site,
};

/// A set of content to add in one transaction: the sample portal, a generated corpus, an import.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Bundle {
    pub site: Option<Site>,
    pub categories: Vec<BundleCategory>,
    pub pages: Vec<BundlePage>,
    pub articles: Vec<BundleArticle>,
    pub media: Vec<BundleMedia>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleCategory {
    pub slug: String,
    pub name: String,
    pub description: String,
    /// The parent's slug; parents come before their children.
    pub parent: Option<String>,
    pub in_menu: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundlePage {
    pub slug: String,
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleArticle {
    /// The category's slug.
    pub category: String,
    /// `category_id` is ignored: `category` names it.
    pub input: ArticleInput,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleMedia {
    pub key: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Whether the sample portal is in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleState {
    /// Never added.
    Never,
    Present,
    /// Added once, then removed: a restart does not bring it back.
    Removed,
}

impl Store {
    pub async fn sample_state(&self) -> Result<SampleState> {
        let row: Option<(String,)> = on_db!(self, read p => {
            sqlx::query_as("SELECT state FROM sample_state WHERE id = 1").fetch_optional(p).await
        })?;
        Ok(match row.as_ref().map(|(s,)| s.as_str()) {
            Some("present") => SampleState::Present,
            Some(_) => SampleState::Removed,
            None => SampleState::Never,
        })
    }

    /// Adds the sample portal unless it was ever added before (`first_start`) or is present now.
    /// Returns whether this call added it. Two nodes calling at once add it once: the claim on the
    /// `sample_state` row and the content commit together.
    pub async fn add_sample(&self, bundle: &Bundle, first_start: bool) -> Result<bool> {
        let bundle = validated(bundle)?;
        let mut tx = self.begin().await?;
        let claimed = on_db!(&mut tx, tx c => {
            if first_start {
                sqlx::query("INSERT INTO sample_state (id, state) VALUES (1, 'present') ON CONFLICT (id) DO NOTHING")
                    .execute(c)
                    .await
                    .map(|done| done.rows_affected())
            } else {
                sqlx::query(
                    "INSERT INTO sample_state (id, state) VALUES (1, 'present') \
                     ON CONFLICT (id) DO UPDATE SET state = 'present' WHERE sample_state.state <> 'present'",
                )
                .execute(c)
                .await
                .map(|done| done.rows_affected())
            }
        })? == 1;
        if !claimed {
            return Ok(false);
        }
        if let Some(site) = &bundle.site {
            upsert_site(&mut tx, site).await?;
            on_db!(&mut tx, tx c => {
                sqlx::query("UPDATE site SET is_sample = TRUE WHERE id = 1")
                    .execute(c)
                    .await
                    .map(|done| done.rows_affected())
            })?;
        }
        insert_bundle(&mut tx, &bundle, true).await?;
        append_change(&mut tx, &Change::Site).await?;
        tx.commit().await?;
        let added = true;
        if added {
            self.notify(&Change::Site);
        }
        Ok(added)
    }

    /// Adds categories (missing ones), pages and articles, all marked as sample content so that
    /// [`Store::remove_sample`] takes them away again.
    pub async fn add_generated(&self, bundle: &Bundle) -> Result<()> {
        let bundle = validated(bundle)?;
        let mut tx = self.begin().await?;
        insert_bundle(&mut tx, &bundle, true).await?;
        append_change(&mut tx, &Change::Site).await?;
        tx.commit().await?;
        self.notify(&Change::Site);
        Ok(())
    }

    /// Removes all sample content; what editors made stays, and so do sample categories that still hold it.
    /// Returns the number of sample articles removed.
    pub async fn remove_sample(&self) -> Result<u64> {
        let mut tx = self.begin().await?;
        let removed = on_db!(&mut tx, tx c => {
            let removed = sqlx::query("DELETE FROM articles WHERE is_sample = TRUE").execute(&mut *c).await?.rows_affected();
            // Children go before parents; a category still used by an editor's article stays.
            for _ in 0..8 {
                let gone = sqlx::query(
                    "DELETE FROM categories WHERE is_sample = TRUE \
                     AND id NOT IN (SELECT category_id FROM articles) \
                     AND id NOT IN (SELECT parent_id FROM categories WHERE parent_id IS NOT NULL)",
                )
                .execute(&mut *c)
                .await?
                .rows_affected();
                if gone == 0 {
                    break;
                }
            }
            sqlx::query("DELETE FROM pages WHERE is_sample = TRUE").execute(&mut *c).await?;
            sqlx::query("DELETE FROM media WHERE is_sample = TRUE").execute(&mut *c).await?;
            sqlx::query("DELETE FROM tags WHERE id NOT IN (SELECT tag_id FROM article_tags)").execute(&mut *c).await?;
            sqlx::query("DELETE FROM site WHERE is_sample = TRUE").execute(&mut *c).await?;
            sqlx::query("UPDATE sample_state SET state = 'removed' WHERE id = 1").execute(&mut *c).await?;
            Ok::<_, sqlx::Error>(removed)
        })?;
        append_change(&mut tx, &Change::Site).await?;
        tx.commit().await?;
        self.notify(&Change::Site);
        Ok(removed)
    }
}

fn validated(bundle: &Bundle) -> Result<Bundle> {
    let mut out = bundle.clone();
    if let Some(site) = out.site.take() {
        out.site = Some(site.validated()?);
    }
    for article in &mut out.articles {
        article.input = article.input.clone().validated()?;
    }
    for category in &mut out.categories {
        category.name = text::clean_line(&category.name);
        category.description = text::clean_line(&category.description);
        if !text::is_slug(&category.slug) {
            return Err(
                sen_core::ValidationError::new("slug", sen_core::ErrorCode::InvalidSlug).into(),
            );
        }
    }
    for page in &mut out.pages {
        page.title = text::clean_line(&page.title);
        page.body = sen_core::sanitize_html(&page.body);
        if !text::is_slug(&page.slug) {
            return Err(
                sen_core::ValidationError::new("slug", sen_core::ErrorCode::InvalidSlug).into(),
            );
        }
    }
    Ok(out)
}

/// Inserts a validated bundle inside the caller's transaction.
async fn insert_bundle(tx: &mut Tx, bundle: &Bundle, is_sample: bool) -> Result<()> {
    let t = now();
    let mut category_ids = HashMap::new();
    for (position, c) in bundle.categories.iter().enumerate() {
        let parent = c
            .parent
            .as_ref()
            .and_then(|slug| category_ids.get(slug).copied());
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        let (id,): (i64,) = on_db!(tx, tx conn => {
            sqlx::query(
                "INSERT INTO categories (parent_id, name, slug, description, position, in_menu, is_sample, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (slug) DO NOTHING",
            )
            .bind(parent).bind(&c.name).bind(&c.slug).bind(&c.description)
            .bind(position).bind(c.in_menu).bind(is_sample).bind(t)
            .execute(&mut *conn)
            .await?;
            sqlx::query_as("SELECT id FROM categories WHERE slug = $1")
                .bind(&c.slug)
                .fetch_one(&mut *conn)
                .await
        })?;
        category_ids.insert(c.slug.clone(), id);
    }
    for (position, page) in bundle.pages.iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        on_db!(tx, tx c => {
            sqlx::query(
                "INSERT INTO pages (title, slug, body, position, in_menu, is_sample, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, TRUE, $5, $6, $6) ON CONFLICT (slug) DO NOTHING",
            )
            .bind(&page.title).bind(&page.slug).bind(&page.body)
            .bind(position).bind(is_sample).bind(t)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })?;
    }
    for m in &bundle.media {
        on_db!(tx, tx c => {
            sqlx::query(
                "INSERT INTO media (key, content_type, data, is_sample, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(&m.key).bind(&m.content_type).bind(&m.data).bind(is_sample).bind(t)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })?;
    }
    for a in &bundle.articles {
        let category_id = match category_ids.get(&a.category) {
            Some(id) => *id,
            None => {
                let row: Option<(i64,)> = on_db!(tx, tx c => {
                    sqlx::query_as("SELECT id FROM categories WHERE slug = $1")
                        .bind(&a.category)
                        .fetch_optional(c)
                        .await
                })?;
                row.ok_or(StoreError::MissingReference("category"))?.0
            }
        };
        let i = &a.input;
        let (id,): (i64,) = on_db!(tx, tx c => {
            sqlx::query_as(
                "INSERT INTO articles (title, slug, summary, body, cover_url, cover_caption, author, byline, \
                 source_name, source_url, category_id, featured, status, is_sample, created_at, published_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
            )
            .bind(&i.title).bind(i.slug.as_deref().unwrap_or_default()).bind(&i.summary).bind(&i.body)
            .bind(&i.cover_url).bind(&i.cover_caption).bind(&i.author).bind(&i.byline)
            .bind(&i.source_name).bind(&i.source_url).bind(category_id).bind(i.featured)
            .bind(i.status.as_str()).bind(is_sample).bind(i.created_at.unwrap_or(t)).bind(i.published_at)
            .bind(i.published_at.unwrap_or(t))
            .fetch_one(c)
            .await
        })?;
        link_tags(tx, id, &i.tags).await?;
    }
    Ok(())
}

impl Store {
    /// Whether anything was ever written: categories, articles or pages.
    pub async fn has_content(&self) -> Result<bool> {
        let (n,): (i64,) = on_db!(self, read p => {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM categories) + (SELECT COUNT(*) FROM articles) + (SELECT COUNT(*) FROM pages)",
            )
            .fetch_one(p)
            .await
        })?;
        Ok(n > 0)
    }
}
