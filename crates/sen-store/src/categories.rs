use std::collections::HashSet;

use sen_core::{Category, CategoryInput, Change, ErrorCode, ValidationError};

use crate::{
    Result, Store, StoreError,
    db::{Lock, Tx, now, on_db},
    outbox::append_change,
};

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

impl Store {
    /// Every category, in menu order (parents before children is up to the caller).
    pub async fn categories(&self) -> Result<Vec<Category>> {
        let rows: Vec<CategoryRow> = on_db!(self, read p => {
            sqlx::query_as(
                "SELECT id, parent_id, name, slug, description, position, in_menu FROM categories \
                 ORDER BY position, id",
            )
            .fetch_all(p)
            .await
        })?;
        Ok(rows.into_iter().map(category).collect())
    }

    pub async fn create_category(&self, input: CategoryInput) -> Result<Category> {
        let input = input.validated()?;
        let slug = input.slug.clone().unwrap_or_default();
        let t = now();
        let mut tx = self.begin().await?;
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
        append_change(&mut tx, &Change::Category { id }).await?;
        tx.commit().await?;
        self.notify(&Change::Category { id });
        Ok(Category {
            id,
            parent_id: input.parent_id,
            name: input.name,
            slug,
            description: input.description,
            position: input.position,
            in_menu: input.in_menu,
        })
    }

    pub async fn update_category(&self, id: i64, input: CategoryInput) -> Result<Category> {
        let input = input.validated()?;
        let slug = input.slug.clone().unwrap_or_default();
        let mut tx = self.begin().await?;
        if let Some(parent) = input.parent_id {
            tx.lock(Lock::CategoryTree).await?;
            check_parent(&mut tx, id, parent).await?;
        }
        let done = on_db!(&mut tx, tx c => {
            sqlx::query(
                "UPDATE categories SET parent_id = $2, name = $3, slug = $4, description = $5, position = $6, \
                 in_menu = $7, updated_at = $8 WHERE id = $1",
            )
            .bind(id).bind(input.parent_id).bind(&input.name).bind(&slug).bind(&input.description)
            .bind(input.position).bind(input.in_menu).bind(now())
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })
        .map_err(|e| StoreError::constraint(e, Some("slug"), Some("parent_id")))?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        append_change(&mut tx, &Change::Category { id }).await?;
        tx.commit().await?;
        self.notify(&Change::Category { id });
        Ok(Category {
            id,
            parent_id: input.parent_id,
            name: input.name,
            slug,
            description: input.description,
            position: input.position,
            in_menu: input.in_menu,
        })
    }
}
