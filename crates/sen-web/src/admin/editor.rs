//! Writing an article (Soạn bài): the form, saving with the version check, the workflow buttons
//! the policy allows, autosave (JSON, for the editor's script), the preview and preview links.
//! The form works without JavaScript; the editor script enhances the body field.

use axum::{
    Form, Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context, value::Serde};
use sen_core::{
    Article, ArticleInput, ArticleStatus, format, policy,
    workflow::{self, Action, Facts},
};
use sen_store::{ArticleSave, SaveKind, StoreError, Transition};
use serde::Serialize;
use time::{OffsetDateTime, PrimitiveDateTime, macros::format_description};

use super::{
    Staff, allowed,
    desk::status_badge,
    forms::{FormErrors, id_param},
    page,
};
use crate::{app::App, error::Error, staff_ui::AdminUi, urls::article_path};

/// The form as typed, kept as text so a wrong value is shown back as it was.
#[derive(Debug, Default, Clone)]
pub struct Typed {
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub body: String,
    pub category: String,
    pub tags: String,
    pub cover_url: String,
    pub cover_caption: String,
    pub author: String,
    pub byline: String,
    pub source_name: String,
    pub source_url: String,
    pub featured: bool,
    /// `YYYY-MM-DDTHH:MM` in Vietnam's time, as a `datetime-local` input sends it.
    pub publish_at: String,
    pub unpublish_at: String,
    pub version: String,
    pub correction_note: String,
    /// The editor's comment for a return.
    pub note: String,
    /// Which button was pressed: save, submit, withdraw, return, publish, unpublish.
    pub action: String,
}

const LOCAL_TIME: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]");

/// A `datetime-local` value (Vietnam's time) as an instant; `Err` when it can't be read.
fn local_time(text: &str) -> Result<Option<OffsetDateTime>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    // Some browsers send seconds too.
    let text = text.get(..16).unwrap_or(text);
    PrimitiveDateTime::parse(text, LOCAL_TIME)
        .map(|t| Some(t.assume_offset(format::VIETNAM)))
        .map_err(|_| ())
}

fn local_text(t: Option<OffsetDateTime>) -> String {
    t.and_then(|t| t.to_offset(format::VIETNAM).format(LOCAL_TIME).ok())
        .unwrap_or_default()
}

impl Typed {
    pub fn of(a: &Article) -> Self {
        Self {
            title: a.title.clone(),
            slug: a.slug.clone(),
            summary: a.summary.clone(),
            body: a.body.clone(),
            category: a.category_id.to_string(),
            tags: a
                .tags
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            cover_url: a.cover_url.clone(),
            cover_caption: a.cover_caption.clone(),
            author: a.author.clone(),
            byline: a.byline.clone(),
            source_name: a.source_name.clone(),
            source_url: a.source_url.clone(),
            featured: a.featured,
            publish_at: local_text(a.published_at),
            unpublish_at: local_text(a.unpublish_at),
            version: a.version.to_string(),
            ..Self::default()
        }
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut typed = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "title" => typed.title = value,
                "slug" => typed.slug = value,
                "summary" => typed.summary = value,
                "body" => typed.body = value,
                "category" => typed.category = value,
                "tags" => typed.tags = value,
                "cover_url" => typed.cover_url = value,
                "cover_caption" => typed.cover_caption = value,
                "author" => typed.author = value,
                "byline" => typed.byline = value,
                "source_name" => typed.source_name = value,
                "source_url" => typed.source_url = value,
                "featured" => typed.featured = true,
                "publish_at" => typed.publish_at = value,
                "unpublish_at" => typed.unpublish_at = value,
                "version" => typed.version = value,
                "correction_note" => typed.correction_note = value,
                "note" => typed.note = value,
                "action" => typed.action = value,
                _ => {}
            }
        }
        typed
    }

    /// The input the store takes; what can't be read is added to `errors`.
    pub fn input(&self, ui: &AdminUi, errors: &mut FormErrors) -> ArticleInput {
        let category_id = self.category.trim().parse::<i64>().unwrap_or_else(|_| {
            errors.add(ui, "category", "err_category_required");
            0
        });
        let mut time = |field: &str, text: &str| {
            local_time(text).unwrap_or_else(|()| {
                errors.add(ui, field, "err_datetime");
                None
            })
        };
        let published_at = time("publish_at", &self.publish_at);
        let unpublish_at = time("unpublish_at", &self.unpublish_at);
        let slug = self.slug.trim();
        let mut input = ArticleInput::new(&self.title, category_id);
        input.slug = (!slug.is_empty()).then(|| slug.to_string());
        input.summary = self.summary.clone();
        input.body = self.body.clone();
        input.cover_url = self.cover_url.clone();
        input.cover_caption = self.cover_caption.clone();
        input.author = self.author.clone();
        input.byline = self.byline.clone();
        input.source_name = self.source_name.clone();
        input.source_url = self.source_url.clone();
        input.featured = self.featured;
        input.published_at = published_at;
        input.unpublish_at = unpublish_at;
        input.tags = self
            .tags
            .split([',', ';'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        input
    }

    fn version(&self) -> Option<i64> {
        self.version.trim().parse().ok()
    }
}

/// `?done=…` after a redirect, and the preview link just made.
#[derive(Debug, Default, serde::Deserialize)]
pub struct EditQuery {
    done: Option<String>,
    preview: Option<String>,
}

impl EditQuery {
    fn notice(&self, ui: &AdminUi) -> Option<String> {
        self.done
            .as_deref()
            .and_then(|key| ui.optional_message(&format!("notice_{key}")))
    }
}

#[derive(Serialize)]
struct Button {
    action: &'static str,
    label: String,
    primary: bool,
}

/// The workflow buttons of the form, in the order they show: only those the workflow allows.
fn buttons(ui: &AdminUi, staff: &Staff, article: Option<&Article>) -> Vec<Button> {
    let now = OffsetDateTime::now_utc();
    let offered = match article {
        None => {
            // A new article: its author may submit it; an editor or admin may publish it at once
            // (the category is checked when it is taken).
            let mut actions = vec![Action::Submit];
            if staff.user.role != sen_core::Role::Author {
                actions.push(Action::Publish);
            }
            actions
        }
        Some(a) => workflow::offered(&staff.user, &Facts::from(a), now),
    };
    let editable = article.is_none_or(|a| workflow::may_edit(&staff.user, &Facts::from(a)).is_ok());
    let mut out = Vec::new();
    if editable {
        out.push(Button {
            action: "save",
            label: ui.message("action_save"),
            primary: !offered.contains(&Action::Submit) && !offered.contains(&Action::Publish),
        });
    }
    for action in [
        Action::Submit,
        Action::Withdraw,
        Action::Publish,
        Action::Return,
        Action::Unpublish,
    ] {
        if offered.contains(&action) {
            let key = match (action, article.map(|a| a.status)) {
                (Action::Publish, Some(ArticleStatus::Pending)) => "action_approve".to_string(),
                _ => format!("action_{}", action.as_str()),
            };
            out.push(Button {
                action: action.as_str(),
                label: ui.message(&key),
                primary: matches!(action, Action::Submit | Action::Publish),
            });
        }
    }
    out
}

#[derive(Serialize)]
struct CategoryChoice {
    id: i64,
    name: String,
    selected: bool,
}

/// What a page shows besides the form: a notice after a redirect, a preview link just made.
#[derive(Debug, Default)]
struct Shown {
    notice: Option<String>,
    preview_url: Option<String>,
}

async fn form_page(
    app: &App,
    staff: &Staff,
    existing: Option<&Article>,
    typed: &Typed,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    form_page_with(
        app,
        staff,
        existing,
        typed,
        errors,
        status,
        Shown::default(),
    )
    .await
}

async fn form_page_with(
    app: &App,
    staff: &Staff,
    existing: Option<&Article>,
    typed: &Typed,
    errors: FormErrors,
    status: StatusCode,
    shown: Shown,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let title = match existing {
        Some(a) => format!("{}: {}", ui.message("article_edit_title"), a.title),
        None => ui.message("article_new_title"),
    };
    let categories = app.store.categories().await?;
    let choices: Vec<CategoryChoice> = categories
        .iter()
        .map(|c| CategoryChoice {
            id: c.id,
            name: c.name.clone(),
            selected: typed.category == c.id.to_string(),
        })
        .collect();
    let now = OffsetDateTime::now_utc();
    let public = existing.is_some_and(|a| a.is_public(now));
    let facts = existing.map(Facts::from);
    let offered = facts
        .map(|f| workflow::offered(&staff.user, &f, now))
        .unwrap_or_default();
    let editable = facts.is_none_or(|f| workflow::may_edit(&staff.user, &f).is_ok());
    let article = existing.map(|a| {
        let scheduled = a.status == ArticleStatus::Published && !a.is_public(now);
        context! {
            id => a.id,
            url => article_path(&a.slug, a.id),
            status => Value::from(Serde(&status_badge(ui, a.status, scheduled))),
            review_note => a.review_note.as_str(),
            returned => a.status == ArticleStatus::Returned,
            trashed => a.status == ArticleStatus::Trashed,
            public => public,
            correction_note => a.correction_note.as_str(),
            corrected => a.corrected_at.map(format::time_date),
            updated => format::time_date(a.updated_at),
            version => a.version,
            can_trash => offered.contains(&Action::Trash),
            can_restore => offered.contains(&Action::Restore),
            can_purge => offered.contains(&Action::Purge),
        }
    });
    let messages: std::collections::BTreeMap<String, String> = ui.messages_with_prefix("editor_");
    let own = context! {
        article => article,
        editable => editable,
        // A public article changes only when saved on purpose (with its correction note).
        autosave => editable && !public && existing.is_some_and(|a| a.status != ArticleStatus::Trashed),
        form => context! {
            title => typed.title.as_str(),
            slug => typed.slug.as_str(),
            summary => typed.summary.as_str(),
            body => typed.body.as_str(),
            tags => typed.tags.as_str(),
            cover_url => typed.cover_url.as_str(),
            cover_caption => typed.cover_caption.as_str(),
            author => typed.author.as_str(),
            byline => typed.byline.as_str(),
            source_name => typed.source_name.as_str(),
            source_url => typed.source_url.as_str(),
            featured => typed.featured,
            publish_at => typed.publish_at.as_str(),
            unpublish_at => typed.unpublish_at.as_str(),
            version => typed.version.as_str(),
            correction_note => typed.correction_note.as_str(),
            note => typed.note.as_str(),
        },
        categories => Value::from(Serde(&choices)),
        buttons => Value::from(Serde(&buttons(ui, staff, existing))),
        can_schedule => match existing {
            Some(a) => policy::can_publish(&staff.user, a.category_id),
            None => staff.user.role != sen_core::Role::Author,
        },
        // Read by the script as JSON from a non-executed <script>: no "</" may close it early.
        editor_messages => serde_json::to_string(&messages).unwrap_or_default().replace("</", "<\\/"),
        errors => errors.value(),
        notice => shown.notice,
        preview_url => shown.preview_url,
    };
    let mut response = page(
        app,
        Some(staff),
        "article_form.html",
        "/admin/articles",
        &title,
        own,
    )
    .await;
    *response.status_mut() = status;
    Ok(response)
}

async fn existing(app: &App, id: &str) -> Result<Article, Error> {
    let id = id_param(id)?;
    app.store.article(id).await?.ok_or_else(Error::not_found)
}

/// Only those who may edit an article see it in the admin.
pub(super) fn may_see(staff: &Staff, a: &Article) -> Result<(), Error> {
    allowed(policy::can_see_article(
        &staff.user,
        a.category_id,
        a.author_id,
    ))
}

pub async fn new_form(State(app): State<App>, staff: Staff) -> Result<Response, Error> {
    allowed(policy::can_write_article(&staff.user))?;
    let typed = Typed {
        author: staff.user.name().to_string(),
        category: staff
            .user
            .categories
            .first()
            .map(i64::to_string)
            .unwrap_or_default(),
        ..Typed::default()
    };
    form_page(
        &app,
        &staff,
        None,
        &typed,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// Where a form goes after `action` succeeded on article `id`.
fn after(action: Option<Action>, id: i64) -> Response {
    let notice = match action {
        None => "article_saved",
        Some(Action::Submit) => "article_submitted",
        Some(Action::Withdraw) => "article_withdrawn",
        Some(Action::Return) => "article_returned",
        Some(Action::Publish) => "article_published",
        Some(Action::Unpublish) => "article_unpublished",
        Some(Action::Trash) => "article_trashed",
        Some(Action::Restore) => "article_restored",
        Some(Action::Purge) => {
            return Redirect::to("/admin/articles?notice=article_purged").into_response();
        }
    };
    Redirect::to(&format!("/admin/articles/{id}?done={notice}")).into_response()
}

/// The button pressed, when it is a workflow action (anything else saves).
fn pressed(typed: &Typed) -> Option<Action> {
    Action::parse(&typed.action)
}

pub async fn create(
    State(app): State<App>,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    allowed(policy::can_write_article(&staff.user))?;
    let ui = &app.admin_ui;
    let typed = Typed::from_pairs(pairs);
    let mut errors = FormErrors::default();
    let input = typed.input(ui, &mut errors);
    if errors.is_empty() {
        match app.store.create_article(&staff.actor(), input).await {
            Ok(article) => {
                let action = pressed(&typed);
                if let Some(action) = action {
                    let step = Transition {
                        action,
                        note: typed.note.clone(),
                        version: None,
                    };
                    if let Err(err) = app
                        .store
                        .transition_article(&staff.user, &staff.actor(), article.id, step)
                        .await
                    {
                        // Saved as a draft; say why the action wasn't taken on its own page.
                        return refused_after_save(&app, &staff, article.id, err).await;
                    }
                }
                return Ok(after(action, article.id));
            }
            Err(err) => errors.store(ui, err)?,
        }
    }
    form_page(
        &app,
        &staff,
        None,
        &typed,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// The article's form again, saved, with the reason a workflow action after the save was refused.
async fn refused_after_save(
    app: &App,
    staff: &Staff,
    id: i64,
    err: StoreError,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let article = app.store.article(id).await?.ok_or_else(Error::not_found)?;
    let mut errors = FormErrors::default();
    workflow_error(ui, &mut errors, err)?;
    let typed = Typed::of(&article);
    form_page(
        app,
        staff,
        Some(&article),
        &typed,
        errors,
        StatusCode::CONFLICT,
    )
    .await
}

/// A workflow refusal as a form message; `Err` for what is not the form's to say.
fn workflow_error(ui: &AdminUi, errors: &mut FormErrors, err: StoreError) -> Result<(), Error> {
    match err {
        StoreError::Refused(refusal) => {
            let key = match refusal {
                workflow::Refusal::Forbidden => "err_workflow_forbidden",
                workflow::Refusal::WrongState => "err_workflow_state",
                workflow::Refusal::TooEarly => "err_workflow_too_early",
                workflow::Refusal::NoteRequired => "err_note_required",
            };
            errors.add(ui, "action", key);
            Ok(())
        }
        StoreError::Stale { .. } => {
            errors.add(ui, "version", "err_stale");
            Ok(())
        }
        StoreError::Invalid(v) if v.field == "note" => {
            errors.add(ui, "note", "err_note_required");
            Ok(())
        }
        other => errors.store(ui, other),
    }
}

pub async fn edit_form(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    axum::extract::Query(done): axum::extract::Query<EditQuery>,
) -> Result<Response, Error> {
    let article = existing(&app, &id).await?;
    may_see(&staff, &article)?;
    let typed = Typed::of(&article);
    let shown = Shown {
        notice: done.notice(&app.admin_ui),
        preview_url: done
            .preview
            .as_deref()
            .filter(|t| crate::preview::looks_like_token(t))
            .map(|t| format!("/xem-truoc/{t}")),
    };
    form_page_with(
        &app,
        &staff,
        Some(&article),
        &typed,
        FormErrors::default(),
        StatusCode::OK,
        shown,
    )
    .await
}
/// Saves the form over the version it was opened at, then takes the workflow action of the
/// button pressed. Nothing is lost on a refusal: the form comes back as typed, with the reason.
pub async fn update(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let article = existing(&app, &id).await?;
    may_see(&staff, &article)?;
    let typed = Typed::from_pairs(pairs);
    let mut errors = FormErrors::default();
    let action = pressed(&typed);
    let editable = workflow::may_edit(&staff.user, &Facts::from(&article)).is_ok();
    let mut version = typed.version();
    if editable {
        let input = typed.input(ui, &mut errors);
        let Some(from) = version else {
            return Err(Error::invalid_parameter(
                "version",
                "the form has no version",
            ));
        };
        if errors.is_empty() {
            let save = ArticleSave {
                input,
                version: from,
                kind: SaveKind::Save,
                correction_note: typed.correction_note.clone(),
            };
            let may = |f: &Facts| workflow::may_edit(&staff.user, f);
            match app
                .store
                .save_article(&staff.actor(), article.id, save, may)
                .await
            {
                Ok(saved) => version = Some(saved.version),
                Err(err) => workflow_error(ui, &mut errors, err)?,
            }
        }
    }
    if errors.is_empty()
        && let Some(action) = action
    {
        let step = Transition {
            action,
            note: typed.note.clone(),
            version,
        };
        match app
            .store
            .transition_article(&staff.user, &staff.actor(), article.id, step)
            .await
        {
            Ok(_) => return Ok(after(Some(action), article.id)),
            Err(err) => workflow_error(ui, &mut errors, err)?,
        }
    } else if errors.is_empty() {
        return Ok(after(None, article.id));
    }
    // Show what was typed, over the article as it is now (the save may have gone through).
    let now_stored = app
        .store
        .article(article.id)
        .await?
        .ok_or_else(Error::not_found)?;
    let mut shown = typed.clone();
    if errors.is_empty() || version != typed.version() {
        shown.version = now_stored.version.to_string();
    }
    form_page(
        &app,
        &staff,
        Some(&now_stored),
        &shown,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// Trash, restore and purge: the side panel's buttons, no content saved with them.
pub async fn workflow_action(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let article = existing(&app, &id).await?;
    may_see(&staff, &article)?;
    let typed = Typed::from_pairs(pairs);
    let Some(action) = pressed(&typed) else {
        return Err(Error::invalid_parameter("action", "choose an action"));
    };
    let step = Transition {
        action,
        note: typed.note.clone(),
        version: None,
    };
    match app
        .store
        .transition_article(&staff.user, &staff.actor(), article.id, step)
        .await
    {
        Ok(_) => Ok(after(Some(action), article.id)),
        Err(err) => refused_after_save(&app, &staff, article.id, err).await,
    }
}

#[derive(Serialize)]
struct Saved {
    id: i64,
    version: i64,
    saved_at: String,
    edit_url: String,
    autosave_url: String,
}

#[derive(Serialize)]
struct SaveProblem {
    error: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    compare_url: Option<String>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    fields: std::collections::BTreeMap<String, String>,
}

fn problem(status: StatusCode, body: SaveProblem) -> Response {
    (status, Json(body)).into_response()
}

/// The form's errors as the editor script's 422, the first message in words.
fn invalid(errors: &FormErrors) -> Response {
    let fields = errors.fields();
    problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        SaveProblem {
            error: "invalid",
            message: fields.values().next().cloned().unwrap_or_default(),
            compare_url: None,
            fields,
        },
    )
}

fn saved(a: &Article) -> Response {
    Json(Saved {
        id: a.id,
        version: a.version,
        saved_at: a
            .updated_at
            .to_offset(format::VIETNAM)
            .format(format_description!("[hour]:[minute]"))
            .unwrap_or_default(),
        edit_url: format!("/admin/articles/{}", a.id),
        autosave_url: format!("/admin/articles/{}/autosave", a.id),
    })
    .into_response()
}

/// A store refusal as the editor script's JSON.
fn autosave_problem(ui: &AdminUi, id: Option<i64>, err: StoreError) -> Result<Response, Error> {
    match err {
        StoreError::Stale { .. } => Ok(problem(
            StatusCode::CONFLICT,
            SaveProblem {
                error: "conflict",
                message: ui.message("err_stale"),
                compare_url: id.map(|id| format!("/admin/articles/{id}/revisions")),
                fields: Default::default(),
            },
        )),
        StoreError::Invalid(_) | StoreError::MissingReference(_) | StoreError::Conflict(_) => {
            let mut errors = FormErrors::default();
            errors.store(ui, err)?;
            Ok(invalid(&errors))
        }
        StoreError::Refused(_) => Ok(problem(
            StatusCode::FORBIDDEN,
            SaveProblem {
                error: "forbidden",
                message: ui.message("err_workflow_forbidden"),
                compare_url: None,
                fields: Default::default(),
            },
        )),
        other => Err(other.into()),
    }
}

/// The editor script's first save of a new article: it becomes a draft.
pub async fn autosave_new(
    State(app): State<App>,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    allowed(policy::can_write_article(&staff.user))?;
    let ui = &app.admin_ui;
    let typed = Typed::from_pairs(pairs);
    let mut errors = FormErrors::default();
    let input = typed.input(ui, &mut errors);
    if !errors.is_empty() {
        return Ok(invalid(&errors));
    }
    match app.store.create_article(&staff.actor(), input).await {
        Ok(article) => Ok(saved(&article)),
        Err(err) => autosave_problem(ui, None, err),
    }
}

/// The editor script's periodic save: content only, over the version it holds.
pub async fn autosave(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let article = existing(&app, &id).await?;
    may_see(&staff, &article)?;
    let typed = Typed::from_pairs(pairs);
    let mut errors = FormErrors::default();
    let input = typed.input(ui, &mut errors);
    let Some(version) = typed.version() else {
        return Err(Error::invalid_parameter(
            "version",
            "the form has no version",
        ));
    };
    if !errors.is_empty() {
        return Ok(invalid(&errors));
    }
    // What readers see changes only by a deliberate save with its correction note.
    if article.is_public(OffsetDateTime::now_utc()) {
        return Ok(problem(
            StatusCode::CONFLICT,
            SaveProblem {
                error: "public",
                message: ui.message("err_autosave_public"),
                compare_url: None,
                fields: Default::default(),
            },
        ));
    }
    let save = ArticleSave {
        input,
        version,
        kind: SaveKind::Autosave,
        correction_note: String::new(),
    };
    let may = |f: &Facts| workflow::may_edit(&staff.user, f);
    match app
        .store
        .save_article(&staff.actor(), article.id, save, may)
        .await
    {
        Ok(article) => Ok(saved(&article)),
        Err(err) => autosave_problem(ui, Some(article.id), err),
    }
}

/// The article as its public page would show it, whatever its status.
pub async fn preview(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let article = existing(&app, &id).await?;
    may_see(&staff, &article)?;
    crate::pages::preview_page(&app, article).await
}

/// A preview link that opens without signing in, for 7 days.
pub async fn preview_link(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let article = existing(&app, &id).await?;
    may_see(&staff, &article)?;
    let key = app.store.secret(crate::preview::KEY_NAME).await?;
    let token = crate::preview::sign(&key, article.id, OffsetDateTime::now_utc());
    Ok(Redirect::to(&format!(
        "/admin/articles/{}?done=preview_link&preview={token}",
        article.id
    ))
    .into_response())
}
