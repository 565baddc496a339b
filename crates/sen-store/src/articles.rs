use std::collections::HashMap;

use rusqlite::types::Type as SqliteType;
use time::format_description::well_known::Rfc3339;

use sen_core::{Article, ArticleStatus, ArticleSummary, ListedArticle, Tag, text};
use sqlx::{Database, Encode, QueryBuilder, Type};
use time::OffsetDateTime;

use crate::{
    Result, Store,
    db::{Pools, Tx, now, on_db},
};

macro_rules! summary_columns {
    () => {
        "a.id, a.title, a.slug, a.summary, a.cover_url, a.cover_caption, a.category_id, a.published_at, a.views"
    };
}

macro_rules! article_columns {
    () => {
        "id, title, slug, summary, body, cover_url, cover_caption, author, byline, source_name, source_url, \
         category_id, featured, status, created_at, published_at, updated_at, views, author_id, version, \
         unpublish_at, review_note, correction_note, corrected_at, trashed_at, trashed_from"
    };
}

/// One article with its tags aggregated into JSON, so the article page costs one round trip. The
/// aggregate is the one place the dialects differ.
const ARTICLE_SQLITE: &str = concat!(
    "SELECT ",
    article_columns!(),
    ", (SELECT json_group_array(json_array(id, name, slug)) FROM ",
    "(SELECT t.id, t.name, t.slug FROM tags t JOIN article_tags x ON x.tag_id = t.id ",
    "WHERE x.article_id = articles.id ORDER BY t.name)) AS tags FROM articles WHERE id = $1"
);
const ARTICLE_POSTGRES: &str = concat!(
    "SELECT ",
    article_columns!(),
    ", (SELECT COALESCE(json_agg(json_build_array(t.id, t.name, t.slug) ",
    "ORDER BY t.name), '[]')::text FROM tags t JOIN article_tags x ON x.tag_id = t.id ",
    "WHERE x.article_id = articles.id) AS tags FROM articles WHERE id = $1"
);

#[derive(sqlx::FromRow)]
struct ArticleRow {
    id: i64,
    title: String,
    slug: String,
    summary: String,
    body: String,
    cover_url: String,
    cover_caption: String,
    author: String,
    byline: String,
    source_name: String,
    source_url: String,
    category_id: i64,
    featured: bool,
    status: String,
    created_at: OffsetDateTime,
    published_at: Option<OffsetDateTime>,
    updated_at: OffsetDateTime,
    views: i64,
    author_id: Option<i64>,
    version: i64,
    unpublish_at: Option<OffsetDateTime>,
    review_note: String,
    correction_note: String,
    corrected_at: Option<OffsetDateTime>,
    trashed_at: Option<OffsetDateTime>,
    trashed_from: Option<String>,
    /// `[[id, name, slug], …]` ordered by name.
    tags: String,
}

impl ArticleRow {
    /// The row as read by the inline reader, in the order of `article_columns!` and then the tags.
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let time = |i: usize| -> rusqlite::Result<Option<OffsetDateTime>> {
            row.get::<_, Option<String>>(i)?
                .map(|text| {
                    OffsetDateTime::parse(&text, &Rfc3339).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(i, SqliteType::Text, Box::new(e))
                    })
                })
                .transpose()
        };
        let required = |i: usize| {
            time(i)?.ok_or(rusqlite::Error::InvalidColumnType(
                i,
                "a time".into(),
                SqliteType::Null,
            ))
        };
        // Text through simdutf8: the body is long and mostly non-ASCII, where std's check is slow.
        let text = |i: usize| -> rusqlite::Result<String> {
            let invalid = |e: Box<dyn std::error::Error + Send + Sync>| {
                rusqlite::Error::FromSqlConversionFailure(i, SqliteType::Text, e)
            };
            let bytes = row.get_ref(i)?.as_bytes().map_err(|e| invalid(e.into()))?;
            simdutf8::basic::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|e| invalid(e.into()))
        };
        Ok(Self {
            id: row.get(0)?,
            title: text(1)?,
            slug: text(2)?,
            summary: text(3)?,
            body: text(4)?,
            cover_url: text(5)?,
            cover_caption: text(6)?,
            author: text(7)?,
            byline: text(8)?,
            source_name: text(9)?,
            source_url: text(10)?,
            category_id: row.get(11)?,
            featured: row.get(12)?,
            status: row.get(13)?,
            created_at: required(14)?,
            published_at: time(15)?,
            updated_at: required(16)?,
            views: row.get(17)?,
            author_id: row.get(18)?,
            version: row.get(19)?,
            unpublish_at: time(20)?,
            review_note: text(21)?,
            correction_note: text(22)?,
            corrected_at: time(23)?,
            trashed_at: time(24)?,
            trashed_from: row.get(25)?,
            tags: row.get(26)?,
        })
    }

    fn into_article(self) -> Result<Article> {
        let tags: Vec<(i64, String, String)> = serde_json::from_str(&self.tags)?;
        let tags = tags
            .into_iter()
            .map(|(id, name, slug)| Tag { id, name, slug })
            .collect();
        Ok(Article {
            id: self.id,
            title: self.title,
            slug: self.slug,
            summary: self.summary,
            body: self.body,
            cover_url: self.cover_url,
            cover_caption: self.cover_caption,
            author: self.author,
            byline: self.byline,
            source_name: self.source_name,
            source_url: self.source_url,
            category_id: self.category_id,
            featured: self.featured,
            status: ArticleStatus::parse(&self.status).unwrap_or(ArticleStatus::Draft),
            created_at: self.created_at,
            published_at: self.published_at,
            updated_at: self.updated_at,
            views: self.views,
            tags,
            author_id: self.author_id,
            version: self.version,
            unpublish_at: self.unpublish_at,
            review_note: self.review_note,
            correction_note: self.correction_note,
            corrected_at: self.corrected_at,
            trashed_at: self.trashed_at,
            trashed_from: self.trashed_from.as_deref().and_then(ArticleStatus::parse),
        })
    }
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    title: String,
    slug: String,
    summary: String,
    cover_url: String,
    cover_caption: String,
    category_id: i64,
    published_at: Option<OffsetDateTime>,
    views: i64,
}

impl From<SummaryRow> for ArticleSummary {
    fn from(r: SummaryRow) -> Self {
        Self {
            id: r.id,
            title: r.title,
            slug: r.slug,
            summary: r.summary,
            cover_url: r.cover_url,
            cover_caption: r.cover_caption,
            category_id: r.category_id,
            published_at: r.published_at.unwrap_or(OffsetDateTime::UNIX_EPOCH),
            views: r.views,
        }
    }
}

/// Which published articles `listed_articles` reads.
#[derive(Debug, Clone, Copy)]
pub enum Listing<'a> {
    Ids(&'a [i64]),
    /// Those with `after < id <= through`: a walk over the primary key, in batches.
    Range {
        after: i64,
        through: i64,
    },
}

#[derive(sqlx::FromRow)]
struct ListedRow {
    status: String,
    featured: bool,
    #[sqlx(flatten)]
    summary: SummaryRow,
}

/// Adds ` AND column IN (…)` with the ids bound.
pub(crate) fn push_ids<DB: Database>(qb: &mut QueryBuilder<DB>, column: &str, ids: &[i64])
where
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    qb.push(format_args!(" AND {column} IN ("));
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    qb.push(")");
}

/// Reads one article inside a write transaction, holding its row until the transaction ends (so a
/// decision taken on what was read still holds when it is written).
pub(crate) async fn locked_article(tx: &mut Tx, id: i64) -> Result<Option<Article>> {
    let row: Option<ArticleRow> = on_db!(tx, tx c => {
        let locked: Option<(i64,)> = sqlx::query_as("UPDATE articles SET id = id WHERE id = $1 RETURNING id")
            .bind(id)
            .fetch_optional(&mut *c)
            .await?;
        match locked {
            None => Ok(None),
            Some(_) => sqlx::query_as(article_query(&*c)).bind(id).fetch_optional(&mut *c).await,
        }
    })?;
    row.map(ArticleRow::into_article).transpose()
}

/// The article query in the dialect of `c`'s database.
fn article_query<C: DialectOf>(_: &C) -> &'static str {
    C::ARTICLE
}

trait DialectOf {
    const ARTICLE: &'static str;
}

impl DialectOf for sqlx::SqliteConnection {
    const ARTICLE: &'static str = ARTICLE_SQLITE;
}

impl DialectOf for sqlx::PgConnection {
    const ARTICLE: &'static str = ARTICLE_POSTGRES;
}

/// Inserts missing tags and links them to an article, inside the caller's transaction. Returns the
/// tags' ids.
pub(crate) async fn link_tags(tx: &mut Tx, article_id: i64, names: &[String]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let slug = text::slugify(name);
        let (id,): (i64,) = on_db!(tx, tx c => {
            sqlx::query("INSERT INTO tags (name, slug) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING")
                .bind(name)
                .bind(&slug)
                .execute(&mut *c)
                .await?;
            let row: (i64,) = sqlx::query_as("SELECT id FROM tags WHERE slug = $1")
                .bind(&slug)
                .fetch_one(&mut *c)
                .await?;
            sqlx::query("INSERT INTO article_tags (article_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(article_id)
                .bind(row.0)
                .execute(&mut *c)
                .await?;
            Ok::<_, sqlx::Error>(row)
        })?;
        ids.push(id);
    }
    Ok(ids)
}

impl Store {
    /// Any article by id, whatever its status.
    pub async fn article(&self, id: i64) -> Result<Option<Article>> {
        let row: Option<ArticleRow> = match &self.backend {
            Pools::Sqlite { inline, read, .. } => {
                let inline_read = inline.read(|c| {
                    use rusqlite::OptionalExtension;
                    c.prepare_cached(ARTICLE_SQLITE)?
                        .query_row([id], ArticleRow::from_sqlite)
                        .optional()
                });
                match inline_read {
                    // The database is locked for longer than an inline read may block a thread:
                    // wait for it the asynchronous way.
                    Err(err) if err.is_busy() => {
                        sqlx::query_as(ARTICLE_SQLITE)
                            .bind(id)
                            .fetch_optional(read)
                            .await?
                    }
                    other => other?,
                }
            }
            Pools::Postgres(pool) => {
                sqlx::query_as(ARTICLE_POSTGRES)
                    .bind(id)
                    .fetch_optional(pool)
                    .await?
            }
        };
        row.map(ArticleRow::into_article).transpose()
    }

    /// An article readers may see now: published, with its publication time come.
    pub async fn public_article(&self, id: i64) -> Result<Option<Article>> {
        let now = time::OffsetDateTime::now_utc();
        Ok(self.article(id).await?.filter(|a| a.is_public(now)))
    }

    pub async fn tag_by_slug(&self, slug: &str) -> Result<Option<Tag>> {
        let row: Option<(i64, String, String)> = on_db!(self, read p => {
            sqlx::query_as("SELECT id, name, slug FROM tags WHERE slug = $1").bind(slug).fetch_optional(p).await
        })?;
        Ok(row.map(|(id, name, slug)| Tag { id, name, slug }))
    }

    /// Published articles as lists need them, scheduled ones included: those of some ids, or of a
    /// range of ids (so a node loads all of them without holding every row at once). The status is
    /// checked here rather than in SQL: with it in the WHERE clause SQLite walks the status index and
    /// sorts, instead of reading the primary key's range.
    pub async fn listed_articles(&self, which: Listing<'_>) -> Result<Vec<ListedArticle>> {
        if matches!(which, Listing::Ids(ids) if ids.is_empty()) {
            return Ok(Vec::new());
        }
        let (rows, links): (Vec<ListedRow>, Vec<(i64, i64)>) = on_db!(self, read p => {
            let mut qb = sqlx::QueryBuilder::new(concat!(
                "SELECT a.status, a.featured, ", summary_columns!(), " FROM articles a WHERE 1 = 1"
            ));
            match which {
                Listing::Ids(ids) => push_ids(&mut qb, "a.id", ids),
                Listing::Range { after, through } => {
                    qb.push(" AND a.id > ");
                    qb.push_bind(after);
                    qb.push(" AND a.id <= ");
                    qb.push_bind(through);
                }
            }
            let rows: Vec<ListedRow> = qb.build_query_as().fetch_all(p).await?;
            let rows: Vec<ListedRow> = rows
                .into_iter()
                .filter(|r| r.status == ArticleStatus::Published.as_str())
                .collect();
            let found: Vec<i64> = rows.iter().map(|r| r.summary.id).collect();
            let links = if found.is_empty() {
                Vec::new()
            } else {
                let mut qb = sqlx::QueryBuilder::new("SELECT article_id, tag_id FROM article_tags WHERE 1 = 1");
                push_ids(&mut qb, "article_id", &found);
                qb.push(" ORDER BY article_id, tag_id");
                qb.build_query_as().fetch_all(p).await?
            };
            Ok::<_, sqlx::Error>((rows, links))
        })?;
        let mut tags: HashMap<i64, Vec<i64>> = HashMap::new();
        for (article, tag) in links {
            tags.entry(article).or_default().push(tag);
        }
        Ok(rows
            .into_iter()
            .map(|r| ListedArticle {
                featured: r.featured,
                tag_ids: tags.remove(&r.summary.id).unwrap_or_default(),
                summary: r.summary.into(),
            })
            .collect())
    }

    /// The highest article id, or 0 without articles: where a walk over all of them ends.
    pub async fn last_article_id(&self) -> Result<i64> {
        let (id,): (Option<i64>,) = on_db!(self, read p => {
            sqlx::query_as("SELECT MAX(id) FROM articles").fetch_one(p).await
        })?;
        Ok(id.unwrap_or(0))
    }

    /// The most viewed published articles over the days from `since_day` (a `YYYY-MM-DD` key) on.
    /// Only the ids, in order: lists take the rest from what they already hold.
    pub async fn most_read(&self, since_day: &str, limit: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_db!(self, read p => {
            sqlx::query_as(concat!(
                "SELECT a.id FROM articles a JOIN (",
                "SELECT article_id, SUM(views) AS recent FROM article_views_daily WHERE day >= $1 ",
                "GROUP BY article_id) v ON v.article_id = a.id ",
                "WHERE a.status = 'published' AND a.published_at <= $2 ",
                "ORDER BY v.recent DESC, a.published_at DESC LIMIT $3"
            ))
            .bind(since_day)
            .bind(now())
            .bind(limit)
            .fetch_all(p)
            .await
        })?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}
