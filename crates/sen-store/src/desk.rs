//! What the article desk reads: the list of articles with its filters, the dashboard's counts,
//! and an article's revisions.

use serde::Deserialize;
use time::OffsetDateTime;

use sen_core::{ArticleInput, ArticleStatus, User, accounts::Role, text};

use crate::{
    Result, Store,
    articles::push_ids,
    db::{now, on_db},
};

/// Which articles the desk lists: a stored status, or the scheduled ones (published with a
/// publication time still ahead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskStatus {
    Is(ArticleStatus),
    Scheduled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeskSort {
    /// Last changed first.
    #[default]
    Updated,
    /// Latest publication time first.
    Published,
    /// By title, diacritics folded (a, á, ă… together), A to Z.
    Title,
    /// Most read first.
    Views,
}

/// The desk's filters; every one given must hold. Articles in the trash are listed only when
/// asked for by status. Pages count from 1.
#[derive(Debug, Clone)]
pub struct DeskQuery {
    pub status: Option<DeskStatus>,
    pub category_id: Option<i64>,
    pub author_id: Option<i64>,
    /// Changed at or after this instant.
    pub from: Option<OffsetDateTime>,
    /// Changed before this instant.
    pub until: Option<OffsetDateTime>,
    /// Words of the title, with or without diacritics.
    pub search: String,
    pub sort: DeskSort,
    pub page: i64,
    pub per_page: i64,
}

impl Default for DeskQuery {
    fn default() -> Self {
        Self {
            status: None,
            category_id: None,
            author_id: None,
            from: None,
            until: None,
            search: String::new(),
            sort: DeskSort::default(),
            page: 1,
            per_page: 30,
        }
    }
}

/// One line of the desk.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeskRow {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub category_id: i64,
    pub author_id: Option<i64>,
    /// The author's display name (or username); the imported article's `author` text otherwise.
    pub author_name: String,
    #[sqlx(try_from = "String")]
    pub status: DeskRowStatus,
    pub published_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
    pub views: i64,
    pub featured: bool,
    pub version: i64,
}

/// A stored status read back (unknown values read as drafts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeskRowStatus(pub ArticleStatus);

impl From<String> for DeskRowStatus {
    fn from(s: String) -> Self {
        Self(ArticleStatus::parse(&s).unwrap_or(ArticleStatus::Draft))
    }
}

impl DeskRow {
    /// Published with a publication time still ahead.
    pub fn is_scheduled(&self, now: OffsetDateTime) -> bool {
        self.status.0 == ArticleStatus::Published && self.published_at.is_some_and(|t| t > now)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeskPage {
    pub rows: Vec<DeskRow>,
    pub total: i64,
}

/// The dashboard's "what waits for me" counts for one member of staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeskCounts {
    /// Submitted articles this person may approve.
    pub waiting_for_me: i64,
    pub my_drafts: i64,
    pub returned_to_me: i64,
    /// Scheduled articles this person may see on the desk: their own, or those they may publish.
    pub scheduled: i64,
}

/// One saved state of an article, as the list of revisions shows it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RevisionSummary {
    pub id: i64,
    pub version: i64,
    /// create, save, autosave, correction or restore.
    pub kind: String,
    pub note: String,
    pub actor_name: String,
    pub created_at: OffsetDateTime,
}

/// One saved state in full.
#[derive(Debug, Clone)]
pub struct Revision {
    pub summary: RevisionSummary,
    /// What the article held then (its status as then; a restore keeps today's).
    pub input: ArticleInput,
}

#[derive(Deserialize)]
struct StoredFields {
    slug: String,
    category_id: i64,
    tags: Vec<String>,
    cover_url: String,
    cover_caption: String,
    author: String,
    byline: String,
    source_name: String,
    source_url: String,
    featured: bool,
    status: String,
    #[serde(with = "time::serde::rfc3339::option")]
    published_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    unpublish_at: Option<OffsetDateTime>,
}

// Each filter is off when its parameter is NULL: one SQL text for every combination. $1 status
// (or 'scheduled'), $2 category, $3 author, $4 from, $5 until, $6 now.
macro_rules! desk_filter {
    () => {
        "WHERE (($1 IS NULL AND a.status <> 'trashed') \
           OR ($1 = 'scheduled' AND a.status = 'published' AND a.published_at > $6) \
           OR a.status = $1) \
         AND ($2 IS NULL OR a.category_id = $2) AND ($3 IS NULL OR a.author_id = $3) \
         AND ($4 IS NULL OR a.updated_at >= $4) AND ($5 IS NULL OR a.updated_at < $5)"
    };
}

impl Store {
    /// The desk's list: one page of the articles the query picks, and how many it picks.
    pub async fn desk(&self, q: &DeskQuery) -> Result<DeskPage> {
        let status = q.status.map(|s| match s {
            DeskStatus::Is(st) => st.as_str(),
            DeskStatus::Scheduled => "scheduled",
        });
        let order = match q.sort {
            DeskSort::Updated | DeskSort::Title => "a.updated_at DESC, a.id DESC",
            DeskSort::Published => "a.published_at DESC, a.id DESC",
            DeskSort::Views => "a.views DESC, a.id DESC",
        };
        let t = now();
        // Candidates first (id and title only), so that the title can be searched and sorted
        // with its diacritics folded, which neither database does alike.
        let sql = format!(
            "SELECT a.id, a.title FROM articles a {} ORDER BY {order}",
            desk_filter!()
        );
        let candidates: Vec<(i64, String)> = on_db!(self, read p => {
            // Safe: the text is ours, the order one of four constants.
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(status).bind(q.category_id).bind(q.author_id).bind(q.from).bind(q.until).bind(t)
                .fetch_all(p)
                .await
        })?;
        let words: Vec<String> = text::fold(&q.search)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let mut picked: Vec<(i64, String)> = candidates
            .into_iter()
            .map(|(id, title)| (id, text::fold(&title)))
            .filter(|(_, folded)| words.iter().all(|w| folded.contains(w.as_str())))
            .collect();
        if q.sort == DeskSort::Title {
            picked.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        }
        let total = i64::try_from(picked.len()).unwrap_or(i64::MAX);
        let per_page = q.per_page.clamp(1, 200);
        let skip = usize::try_from((q.page.max(1) - 1).saturating_mul(per_page)).unwrap_or(0);
        let ids: Vec<i64> = picked
            .iter()
            .skip(skip)
            .take(usize::try_from(per_page).unwrap_or(30))
            .map(|(id, _)| *id)
            .collect();
        if ids.is_empty() {
            return Ok(DeskPage {
                rows: vec![],
                total,
            });
        }
        let mut rows: Vec<DeskRow> = on_db!(self, read p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT a.id, a.title, a.slug, a.category_id, a.author_id, \
                 COALESCE(NULLIF(u.display_name, ''), u.username, a.author) AS author_name, a.status, \
                 a.published_at, a.updated_at, a.views, a.featured, a.version \
                 FROM articles a LEFT JOIN users u ON u.id = a.author_id WHERE 1 = 1",
            );
            push_ids(&mut qb, "a.id", &ids);
            qb.build_query_as().fetch_all(p).await
        })?;
        rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
        Ok(DeskPage { rows, total })
    }

    /// The dashboard's counts for `user`.
    pub async fn desk_counts(&self, user: &User) -> Result<DeskCounts> {
        let t = now();
        let everything = user.role == Role::Admin;
        let mine: &[i64] = if user.role == Role::Editor {
            &user.categories
        } else {
            &[]
        };
        // $1 me, $2 now, $3 everything; the editor's categories are added as a list.
        let mut sql = String::from(
            "SELECT \
             COALESCE(SUM(CASE WHEN a.status = 'pending' AND (CAST($3 AS BOOLEAN) OR IN_MINE) THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN a.status = 'draft' AND a.author_id = $1 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN a.status = 'returned' AND a.author_id = $1 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN a.status = 'published' AND a.published_at > $2 \
               AND (CAST($3 AS BOOLEAN) OR a.author_id = $1 OR IN_MINE) THEN 1 ELSE 0 END), 0) \
             FROM articles a",
        );
        let in_mine = if mine.is_empty() {
            "FALSE".to_string()
        } else {
            let list: Vec<String> = mine.iter().map(i64::to_string).collect();
            format!("a.category_id IN ({})", list.join(", "))
        };
        sql = sql.replace("IN_MINE", &in_mine);
        let (waiting_for_me, my_drafts, returned_to_me, scheduled): (i64, i64, i64, i64) = on_db!(self, read p => {
            // Safe: the text is ours, the categories integers.
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(user.id).bind(t).bind(everything).fetch_one(p).await
        })?;
        Ok(DeskCounts {
            waiting_for_me,
            my_drafts,
            returned_to_me,
            scheduled,
        })
    }

    /// An article's revisions, newest first.
    pub async fn revisions(&self, article_id: i64) -> Result<Vec<RevisionSummary>> {
        Ok(on_db!(self, read p => {
            sqlx::query_as(
                "SELECT id, version, kind, note, actor_name, created_at FROM article_revisions \
                 WHERE article_id = $1 ORDER BY id DESC",
            )
            .bind(article_id)
            .fetch_all(p)
            .await
        })?)
    }

    /// One revision of an article in full.
    pub async fn revision(&self, article_id: i64, id: i64) -> Result<Option<Revision>> {
        type Row = (
            i64,
            i64,
            String,
            String,
            String,
            OffsetDateTime,
            String,
            String,
            String,
            String,
        );
        let row: Option<Row> = on_db!(self, read p => {
            sqlx::query_as(
                "SELECT id, version, kind, note, actor_name, created_at, title, summary, body, fields \
                 FROM article_revisions WHERE article_id = $1 AND id = $2",
            )
            .bind(article_id)
            .bind(id)
            .fetch_optional(p)
            .await
        })?;
        let Some((id, version, kind, note, actor_name, created_at, title, summary, body, fields)) =
            row
        else {
            return Ok(None);
        };
        let f: StoredFields = serde_json::from_str(&fields)?;
        Ok(Some(Revision {
            summary: RevisionSummary {
                id,
                version,
                kind,
                note,
                actor_name,
                created_at,
            },
            input: ArticleInput {
                title,
                slug: Some(f.slug),
                summary,
                body,
                cover_url: f.cover_url,
                cover_caption: f.cover_caption,
                author: f.author,
                byline: f.byline,
                source_name: f.source_name,
                source_url: f.source_url,
                category_id: f.category_id,
                featured: f.featured,
                status: ArticleStatus::parse(&f.status).unwrap_or(ArticleStatus::Draft),
                created_at: None,
                published_at: f.published_at,
                unpublish_at: f.unpublish_at,
                tags: f.tags,
            },
        }))
    }
}
