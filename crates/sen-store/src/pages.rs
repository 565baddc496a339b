use sen_core::{Change, Page, PageInput};
use time::OffsetDateTime;

use crate::{
    Result, Store, StoreError,
    db::{now, on_db},
    outbox::append_change,
};

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
fn saved(id: i64, input: PageInput, slug: String, updated_at: OffsetDateTime) -> Page {
    Page {
        id,
        title: input.title,
        slug,
        body: input.body,
        position: input.position,
        in_menu: input.in_menu,
        updated_at,
    }
}

impl Store {
    pub async fn pages(&self) -> Result<Vec<Page>> {
        let rows: Vec<PageRow> = on_db!(self, read p => {
            sqlx::query_as("SELECT id, title, slug, body, position, in_menu, updated_at FROM pages ORDER BY position, id")
                .fetch_all(p)
                .await
        })?;
        Ok(rows.into_iter().map(page).collect())
    }

    pub async fn page_by_slug(&self, slug: &str) -> Result<Option<Page>> {
        let row: Option<PageRow> = on_db!(self, read p => {
            sqlx::query_as("SELECT id, title, slug, body, position, in_menu, updated_at FROM pages WHERE slug = $1")
                .bind(slug)
                .fetch_optional(p)
                .await
        })?;
        Ok(row.map(page))
    }

    pub async fn create_page(&self, input: PageInput) -> Result<Page> {
        let input = input.validated()?;
        let slug = input.slug.clone().unwrap_or_default();
        let t = now();
        let mut tx = self.begin().await?;
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
        append_change(&mut tx, &Change::Page { id }).await?;
        tx.commit().await?;
        self.notify(&Change::Page { id });
        Ok(saved(id, input, slug, t))
    }

    pub async fn update_page(&self, id: i64, input: PageInput) -> Result<Page> {
        let input = input.validated()?;
        let slug = input.slug.clone().unwrap_or_default();
        let t = now();
        let mut tx = self.begin().await?;
        let done = on_db!(&mut tx, tx c => {
            sqlx::query(
                "UPDATE pages SET title = $2, slug = $3, body = $4, position = $5, in_menu = $6, updated_at = $7 WHERE id = $1",
            )
            .bind(id).bind(&input.title).bind(&slug).bind(&input.body).bind(input.position).bind(input.in_menu).bind(t)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })
        .map_err(|e| StoreError::constraint(e, Some("slug"), None))?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        append_change(&mut tx, &Change::Page { id }).await?;
        tx.commit().await?;
        self.notify(&Change::Page { id });
        Ok(saved(id, input, slug, t))
    }
}
