//! The article desk through the API: write, change, send through the workflow and trash articles
//! with a bearer token, and read drafts one may see. Every decision is the workflow's
//! ([`sen_core::workflow`]), taken again by the store under its write lock; what is checked here
//! first is only so that a refused call changes nothing.

use axum::{Json, body::Bytes, extract::State, http::StatusCode};
use sen_core::{
    Article, ArticleInput, ArticleStatus, User, format, policy,
    workflow::{self, Action, Facts},
};
use sen_store::{ArticleSave, SaveKind, StoreError, Transition};
use time::OffsetDateTime;

use super::{
    ApiError,
    auth::Staff,
    detail,
    types::{
        ArticleCreated, ArticleDetail, ArticlePatch, CategoryKey, ErrorBody, NewArticle,
        RevisionItem, RevisionList,
    },
    writes::{json_body, path_id},
};
use crate::{
    app::App,
    error::{Error, ErrorCode, PathText},
    urls::article_path,
};

/// The API's name of a status: a submission is `submitted` to the outside.
pub(super) fn status_name(status: ArticleStatus) -> &'static str {
    match status {
        ArticleStatus::Pending => "submitted",
        other => other.as_str(),
    }
}

/// The workflow step that takes an article to `status` (as the API names it).
fn step_to(status: &str) -> Result<Action, Error> {
    Ok(match status {
        "submitted" => Action::Submit,
        "draft" => Action::Withdraw,
        "returned" => Action::Return,
        "published" => Action::Publish,
        "archived" => Action::Unpublish,
        "trashed" => Action::Trash,
        _ => {
            return Err(Error::new(
                ErrorCode::InvalidInput,
                "status is one of draft, submitted, returned, published, archived, trashed",
            )
            .with_field("status"));
        }
    })
}

/// An RFC 3339 time of field `field`.
fn instant(field: &str, text: &str) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|_| {
        Error::new(
            ErrorCode::InvalidInput,
            format!("{field} must be an RFC 3339 time, e.g. 2026-12-01T08:00:00+07:00"),
        )
        .with_field(field)
    })
}

fn optional_instant(field: &str, text: Option<&str>) -> Result<Option<OffsetDateTime>, Error> {
    text.map(|t| instant(field, t)).transpose()
}

/// The category `key` names, by id or slug.
async fn category_id(app: &App, key: &CategoryKey) -> Result<i64, Error> {
    let categories = app.store.categories().await?;
    let found = match key {
        CategoryKey::Id(id) => categories.iter().find(|c| c.id == *id),
        CategoryKey::Slug(slug) => categories.iter().find(|c| c.slug == *slug),
    };
    found.map(|c| c.id).ok_or_else(|| {
        Error::new(
            ErrorCode::InvalidInput,
            "no such category (give its id or slug)",
        )
        .with_field("category")
    })
}

/// A store error with the API's names of the input's fields.
fn api_error(err: impl Into<Error>) -> ApiError {
    let mut err: Error = err.into();
    err.field = err.field.map(|f| {
        match f.as_str() {
            "cover_url" => "cover",
            "category_id" => "category",
            "published_at" => "publish_at",
            other => other,
        }
        .to_string()
    });
    ApiError::Failed(err)
}

fn refused(refusal: workflow::Refusal) -> ApiError {
    api_error(StoreError::from(refusal))
}

/// Whether `user` may read `a`: anyone when it is public, else those who may edit or publish it.
fn may_read(user: Option<&User>, a: &Article, now: OffsetDateTime) -> bool {
    a.is_public(now) || user.is_some_and(|u| policy::can_see_article(u, a.category_id, a.author_id))
}

/// The article `id` for staff who may see it; one they may not see is not there for them.
async fn seen(app: &App, staff: &Staff, id: i64) -> Result<Article, ApiError> {
    let a = app.store.article(id).await?.ok_or_else(Error::not_found)?;
    if policy::can_see_article(&staff.user, a.category_id, a.author_id) {
        Ok(a)
    } else if a.is_public(OffsetDateTime::now_utc()) {
        Err(ApiError::Forbidden)
    } else {
        Err(Error::not_found().into())
    }
}

/// One article: a published one for anyone; with a token, any the token's user may see, with
/// its status and version.
#[utoipa::path(
    get,
    path = "/articles/{id}",
    tag = "articles",
    security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "The article's id", minimum = 1)),
    responses(
        (status = 200, description = "The article", body = ArticleDetail),
        (status = 400, description = "The id is not a plain whole number", body = ErrorBody),
        (status = 401, description = "A token was sent and is not good", body = ErrorBody),
        (status = 404, description = "No article this caller may read has this id", body = ErrorBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
pub(super) async fn article(
    State(app): State<App>,
    staff: Option<Staff>,
    path: Result<PathText, Error>,
) -> Result<Json<ArticleDetail>, ApiError> {
    let id = path_id(path)?;
    let a = match &staff {
        None => app.store.public_article(id).await?,
        Some(staff) => app
            .store
            .article(id)
            .await?
            .filter(|a| may_read(Some(&staff.user), a, OffsetDateTime::now_utc())),
    }
    .ok_or_else(Error::not_found)?;
    let chrome = app.read.chrome().await?;
    Ok(Json(detail(&app, &chrome, a)))
}

/// Writes a new article, its author the token's user, and takes it to `status` when the
/// workflow lets the user: the create and the step are each in the audit log.
#[utoipa::path(
    post,
    path = "/articles",
    tag = "articles",
    security(("bearer" = [])),
    request_body = NewArticle,
    responses(
        (status = 201, description = "Written", body = ArticleCreated),
        (status = 400, description = "The body is not a JSON object", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The role may not give it this status in this category", body = ErrorBody),
        (status = 409, description = "The slug is taken", body = ErrorBody),
        (status = 422, description = "A field breaks a rule; `field` names it", body = ErrorBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
pub(super) async fn create_article(
    State(app): State<App>,
    staff: Staff,
    body: Bytes,
) -> Result<(StatusCode, Json<ArticleCreated>), ApiError> {
    staff.allowed(policy::can_write_article)?;
    let new: NewArticle = json_body(&body)?;
    let Some(key) = &new.category else {
        return Err(Error::new(ErrorCode::InvalidInput, "category is required")
            .with_field("category")
            .into());
    };
    let action = match new.status.as_deref() {
        None | Some("draft") => None,
        Some(status @ ("submitted" | "published")) => Some(step_to(status)?),
        Some(_) => {
            return Err(Error::new(
                ErrorCode::InvalidInput,
                "a new article's status is draft, submitted or published",
            )
            .with_field("status")
            .into());
        }
    };
    let mut input = ArticleInput::new(&new.title, category_id(&app, key).await?);
    input.slug = new.slug;
    input.summary = new.summary;
    input.body = new.body;
    input.tags = new.tags;
    input.byline = new.byline;
    input.author = new.author;
    input.source_name = new.source_name;
    input.source_url = new.source_url;
    input.cover_url = new.cover;
    input.cover_caption = new.cover_caption;
    input.featured = new.featured;
    input.published_at = optional_instant("publish_at", new.publish_at.as_deref())?;
    input.unpublish_at = optional_instant("unpublish_at", new.unpublish_at.as_deref())?;
    if let Some(action) = action {
        let facts = Facts {
            status: ArticleStatus::Draft,
            author_id: Some(staff.user.id),
            category_id: input.category_id,
            trashed_from: None,
            trashed_at: None,
        };
        workflow::transition(&staff.user, &facts, action, "", OffsetDateTime::now_utc())
            .map_err(refused)?;
    }
    let actor = &staff.actor;
    let mut article = app
        .store
        .create_article(actor, input)
        .await
        .map_err(api_error)?;
    if let Some(action) = action {
        let step = Transition {
            action,
            note: String::new(),
            version: Some(article.version),
        };
        article = app
            .store
            .transition_article(&staff.user, actor, article.id, step)
            .await
            .map_err(api_error)?
            .ok_or_else(Error::not_found)?;
    }
    Ok((
        StatusCode::CREATED,
        Json(ArticleCreated {
            id: article.id,
            url: format!(
                "{}{}",
                app.config.base_url,
                article_path(&article.slug, article.id)
            ),
            status: status_name(article.status).to_string(),
            version: article.version,
        }),
    ))
}

/// `patch` over the article as stored; whether anything of its content is in the patch.
async fn patched(
    app: &App,
    current: &Article,
    patch: ArticlePatch,
) -> Result<(ArticleInput, bool), Error> {
    let mut input = ArticleInput::from(current);
    let mut changed = false;
    let mut text = |field: &mut String, value: Option<Option<String>>| {
        if let Some(value) = value {
            *field = value.unwrap_or_default();
            changed = true;
        }
    };
    text(&mut input.summary, patch.summary);
    text(&mut input.body, patch.body);
    text(&mut input.byline, patch.byline);
    text(&mut input.author, patch.author);
    text(&mut input.source_name, patch.source_name);
    text(&mut input.source_url, patch.source_url);
    text(&mut input.cover_url, patch.cover);
    text(&mut input.cover_caption, patch.cover_caption);
    if let Some(title) = patch.title {
        input.title = title;
        changed = true;
    }
    if let Some(slug) = patch.slug {
        input.slug = Some(slug);
        changed = true;
    }
    if let Some(tags) = patch.tags {
        input.tags = tags.unwrap_or_default();
        changed = true;
    }
    if let Some(featured) = patch.featured {
        input.featured = featured;
        changed = true;
    }
    if let Some(at) = patch.publish_at {
        input.published_at = optional_instant("publish_at", at.as_deref())?;
        changed = true;
    }
    if let Some(at) = patch.unpublish_at {
        input.unpublish_at = optional_instant("unpublish_at", at.as_deref())?;
        changed = true;
    }
    if let Some(key) = &patch.category {
        input.category_id = category_id(app, key).await?;
        changed = true;
    }
    Ok((input, changed))
}

/// Changes an article (a JSON merge patch) made on `version`, and takes the workflow step that
/// `status` names; a refused step leaves the content as it was too.
#[utoipa::path(
    patch,
    path = "/articles/{id}",
    tag = "articles",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The article's id", minimum = 1)),
    request_body(content = ArticlePatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "The article as stored", body = ArticleDetail),
        (status = 400, description = "The id or the body can't be read", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The role may not make this change or step", body = ErrorBody),
        (status = 404, description = "No article this caller may see has this id", body = ErrorBody),
        (status = 409, description = "`version` is stale (`field` is `version`), the slug is taken, or the step does not fit the article's status", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (a correction without `correction_note`, a return without `note`); `field` names it", body = ErrorBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
pub(super) async fn update_article(
    State(app): State<App>,
    staff: Staff,
    path: Result<PathText, Error>,
    body: Bytes,
) -> Result<Json<ArticleDetail>, ApiError> {
    let id = path_id(path)?;
    let patch: ArticlePatch = json_body(&body)?;
    let current = seen(&app, &staff, id).await?;
    let Some(version) = patch.version else {
        return Err(Error::new(
            ErrorCode::InvalidInput,
            "version is required: the article's version the change was made on",
        )
        .with_field("version")
        .into());
    };
    let note = patch.note.clone().unwrap_or_default();
    let correction_note = patch.correction_note.clone().unwrap_or_default();
    let action = match patch.status.as_deref() {
        Some(status) if status != status_name(current.status) => Some(step_to(status)?),
        _ => None,
    };
    let (input, changed) = patched(&app, &current, patch).await?;
    let now = OffsetDateTime::now_utc();
    // Checked on the article as it will be (its category may change), before anything is written.
    let facts = Facts {
        category_id: input.category_id,
        ..Facts::from(&current)
    };
    if changed {
        workflow::may_edit(&staff.user, &Facts::from(&current)).map_err(refused)?;
    }
    if let Some(action) = action {
        workflow::transition(&staff.user, &facts, action, &note, now).map_err(refused)?;
    }
    if version != current.version {
        return Err(api_error(StoreError::Stale {
            current: current.version,
        }));
    }
    let actor = &staff.actor;
    let mut article = current;
    if changed {
        let save = ArticleSave {
            input,
            version,
            kind: SaveKind::Save,
            correction_note,
        };
        let may = |f: &Facts| workflow::may_edit(&staff.user, f);
        article = app
            .store
            .save_article(actor, id, save, may)
            .await
            .map_err(api_error)?;
    }
    if let Some(action) = action {
        let step = Transition {
            action,
            note,
            version: Some(article.version),
        };
        article = app
            .store
            .transition_article(&staff.user, actor, id, step)
            .await
            .map_err(api_error)?
            .ok_or_else(Error::not_found)?;
    }
    let chrome = app.read.chrome().await?;
    Ok(Json(detail(&app, &chrome, article)))
}

/// Moves an article to the trash (restored from the admin); a published one only by an editor
/// of its category.
#[utoipa::path(
    delete,
    path = "/articles/{id}",
    tag = "articles",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The article's id", minimum = 1)),
    responses(
        (status = 204, description = "In the trash"),
        (status = 400, description = "The id can't be read", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The role may not trash it", body = ErrorBody),
        (status = 404, description = "No article this caller may see has this id", body = ErrorBody),
        (status = 409, description = "It is in the trash already", body = ErrorBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
pub(super) async fn delete_article(
    State(app): State<App>,
    staff: Staff,
    path: Result<PathText, Error>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(path)?;
    seen(&app, &staff, id).await?;
    let step = Transition {
        action: Action::Trash,
        note: String::new(),
        version: None,
    };
    app.store
        .transition_article(&staff.user, &staff.actor, id, step)
        .await
        .map_err(api_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every saved state of an article, newest first.
#[utoipa::path(
    get,
    path = "/articles/{id}/revisions",
    tag = "articles",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The article's id", minimum = 1)),
    responses(
        (status = 200, description = "The revisions", body = RevisionList),
        (status = 400, description = "The id can't be read", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The role may not see this article's history", body = ErrorBody),
        (status = 404, description = "No article this caller may see has this id", body = ErrorBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
pub(super) async fn revisions(
    State(app): State<App>,
    staff: Staff,
    path: Result<PathText, Error>,
) -> Result<Json<RevisionList>, ApiError> {
    let id = path_id(path)?;
    seen(&app, &staff, id).await?;
    let items = app
        .store
        .revisions(id)
        .await?
        .into_iter()
        .map(|r| RevisionItem {
            id: r.id,
            version: r.version,
            kind: r.kind,
            note: r.note,
            by: r.actor_name,
            at: format::rfc3339(r.created_at),
        })
        .collect();
    Ok(Json(RevisionList { items }))
}
