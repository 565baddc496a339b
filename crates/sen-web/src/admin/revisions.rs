//! An article's revisions (Lịch sử phiên bản): the list, a word-level comparison of any two, and
//! restoring one (which saves it as a new revision).

use axum::{
    Form,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context, value::Serde};
use sen_core::{
    Article, ArticleInput, format, text,
    workflow::{self, Facts},
};
use sen_store::{ArticleSave, RevisionSummary, SaveKind, StoreError};
use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

use super::{Staff, forms::id_param, page};
use crate::{app::App, error::Error, staff_ui::AdminUi};

#[derive(Serialize)]
struct Line {
    id: i64,
    version: i64,
    kind: String,
    note: String,
    who: String,
    at: String,
    iso: String,
}

fn line(ui: &AdminUi, r: &RevisionSummary) -> Line {
    Line {
        id: r.id,
        version: r.version,
        kind: ui.message(&format!("revision_{}", r.kind)),
        note: r.note.clone(),
        who: r.actor_name.clone(),
        at: format::time_date(r.created_at),
        iso: format::rfc3339(r.created_at),
    }
}

async fn article_for(app: &App, staff: &Staff, id: &str) -> Result<Article, Error> {
    let id = id_param(id)?;
    let a = app.store.article(id).await?.ok_or_else(Error::not_found)?;
    super::editor::may_see(staff, &a)?;
    Ok(a)
}

#[derive(Debug, Default, Deserialize)]
pub struct Pick {
    a: Option<String>,
    b: Option<String>,
    done: Option<String>,
}

pub async fn list(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Query(pick): Query<Pick>,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let article = article_for(&app, &staff, &id).await?;
    let revisions = app.store.revisions(article.id).await?;
    let lines: Vec<Line> = revisions.iter().map(|r| line(ui, r)).collect();
    let restorable = workflow::may_edit(&staff.user, &Facts::from(&article)).is_ok();
    let own = context! {
        article => context! { id => article.id, title => article.title.as_str(), version => article.version },
        lines => Value::from(Serde(&lines)),
        restorable => restorable,
        needs_note => article.is_public(time::OffsetDateTime::now_utc()),
        notice => pick.done.as_deref().and_then(|k| ui.optional_message(&format!("notice_{k}"))),
    };
    let title = format!("{}: {}", ui.message("revisions_title"), article.title);
    Ok(page(
        &app,
        Some(&staff),
        "revisions.html",
        "/admin/articles",
        &title,
        own,
    )
    .await)
}

/// The text a comparison reads: title, summary and the body's words (not its markup).
fn comparable(input: &ArticleInput) -> String {
    format!(
        "{}\n\n{}\n\n{}",
        input.title,
        input.summary,
        text::strip_tags(&input.body)
    )
}

#[derive(Serialize)]
struct Piece {
    /// same, ins or del.
    kind: &'static str,
    text: String,
}

/// A word-level diff of two texts, neighbouring words of one kind joined.
fn word_diff(old: &str, new: &str) -> Vec<Piece> {
    let diff = TextDiff::from_words(old, new);
    let mut pieces: Vec<Piece> = Vec::new();
    for change in diff.iter_all_changes() {
        let kind = match change.tag() {
            ChangeTag::Equal => "same",
            ChangeTag::Insert => "ins",
            ChangeTag::Delete => "del",
        };
        match pieces.last_mut() {
            Some(last) if last.kind == kind => last.text.push_str(change.value()),
            _ => pieces.push(Piece {
                kind,
                text: change.value().to_string(),
            }),
        }
    }
    pieces
}

#[derive(Serialize)]
struct FieldChange {
    field: String,
    before: String,
    after: String,
}

/// The other fields that differ, by name.
fn field_changes(ui: &AdminUi, old: &ArticleInput, new: &ArticleInput) -> Vec<FieldChange> {
    let pairs: [(&str, String, String); 9] = [
        (
            "article_category",
            old.category_id.to_string(),
            new.category_id.to_string(),
        ),
        ("article_tags", old.tags.join(", "), new.tags.join(", ")),
        (
            "article_cover_url",
            old.cover_url.clone(),
            new.cover_url.clone(),
        ),
        ("article_byline", old.byline.clone(), new.byline.clone()),
        ("article_author", old.author.clone(), new.author.clone()),
        (
            "article_source_name",
            old.source_name.clone(),
            new.source_name.clone(),
        ),
        (
            "article_source_url",
            old.source_url.clone(),
            new.source_url.clone(),
        ),
        (
            "article_featured",
            old.featured.to_string(),
            new.featured.to_string(),
        ),
        (
            "article_publish_at",
            old.published_at.map(format::time_date).unwrap_or_default(),
            new.published_at.map(format::time_date).unwrap_or_default(),
        ),
    ];
    pairs
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(key, before, after)| FieldChange {
            field: ui.message(key),
            before,
            after,
        })
        .collect()
}

pub async fn compare(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Query(pick): Query<Pick>,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let article = article_for(&app, &staff, &id).await?;
    let revisions = app.store.revisions(article.id).await?;
    // By default: the newest against the one before it.
    let chosen = |text: Option<&String>, fallback: usize| -> Result<i64, Error> {
        match text {
            Some(t) => id_param(t),
            None => revisions
                .get(fallback)
                .or_else(|| revisions.last())
                .map(|r| r.id)
                .ok_or_else(Error::not_found),
        }
    };
    let (a, b) = (chosen(pick.a.as_ref(), 1)?, chosen(pick.b.as_ref(), 0)?);
    let (old, new) = (a.min(b), a.max(b));
    let older = app
        .store
        .revision(article.id, old)
        .await?
        .ok_or_else(Error::not_found)?;
    let newer = app
        .store
        .revision(article.id, new)
        .await?
        .ok_or_else(Error::not_found)?;
    let pieces = word_diff(&comparable(&older.input), &comparable(&newer.input));
    let changed = pieces.iter().any(|p| p.kind != "same");
    let own = context! {
        article => context! { id => article.id, title => article.title.as_str() },
        older => Value::from(Serde(&line(ui, &older.summary))),
        newer => Value::from(Serde(&line(ui, &newer.summary))),
        pieces => Value::from(Serde(&pieces)),
        changed => changed,
        fields => Value::from(Serde(&field_changes(ui, &older.input, &newer.input))),
        choices => Value::from(Serde(&revisions.iter().map(|r| line(ui, r)).collect::<Vec<_>>())),
    };
    let title = format!("{}: {}", ui.message("revisions_compare"), article.title);
    Ok(page(
        &app,
        Some(&staff),
        "revision_compare.html",
        "/admin/articles",
        &title,
        own,
    )
    .await)
}

/// Makes a revision current again, as a new revision; a public article's restore is a correction
/// and needs its note.
pub async fn restore(
    State(app): State<App>,
    staff: Staff,
    Path((id, revision)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let article = article_for(&app, &staff, &id).await?;
    let revision = id_param(&revision)?;
    let old = app
        .store
        .revision(article.id, revision)
        .await?
        .ok_or_else(Error::not_found)?;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let version = field("version").trim().parse().unwrap_or(article.version);
    let save = ArticleSave {
        input: old.input,
        version,
        kind: SaveKind::Restore { revision },
        correction_note: field("correction_note"),
    };
    let may = |f: &Facts| workflow::may_edit(&staff.user, f);
    let back = format!("/admin/articles/{}/revisions", article.id);
    match app
        .store
        .save_article(&staff.actor(), article.id, save, may)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{back}?done=revision_restored")).into_response()),
        Err(StoreError::Invalid(v)) if v.field == "correction_note" => {
            Ok(Redirect::to(&format!("{back}?done=revision_needs_note")).into_response())
        }
        Err(StoreError::Stale { .. }) => {
            Ok(Redirect::to(&format!("{back}?done=revision_stale")).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_words_are_marked() {
        let pieces = word_diff("Hội nghị tổng kết năm 2025", "Hội nghị sơ kết năm 2026");
        let marked: Vec<(&str, &str)> = pieces
            .iter()
            .map(|p| (p.kind, p.text.trim()))
            .filter(|(k, _)| *k != "same")
            .collect();
        assert_eq!(
            marked,
            [
                ("del", "tổng"),
                ("ins", "sơ"),
                ("del", "2025"),
                ("ins", "2026")
            ]
        );
    }
}
