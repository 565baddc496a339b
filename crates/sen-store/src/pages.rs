use sen_core::{Actor, Change, Page, PageInput};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::{
    Result, Store, StoreError,
    audit::{AuditAction, changes, record},
    db::{Lock, Tx, now, on_db},
    outbox::append_change,
};

macro_rules! page_select {
    () => {
        "SELECT id, title, slug, body, position, in_menu, updated_at FROM pages "
    };
}

type PageRow = (i64, String, String, String, i32, bool, OffsetDateTime);

fn page((id, title, slug, body, position, in_menu, updated_at): PageRow) -> Page {
    Page {
        id,
        title,
        slug,
        body,
        position,
        in_menu,
        updated_at,
    }
}

/// The page as stored from a validated input.
fn saved(id: i64, input: PageInput, updated_at: OffsetDateTime) -> Page {
    Page {
        id,
        title: input.title,
        slug: input.slug.unwrap_or_default(),
        body: input.body,
        position: input.position,
        in_menu: input.in_menu,
        updated_at,
    }
}

/// What the audit log keeps of a page: its fields, with the body by its length only (the page
/// itself is the record of its text; two years of bodies would outweigh the log).
fn audited(p: &Page) -> Value {
    json!({
        "title": p.title, "slug": p.slug, "position": p.position, "in_menu": p.in_menu,
        "body_chars": p.body.chars().count(),
    })
}

async fn page_in(tx: &mut Tx, id: i64) -> Result<Option<Page>> {
    let row: Option<PageRow> = on_db!(tx, tx c => {
        sqlx::query_as(concat!(page_select!(), "WHERE id = $1")).bind(id).fetch_optional(c).await
    })?;
    Ok(row.map(page))
}

/// A slug a page now holds is nobody's old slug any more.
async fn forget_old_slug(tx: &mut Tx, slug: &str) -> Result<()> {
    on_db!(tx, tx c => {
        sqlx::query("DELETE FROM page_slugs WHERE slug = $1")
            .bind(slug)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(())
}

impl Store {
    /// Every static page, in menu order.
    pub async fn pages(&self) -> Result<Vec<Page>> {
        let rows: Vec<PageRow> = on_db!(self, read p => {
            sqlx::query_as(concat!(page_select!(), "ORDER BY position, id")).fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(page).collect())
    }

    pub async fn page(&self, id: i64) -> Result<Option<Page>> {
        let row: Option<PageRow> = on_db!(self, read p => {
            sqlx::query_as(concat!(page_select!(), "WHERE id = $1")).bind(id).fetch_optional(p).await
        })?;
        Ok(row.map(page))
    }

    pub async fn page_by_slug(&self, slug: &str) -> Result<Option<Page>> {
        let row: Option<PageRow> = on_db!(self, read p => {
            sqlx::query_as(concat!(page_select!(), "WHERE slug = $1")).bind(slug).fetch_optional(p).await
        })?;
        Ok(row.map(page))
    }

    /// The current slug of the page that had `old_slug` before a rename, for a 301.
    pub async fn page_redirect(&self, old_slug: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = on_db!(self, read p => {
            sqlx::query_as(
                "SELECT p.slug FROM page_slugs s JOIN pages p ON p.id = s.page_id WHERE s.slug = $1",
            )
            .bind(old_slug)
            .fetch_optional(p)
            .await
        })?;
        Ok(row.map(|(slug,)| slug))
    }

    /// Creates a static page; a slug in use is `Conflict("slug")`.
    pub async fn create_page(&self, actor: &Actor, input: PageInput) -> Result<Page> {
        let input = input.validated()?;
        let slug = input.slug.clone().unwrap_or_default();
        let t = now();
        let mut tx = self.begin().await?;
        tx.lock(Lock::Pages).await?;
        let (id,): (i64,) = on_db!(&mut tx, tx c => {
            sqlx::query_as(
                "INSERT INTO pages (title, slug, body, position, in_menu, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(&input.title).bind(&slug).bind(&input.body).bind(input.position).bind(input.in_menu).bind(t)
            .fetch_one(c)
            .await
        })
        .map_err(|e| StoreError::constraint(e, Some("slug"), None))?;
        forget_old_slug(&mut tx, &slug).await?;
        let created = saved(id, input, t);
        let target = format!("page:{id}");
        record(
            &mut tx,
            t,
            actor,
            AuditAction::PageCreate,
            &target,
            audited(&created),
        )
        .await?;
        append_change(&mut tx, &Change::Page { id }).await?;
        tx.commit().await?;
        self.notify(&Change::Page { id });
        Ok(created)
    }

    /// Changes a static page: text, menu order and visibility, slug (the old one keeps answering
    /// with a redirect). The audit entry holds what changed.
    pub async fn update_page(&self, actor: &Actor, id: i64, input: PageInput) -> Result<Page> {
        let input = input.validated()?;
        let slug = input.slug.clone().unwrap_or_default();
        let t = now();
        let mut tx = self.begin().await?;
        tx.lock(Lock::Pages).await?;
        let before = page_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        on_db!(&mut tx, tx c => {
            sqlx::query(
                "UPDATE pages SET title = $2, slug = $3, body = $4, position = $5, in_menu = $6, updated_at = $7 WHERE id = $1",
            )
            .bind(id).bind(&input.title).bind(&slug).bind(&input.body).bind(input.position).bind(input.in_menu).bind(t)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })
        .map_err(|e| StoreError::constraint(e, Some("slug"), None))?;
        if before.slug != slug {
            on_db!(&mut tx, tx c => {
                sqlx::query(
                    "INSERT INTO page_slugs (slug, page_id, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (slug) DO UPDATE SET page_id = excluded.page_id, created_at = excluded.created_at",
                )
                .bind(&before.slug).bind(id).bind(t)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
            })?;
            forget_old_slug(&mut tx, &slug).await?;
        }
        let after = saved(id, input, t);
        let mut details = changes(&audited(&before), &audited(&after))?;
        if before.body != after.body {
            // Of the same length or not: the entry says the text changed.
            details["body_changed"] = Value::Bool(true);
        }
        let target = format!("page:{id}");
        record(&mut tx, t, actor, AuditAction::PageUpdate, &target, details).await?;
        append_change(&mut tx, &Change::Page { id }).await?;
        tx.commit().await?;
        self.notify(&Change::Page { id });
        Ok(after)
    }

    /// Deletes a static page, and its old slugs with it.
    pub async fn delete_page(&self, actor: &Actor, id: i64) -> Result<()> {
        let t = now();
        let mut tx = self.begin().await?;
        tx.lock(Lock::Pages).await?;
        let before = page_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        on_db!(&mut tx, tx c => {
            sqlx::query("DELETE FROM pages WHERE id = $1")
                .bind(id)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
        })?;
        let target = format!("page:{id}");
        record(
            &mut tx,
            t,
            actor,
            AuditAction::PageDelete,
            &target,
            audited(&before),
        )
        .await?;
        append_change(&mut tx, &Change::Page { id }).await?;
        tx.commit().await?;
        self.notify(&Change::Page { id });
        Ok(())
    }
}
