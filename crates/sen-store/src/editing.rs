//! Writing articles: creating, saving with a version check, the workflow's transitions, and the
//! revision every saved state leaves behind. Each write is one transaction with its revision, its
//! audit entry and its change for the other nodes.

use serde::Serialize;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use sen_core::{
    Actor, Article, ArticleInput, ArticleStatus, Change, ErrorCode, User, ValidationError,
    workflow::{self, Action, Facts, Refusal},
};

use crate::{
    Result, Store, StoreError,
    articles::{link_tags, locked_article},
    audit::{AuditAction, record},
    db::{Tx, now, on_db},
    outbox::append_change,
};

/// Autosaves by one person within this time of the first fold into one revision.
const FOLD_WINDOW: Duration = Duration::minutes(10);

/// What kind of save a revision records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveKind {
    /// The editor's "Lưu" (or an API call).
    Save,
    /// The editor's periodic save: folded into the author's last autosave when close in time.
    Autosave,
    /// An earlier revision made current again.
    Restore { revision: i64 },
}

/// A save of an article's content, made from the version the editor started from.
#[derive(Debug, Clone)]
pub struct ArticleSave {
    /// The new content; its status is ignored (the workflow changes status).
    pub input: ArticleInput,
    /// The version the change was made on: a save over a newer one is refused.
    pub version: i64,
    pub kind: SaveKind,
    /// Required when the save changes what readers have read (a correction).
    pub correction_note: String,
}

/// A workflow action with what goes with it.
#[derive(Debug, Clone)]
pub struct Transition {
    pub action: Action,
    /// The editor's comment for a return; kept in the audit entry for the others.
    pub note: String,
    /// The version the actor saw, when they acted from a form: refused if it moved on since.
    pub version: Option<i64>,
}

/// The field whose rule a workflow refusal breaks, for the form.
impl From<Refusal> for StoreError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NoteRequired => ValidationError::new("note", ErrorCode::Required).into(),
            other => StoreError::Refused(other),
        }
    }
}

fn revision_kind(kind: SaveKind, correction: bool) -> &'static str {
    match kind {
        _ if correction => "correction",
        SaveKind::Save => "save",
        SaveKind::Autosave => "autosave",
        SaveKind::Restore { .. } => "restore",
    }
}

/// The fields of an article a revision keeps beside its title, summary and body.
#[derive(Serialize)]
struct RevisionFields<'a> {
    slug: &'a str,
    category_id: i64,
    tags: Vec<&'a str>,
    cover_url: &'a str,
    cover_caption: &'a str,
    author: &'a str,
    byline: &'a str,
    source_name: &'a str,
    source_url: &'a str,
    featured: bool,
    status: &'a str,
    #[serde(with = "time::serde::rfc3339::option")]
    published_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    unpublish_at: Option<OffsetDateTime>,
}

fn revision_fields(a: &Article) -> Result<String> {
    Ok(serde_json::to_string(&RevisionFields {
        slug: &a.slug,
        category_id: a.category_id,
        tags: a.tags.iter().map(|t| t.name.as_str()).collect(),
        cover_url: &a.cover_url,
        cover_caption: &a.cover_caption,
        author: &a.author,
        byline: &a.byline,
        source_name: &a.source_name,
        source_url: &a.source_url,
        featured: a.featured,
        status: a.status.as_str(),
        published_at: a.published_at,
        unpublish_at: a.unpublish_at,
    })?)
}

/// Keeps `article` (as just written) as a revision; an autosave folds into the same person's
/// last revision when that is an autosave begun less than [`FOLD_WINDOW`] ago.
async fn keep_revision(
    tx: &mut Tx,
    article: &Article,
    kind: &str,
    note: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<()> {
    let fields = revision_fields(article)?;
    let actor_id = actor.user_id();
    if kind == "autosave" {
        let last: Option<(i64, String, Option<i64>, OffsetDateTime)> = on_db!(tx, tx c => {
            sqlx::query_as(
                "SELECT id, kind, actor_id, folded_since FROM article_revisions WHERE article_id = $1 \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(article.id)
            .fetch_optional(c)
            .await
        })?;
        if let Some((id, last_kind, last_actor, since)) = last
            && last_kind == "autosave"
            && last_actor == actor_id
            && actor_id.is_some()
            && at - since < FOLD_WINDOW
        {
            on_db!(tx, tx c => {
                sqlx::query(
                    "UPDATE article_revisions SET version = $2, created_at = $3, title = $4, summary = $5, \
                     body = $6, fields = $7 WHERE id = $1",
                )
                .bind(id).bind(article.version).bind(at).bind(&article.title).bind(&article.summary)
                .bind(&article.body).bind(&fields)
                .execute(c)
                .await
                .map(|done| done.rows_affected())
            })?;
            return Ok(());
        }
    }
    on_db!(tx, tx c => {
        sqlx::query(
            "INSERT INTO article_revisions (article_id, version, kind, note, actor_id, actor_name, created_at, \
             folded_since, title, summary, body, fields) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11)",
        )
        .bind(article.id).bind(article.version).bind(kind).bind(note).bind(actor_id).bind(actor.name())
        .bind(at).bind(&article.title).bind(&article.summary).bind(&article.body).bind(&fields)
        .execute(c)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// The audit entry's details for an article: enough to know which one without the revisions.
fn audited(a: &Article) -> Value {
    json!({ "title": a.title, "status": a.status.as_str(), "version": a.version })
}

/// Writes every field of `input` over article `id`, raising its version; tags relinked. Returns
/// the ids of the old and new tags, for the change.
async fn write_fields(
    tx: &mut Tx,
    id: i64,
    input: &ArticleInput,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<Vec<i64>> {
    let slug = input.slug.clone().unwrap_or_default();
    let old_tags: Vec<(i64,)> = on_db!(tx, tx c => {
        sqlx::query_as("SELECT tag_id FROM article_tags WHERE article_id = $1")
            .bind(id)
            .fetch_all(c)
            .await
    })?;
    on_db!(tx, tx c => {
        sqlx::query(
            "UPDATE articles SET title = $2, slug = $3, summary = $4, body = $5, cover_url = $6, \
             cover_caption = $7, author = $8, byline = $9, source_name = $10, source_url = $11, \
             category_id = $12, featured = $13, status = $14, published_at = $15, updated_at = $16, \
             unpublish_at = $17, updated_by = $18, version = version + 1 \
             WHERE id = $1",
        )
        .bind(id).bind(&input.title).bind(&slug).bind(&input.summary).bind(&input.body)
        .bind(&input.cover_url).bind(&input.cover_caption).bind(&input.author).bind(&input.byline)
        .bind(&input.source_name).bind(&input.source_url).bind(input.category_id).bind(input.featured)
        .bind(input.status.as_str()).bind(input.published_at).bind(at).bind(input.unpublish_at)
        .bind(actor.user_id())
        .execute(c)
        .await
        .map(|done| done.rows_affected())
    })
    .map_err(|e| StoreError::constraint(e, None, Some("category_id")))?;
    on_db!(tx, tx c => {
        sqlx::query("DELETE FROM article_tags WHERE article_id = $1")
            .bind(id)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
    })?;
    let mut tags = link_tags(tx, id, &input.tags).await?;
    tags.extend(old_tags.into_iter().map(|(tag,)| tag));
    tags.sort_unstable();
    tags.dedup();
    Ok(tags)
}

fn change_of(before: Option<&Article>, after: &Article, tags: Vec<i64>) -> Change {
    // The category it left first, then the one it is in.
    let mut categories = vec![after.category_id];
    if let Some(b) = before
        && b.category_id != after.category_id
    {
        categories.insert(0, b.category_id);
    }
    let mut tags = tags;
    tags.extend(after.tags.iter().map(|t| t.id));
    if let Some(b) = before {
        tags.extend(b.tags.iter().map(|t| t.id));
    }
    tags.sort_unstable();
    tags.dedup();
    Change::Article {
        id: after.id,
        categories,
        tags,
    }
}

/// The library keys of the images in sanitised HTML, each with the `alt` its tag gives.
fn body_images(html: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    for tag in html.split("<img ").skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        let attr = |name: &str| {
            let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
            let end = tag[start..].find('"')? + start;
            Some(&tag[start..end])
        };
        if let Some(key) = attr("src").and_then(|src| src.strip_prefix("/media/")) {
            out.push((key, attr("alt").unwrap_or_default()));
        }
    }
    out
}

impl Store {
    /// Refuses an article that shows an image of the library with no text alternative: the
    /// cover needs the library's `alt`; an image in the body its own or the library's.
    async fn images_have_alt(&self, input: &ArticleInput) -> Result<()> {
        let alt_of = |key: String| async move {
            Ok::<_, StoreError>(
                self.media_file(&key)
                    .await?
                    .filter(|f| f.class == "image")
                    .map(|f| f.alt),
            )
        };
        if let Some(key) = input.cover_url.strip_prefix("/media/")
            && alt_of(key.to_string())
                .await?
                .is_some_and(|alt| alt.is_empty())
        {
            return Err(ValidationError::new("cover_url", ErrorCode::AltMissing).into());
        }
        for (key, alt) in body_images(&input.body) {
            if alt.trim().is_empty() && alt_of(key.to_string()).await?.is_some_and(|a| a.is_empty())
            {
                return Err(ValidationError::new("body", ErrorCode::AltMissing).into());
            }
        }
        Ok(())
    }

    /// A new article as given, status included (the caller decided, by the workflow, that the
    /// actor may give it that status); its author is the actor. Keeps revision 1.
    pub async fn create_article(&self, actor: &Actor, input: ArticleInput) -> Result<Article> {
        let input = input.validated()?;
        self.images_have_alt(&input).await?;
        let slug = input.slug.clone().unwrap_or_default();
        let t = now();
        let created = input.created_at.unwrap_or(t);
        let mut tx = self.begin().await?;
        let (id,): (i64,) = on_db!(&mut tx, tx c => {
            sqlx::query_as(
                "INSERT INTO articles (title, slug, summary, body, cover_url, cover_caption, author, byline, \
                 source_name, source_url, category_id, featured, status, created_at, published_at, updated_at, \
                 unpublish_at, author_id, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING id",
            )
            .bind(&input.title).bind(&slug).bind(&input.summary).bind(&input.body)
            .bind(&input.cover_url).bind(&input.cover_caption).bind(&input.author).bind(&input.byline)
            .bind(&input.source_name).bind(&input.source_url).bind(input.category_id).bind(input.featured)
            .bind(input.status.as_str()).bind(created).bind(input.published_at).bind(t)
            .bind(input.unpublish_at).bind(actor.user_id())
            .fetch_one(c)
            .await
        })
        .map_err(|e| StoreError::constraint(e, None, Some("category_id")))?;
        let tags = link_tags(&mut tx, id, &input.tags).await?;
        let article = locked_article(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        keep_revision(&mut tx, &article, "create", "", actor, t).await?;
        record(
            &mut tx,
            t,
            actor,
            AuditAction::ArticleCreate,
            &format!("article:{id}"),
            audited(&article),
        )
        .await?;
        let change = change_of(None, &article, tags);
        append_change(&mut tx, &change).await?;
        tx.commit().await?;
        self.notify(&change);
        Ok(article)
    }

    /// Replaces every field of an article, status included, without a version check: for the
    /// operator's tools and imports. Staff save through [`Store::save_article`].
    pub async fn update_article(
        &self,
        actor: &Actor,
        id: i64,
        input: ArticleInput,
    ) -> Result<Article> {
        let input = input.validated()?;
        self.images_have_alt(&input).await?;
        let t = now();
        let mut tx = self.begin().await?;
        let before = locked_article(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let tags = write_fields(&mut tx, id, &input, actor, t).await?;
        let after = locked_article(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        keep_revision(&mut tx, &after, "save", "", actor, t).await?;
        record(
            &mut tx,
            t,
            actor,
            AuditAction::ArticleUpdate,
            &format!("article:{id}"),
            audited(&after),
        )
        .await?;
        let change = change_of(Some(&before), &after, tags);
        append_change(&mut tx, &change).await?;
        tx.commit().await?;
        self.notify(&change);
        Ok(after)
    }

    /// Saves new content over the version the editor started from. `may_edit` decides, on the
    /// article as it is under the write lock, whether the actor may change it (the workflow's
    /// rule); a stale version is refused with [`StoreError::Stale`] and nothing is written; a change
    /// of what readers have read needs a correction note, shown on the public page. The status
    /// stays; a save that changes nothing writes nothing and answers the article as it is.
    pub async fn save_article(
        &self,
        actor: &Actor,
        id: i64,
        save: ArticleSave,
        may_edit: impl FnOnce(&Facts) -> std::result::Result<(), Refusal>,
    ) -> Result<Article> {
        let t = now();
        let mut input = save.input.validated()?;
        self.images_have_alt(&input).await?;
        let correction_note = sen_core::text::clean_line(&save.correction_note);
        let mut tx = self.begin().await?;
        let before = locked_article(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        may_edit(&Facts::from(&before))?;
        if before.version != save.version {
            return Err(StoreError::Stale {
                current: before.version,
            });
        }
        input.status = before.status;
        input.created_at = Some(before.created_at);
        // A published article keeps a publication time: an emptied field is not an unpublishing.
        if input.status == ArticleStatus::Published && input.published_at.is_none() {
            input.published_at = before.published_at.or(Some(t));
        }
        if unchanged(&before, &input) {
            return Ok(before);
        }
        let correction = workflow::needs_correction(&before, &input, OffsetDateTime::now_utc());
        if correction && correction_note.is_empty() {
            return Err(ValidationError::new("correction_note", ErrorCode::Required).into());
        }
        let tags = write_fields(&mut tx, id, &input, actor, t).await?;
        if correction {
            on_db!(&mut tx, tx c => {
                sqlx::query("UPDATE articles SET correction_note = $2, corrected_at = $3 WHERE id = $1")
                    .bind(id).bind(&correction_note).bind(t)
                    .execute(c)
                    .await
                    .map(|done| done.rows_affected())
            })?;
        }
        let after = locked_article(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let kind = revision_kind(save.kind, correction);
        let note = match save.kind {
            SaveKind::Restore { revision } if correction_note.is_empty() => {
                format!("#{revision}")
            }
            _ => correction_note.clone(),
        };
        keep_revision(&mut tx, &after, kind, &note, actor, t).await?;
        if save.kind != SaveKind::Autosave {
            let mut details = audited(&after);
            details["kind"] = kind.into();
            if !correction_note.is_empty() {
                details["correction_note"] = correction_note.into();
            }
            if let SaveKind::Restore { revision } = save.kind {
                details["revision"] = revision.into();
            }
            record(
                &mut tx,
                t,
                actor,
                AuditAction::ArticleUpdate,
                &format!("article:{id}"),
                details,
            )
            .await?;
        }
        let change = change_of(Some(&before), &after, tags);
        append_change(&mut tx, &change).await?;
        tx.commit().await?;
        self.notify(&change);
        Ok(after)
    }

    /// Takes a workflow action on an article as `user`, decided by [`workflow::transition`] on
    /// the article as it is under the write lock. Returns the article after (`None` after a
    /// purge).
    pub async fn transition_article(
        &self,
        user: &User,
        actor: &Actor,
        id: i64,
        step: Transition,
    ) -> Result<Option<Article>> {
        let t = now();
        let note = sen_core::text::clean_line(&step.note);
        let mut tx = self.begin().await?;
        let before = locked_article(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let to = workflow::transition(
            user,
            &Facts::from(&before),
            step.action,
            &note,
            OffsetDateTime::now_utc(),
        )?;
        if let Some(version) = step.version
            && version != before.version
        {
            return Err(StoreError::Stale {
                current: before.version,
            });
        }
        let target = format!("article:{id}");
        let mut details =
            json!({ "title": before.title, "from": before.status.as_str(), "to": to.as_str() });
        if !note.is_empty() {
            details["note"] = note.clone().into();
        }
        if step.action == Action::Purge {
            on_db!(&mut tx, tx c => {
                sqlx::query("DELETE FROM articles WHERE id = $1")
                    .bind(id)
                    .execute(c)
                    .await
                    .map(|done| done.rows_affected())
            })?;
            record(
                &mut tx,
                t,
                actor,
                audit_action(step.action),
                &target,
                details,
            )
            .await?;
            let change = change_of(None, &before, vec![]);
            append_change(&mut tx, &change).await?;
            tx.commit().await?;
            self.notify(&change);
            return Ok(None);
        }
        let published_at = match step.action {
            // Publishing keeps a set time (scheduled when it is ahead) and takes now otherwise.
            Action::Publish => Some(before.published_at.unwrap_or(t)),
            _ => before.published_at,
        };
        if step.action == Action::Publish
            && let Some(at) = published_at
            && at > t
        {
            details["scheduled_for"] = sen_core::format::rfc3339(at).into();
        }
        let (trashed_at, trashed_from) = match step.action {
            Action::Trash => (Some(t), Some(before.status.as_str())),
            Action::Restore => (None, None),
            _ => (
                before.trashed_at,
                before.trashed_from.map(ArticleStatus::as_str),
            ),
        };
        let review_note = match step.action {
            Action::Return => note.clone(),
            Action::Publish => String::new(),
            _ => before.review_note.clone(),
        };
        on_db!(&mut tx, tx c => {
            sqlx::query(
                "UPDATE articles SET status = $2, published_at = $3, trashed_at = $4, trashed_from = $5, \
                 review_note = $6, updated_at = $7, updated_by = $8, version = version + 1 WHERE id = $1",
            )
            .bind(id).bind(to.as_str()).bind(published_at).bind(trashed_at).bind(trashed_from)
            .bind(&review_note).bind(t).bind(actor.user_id())
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        })?;
        record(
            &mut tx,
            t,
            actor,
            audit_action(step.action),
            &target,
            details,
        )
        .await?;
        let after = locked_article(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let change = change_of(Some(&before), &after, vec![]);
        append_change(&mut tx, &change).await?;
        tx.commit().await?;
        self.notify(&change);
        Ok(Some(after))
    }
}

fn audit_action(action: Action) -> AuditAction {
    match action {
        Action::Submit => AuditAction::ArticleSubmit,
        Action::Withdraw => AuditAction::ArticleWithdraw,
        Action::Return => AuditAction::ArticleReturn,
        Action::Publish => AuditAction::ArticlePublish,
        Action::Unpublish => AuditAction::ArticleUnpublish,
        Action::Trash => AuditAction::ArticleTrash,
        Action::Restore => AuditAction::ArticleRestore,
        Action::Purge => AuditAction::ArticlePurge,
    }
}

/// Whether `input` would store exactly what `a` holds.
fn unchanged(a: &Article, input: &ArticleInput) -> bool {
    let tags: Vec<&str> = a.tags.iter().map(|t| t.name.as_str()).collect();
    let mut wanted: Vec<&str> = input.tags.iter().map(String::as_str).collect();
    let mut have = tags;
    wanted.sort_unstable();
    have.sort_unstable();
    a.title == input.title
        && Some(&a.slug) == input.slug.as_ref()
        && a.summary == input.summary
        && a.body == input.body
        && a.cover_url == input.cover_url
        && a.cover_caption == input.cover_caption
        && a.author == input.author
        && a.byline == input.byline
        && a.source_name == input.source_name
        && a.source_url == input.source_url
        && a.category_id == input.category_id
        && a.featured == input.featured
        && a.published_at == input.published_at
        && a.unpublish_at == input.unpublish_at
        && have == wanted
}
