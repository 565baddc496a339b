use std::collections::HashSet;

use sen_core::{Actor, Category, CategoryInput, Change, ErrorCode, ValidationError};
use serde_json::json;

use crate::{
    Result, Store, StoreError,
    audit::{AuditAction, changes, record},
    db::{Lock, Tx, now, on_db},
    outbox::append_change,
};

macro_rules! category_select {
    () => {
        "SELECT id, parent_id, name, slug, description, position, in_menu FROM categories "
    };
}

type CategoryRow = (i64, Option<i64>, String, String, String, i32, bool);

fn category((id, parent_id, name, slug, description, position, in_menu): CategoryRow) -> Category {
    Category {
        id,
        parent_id,
        name,
        slug,
        description,
        position,
        in_menu,
    }
}

/// Refuses a parent that does not exist, or that is the category itself or one of its descendants
/// (readers walking up the tree would loop). Runs inside the moving transaction.
async fn check_parent(tx: &mut Tx, id: i64, parent: i64) -> Result<()> {
    let cycle = || StoreError::from(ValidationError::new("parent_id", ErrorCode::Cycle));
    let mut seen = HashSet::new();
    let mut at = parent;
    loop {
        // Revisiting a category means the chain above the new parent loops already.
        if at == id || !seen.insert(at) {
            return Err(cycle());
        }
        let row: Option<(Option<i64>,)> = on_db!(tx, tx c => {
            sqlx::query_as("SELECT parent_id FROM categories WHERE id = $1")
                .bind(at)
                .fetch_optional(c)
                .await
        })?;
        match row {
            None if at == parent => return Err(StoreError::MissingReference("parent_id")),
            None | Some((None,)) => return Ok(()),
            Some((Some(up),)) => at = up,
        }
    }
}

/// The category `id` as the transaction sees it.
async fn category_in(tx: &mut Tx, id: i64) -> Result<Option<Category>> {
    let row: Option<CategoryRow> = on_db!(tx, tx c => {
        sqlx::query_as(concat!(category_select!(), "WHERE id = $1")).bind(id).fetch_optional(c).await
    })?;
    Ok(row.map(category))
}

/// A slug a category now holds is nobody's old slug any more.
async fn forget_old_slug(tx: &mut Tx, slug: &str) -> Result<()> {
    on_db!(tx, tx c => {
        sqlx::query("DELETE FROM category_slugs WHERE slug = $1")
            .bind(slug)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// The category as stored from a validated input.
fn saved(id: i64, input: CategoryInput) -> Category {
    Category {
        id,
        parent_id: input.parent_id,
        name: input.name,
        slug: input.slug.unwrap_or_default(),
        description: input.description,
        position: input.position,
        in_menu: input.in_menu,
    }
}

impl Store {
    /// Every category, in menu order (parents before children is up to the caller).
    pub async fn categories(&self) -> Result<Vec<Category>> {
        let rows: Vec<CategoryRow> = on_db!(self, read p => {
            sqlx::query_as(concat!(category_select!(), "ORDER BY position, id")).fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(category).collect())
    }

    pub async fn category(&self, id: i64) -> Result<Option<Category>> {
        let row: Option<CategoryRow> = on_db!(self, read p => {
            sqlx::query_as(concat!(category_select!(), "WHERE id = $1")).bind(id).fetch_optional(p).await
        })?;
        Ok(row.map(category))
    }

    /// The current slug of the category that had `old_slug` before a rename, for a 301.
    pub async fn category_redirect(&self, old_slug: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = on_db!(self, read p => {
            sqlx::query_as(
                "SELECT c.slug FROM category_slugs s JOIN categories c ON c.id = s.category_id WHERE s.slug = $1",
            )
            .bind(old_slug)
            .fetch_optional(p)
            .await
        })?;
        Ok(row.map(|(slug,)| slug))
    }

    /// Creates a category; a slug in use is `Conflict("slug")`, a parent that does not exist
    /// `MissingReference("parent_id")`.
    pub async fn create_category(&self, actor: &Actor, input: CategoryInput) -> Result<Category> {
        let input = input.validated()?;
        let slug = input.slug.clone().unwrap_or_default();
        let t = now();
        let mut tx = self.begin().await?;
        tx.lock(Lock::CategoryTree).await?;
        let (id,): (i64,) = on_db!(&mut tx, tx c => {
            sqlx::query_as(
                "INSERT INTO categories (parent_id, name, slug, description, position, in_menu, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(input.parent_id).bind(&input.name).bind(&slug).bind(&input.description)
            .bind(input.position).bind(input.in_menu).bind(t)
            .fetch_one(c)
            .await
        })
        .map_err(|e| StoreError::constraint(e, Some("slug"), Some("parent_id")))?;
        forget_old_slug(&mut tx, &slug).await?;
        let created = saved(id, input);
        let details = serde_json::to_value(&created)?;
        let target = format!("category:{id}");
        record(
            &mut tx,
            t,
            actor,
            AuditAction::CategoryCreate,
            &target,
            details,
        )
        .await?;
        append_change(&mut tx, &Change::Category { id }).await?;
        tx.commit().await?;
        self.notify(&Change::Category { id });
        Ok(created)
    }

    /// Changes a category: rename (its old slug keeps answering with a redirect), move (never under
    /// itself or a descendant), menu visibility and order. The audit entry holds what changed.
    pub async fn update_category(
        &self,
        actor: &Actor,
        id: i64,
        input: CategoryInput,
    ) -> Result<Category> {
        let input = input.validated()?;
        let slug = input.slug.clone().unwrap_or_default();
        let t = now();
        let mut tx = self.begin().await?;
        tx.lock(Lock::CategoryTree).await?;
        let before = category_in(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if let Some(parent) = input.parent_id {
            check_parent(&mut tx, id, parent).await?;
        }
        on_db!(&mut tx, tx c => {
            sqlx::query(
                "UPDATE categories SET parent_id = $2, name = $3, slug = $4, description = $5, position = $6, \
                 in_menu = $7, updated_at = $8 WHERE id = $1",
            )
            .bind(id).bind(input.parent_id).bind(&input.name).bind(&slug).bind(&input.description)
            .bind(input.position).bind(input.in_menu).bind(t)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })
        .map_err(|e| StoreError::constraint(e, Some("slug"), Some("parent_id")))?;
        if before.slug != slug {
            on_db!(&mut tx, tx c => {
                sqlx::query(
                    "INSERT INTO category_slugs (slug, category_id, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (slug) DO UPDATE SET category_id = excluded.category_id, created_at = excluded.created_at",
                )
                .bind(&before.slug).bind(id).bind(t)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
            })?;
            forget_old_slug(&mut tx, &slug).await?;
        }
        let after = saved(id, input);
        let details = changes(&before, &after)?;
        let target = format!("category:{id}");
        record(
            &mut tx,
            t,
            actor,
            AuditAction::CategoryUpdate,
            &target,
            details,
        )
        .await?;
        append_change(&mut tx, &Change::Category { id }).await?;
        tx.commit().await?;
        self.notify(&Change::Category { id });
        Ok(after)
    }

    /// Deletes an empty category. One that still has subcategories is `Conflict("subcategories")`,
    /// one with articles (in any state) `Conflict("articles")`; its old slugs go with it.
    pub async fn delete_category(&self, actor: &Actor, id: i64) -> Result<()> {
        let t = now();
        let mut tx = self.begin().await?;
        tx.lock(Lock::CategoryTree).await?;
        let before = category_in(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let (children, articles): (i64, i64) = on_db!(&mut tx, tx c => {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM categories WHERE parent_id = $1), \
                 (SELECT COUNT(*) FROM articles WHERE category_id = $1)",
            )
            .bind(id)
            .fetch_one(c)
            .await
        })?;
        if children > 0 {
            return Err(StoreError::Conflict("subcategories"));
        }
        if articles > 0 {
            return Err(StoreError::Conflict("articles"));
        }
        on_db!(&mut tx, tx c => {
            sqlx::query("DELETE FROM categories WHERE id = $1")
                .bind(id)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
        })
        // An article filed under it by a transaction that committed after the count.
        .map_err(
            |e| match StoreError::constraint(e, None, Some("articles")) {
                StoreError::MissingReference(field) => StoreError::Conflict(field),
                other => other,
            },
        )?;
        let details =
            json!({ "name": before.name, "slug": before.slug, "parent_id": before.parent_id });
        let target = format!("category:{id}");
        record(
            &mut tx,
            t,
            actor,
            AuditAction::CategoryDelete,
            &target,
            details,
        )
        .await?;
        append_change(&mut tx, &Change::Category { id }).await?;
        tx.commit().await?;
        self.notify(&Change::Category { id });
        Ok(())
    }
}
