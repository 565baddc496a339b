//! The desk (Tin bài): every article staff may see, with filters, search by title, sorting, pages
//! and bulk actions. Each action of a bulk passes the same workflow check as one at a time.

use axum::{
    Form,
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context, value::Serde};
use sen_core::{ArticleStatus, Category, format, workflow::Action};
use sen_store::{DeskQuery, DeskRow, DeskSort, DeskStatus, StoreError, Transition};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Staff, audit::day_start, page};
use crate::{app::App, error::Error};

const PER_PAGE: i64 = 30;

/// The desk's query string, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct DeskFilter {
    #[serde(default)]
    status: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: String,
    /// After a bulk action: how many were done and how many refused.
    #[serde(default)]
    done: Option<u32>,
    #[serde(default)]
    refused: Option<u32>,
    /// After a single action on an article, its notice key.
    #[serde(default)]
    notice: String,
}

impl DeskFilter {
    fn status(&self) -> Option<DeskStatus> {
        match self.status.as_str() {
            "scheduled" => Some(DeskStatus::Scheduled),
            other => ArticleStatus::parse(other).map(DeskStatus::Is),
        }
    }

    fn sort(&self) -> DeskSort {
        match self.sort.as_str() {
            "published" => DeskSort::Published,
            "title" => DeskSort::Title,
            "views" => DeskSort::Views,
            _ => DeskSort::Updated,
        }
    }

    /// The desk's address with these filters and `page`.
    fn link(&self, page: i64) -> String {
        let page = page.to_string();
        let pairs = [
            ("status", self.status.as_str()),
            ("category", self.category.as_str()),
            ("author", self.author.as_str()),
            ("from", self.from.as_str()),
            ("until", self.until.as_str()),
            ("q", self.q.as_str()),
            ("sort", self.sort.as_str()),
            ("page", page.as_str()),
        ];
        let kept: Vec<(&str, &str)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        format!(
            "/admin/articles?{}",
            serde_urlencoded::to_string(kept).unwrap_or_default()
        )
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// The status of a line as a word and a colour (never the colour alone).
#[derive(Serialize)]
pub struct StatusBadge {
    pub label: String,
    pub tone: &'static str,
}

pub fn status_badge(
    ui: &crate::staff_ui::AdminUi,
    status: ArticleStatus,
    scheduled: bool,
) -> StatusBadge {
    let (key, tone) = match status {
        ArticleStatus::Published if scheduled => ("status_scheduled", "blue"),
        ArticleStatus::Published => ("status_published", "green"),
        ArticleStatus::Draft => ("status_draft", "grey"),
        ArticleStatus::Pending => ("status_pending", "yellow"),
        ArticleStatus::Returned => ("status_returned", "red"),
        ArticleStatus::Archived => ("status_archived", "grey"),
        ArticleStatus::Trashed => ("status_trashed", "grey"),
    };
    StatusBadge {
        label: ui.message(key),
        tone,
    }
}

#[derive(Serialize)]
struct Line {
    id: i64,
    title: String,
    category: String,
    author: String,
    status: StatusBadge,
    time: String,
    iso: String,
    views: String,
    featured: bool,
}

fn category_name(categories: &[Category], id: i64) -> String {
    categories
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.name.clone())
        .unwrap_or_default()
}

fn line(
    ui: &crate::staff_ui::AdminUi,
    categories: &[Category],
    r: &DeskRow,
    now: OffsetDateTime,
) -> Line {
    let scheduled = r.is_scheduled(now);
    let shown = match r.status.0 {
        ArticleStatus::Published => r.published_at.unwrap_or(r.updated_at),
        _ => r.updated_at,
    };
    Line {
        id: r.id,
        title: r.title.clone(),
        category: category_name(categories, r.category_id),
        author: r.author_name.clone(),
        status: status_badge(ui, r.status.0, scheduled),
        time: format::time_date(shown),
        iso: format::rfc3339(shown),
        views: format::number(u64::try_from(r.views).unwrap_or(0)),
        featured: r.featured,
    }
}

pub async fn list(
    State(app): State<App>,
    staff: Staff,
    Query(filter): Query<DeskFilter>,
) -> Result<Response, Error> {
    let ui = &app.admin_ui;
    let page_number = filter
        .page
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let query = DeskQuery {
        status: filter.status(),
        category_id: filter.category.parse().ok(),
        author_id: filter.author.parse().ok(),
        from: day_start(&filter.from),
        until: day_start(&filter.until).map(|d| d + time::Duration::days(1)),
        search: filter.q.trim().to_string(),
        sort: filter.sort(),
        page: page_number,
        per_page: PER_PAGE,
    };
    let found = app.store.desk(&query).await?;
    let categories = app.store.categories().await?;
    let users = app.store.users().await?;
    let now = OffsetDateTime::now_utc();
    let lines: Vec<Line> = found
        .rows
        .iter()
        .map(|r| line(ui, &categories, r, now))
        .collect();
    let pages = ((found.total + PER_PAGE - 1) / PER_PAGE).max(1);
    let mut statuses: Vec<Choice> = ArticleStatus::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().to_string(),
            label: ui.message(&format!("status_{}", s.as_str())),
            selected: query.status == Some(DeskStatus::Is(*s)),
        })
        .collect();
    statuses.insert(
        4,
        Choice {
            value: "scheduled".into(),
            label: ui.message("status_scheduled"),
            selected: query.status == Some(DeskStatus::Scheduled),
        },
    );
    let category_choices: Vec<Choice> = categories
        .iter()
        .map(|c| Choice {
            value: c.id.to_string(),
            label: c.name.clone(),
            selected: query.category_id == Some(c.id),
        })
        .collect();
    let authors: Vec<Choice> = users
        .iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: u.name().to_string(),
            selected: query.author_id == Some(u.id),
        })
        .collect();
    let sorts: Vec<Choice> = ["updated", "published", "title", "views"]
        .into_iter()
        .map(|s| Choice {
            value: s.to_string(),
            label: ui.message(&format!("sort_{s}")),
            selected: query.sort
                == match s {
                    "published" => DeskSort::Published,
                    "title" => DeskSort::Title,
                    "views" => DeskSort::Views,
                    _ => DeskSort::Updated,
                },
        })
        .collect();
    let notice = match (filter.done, filter.refused) {
        (Some(done), refused) => Some(
            ui.message("notice_bulk")
                .replace("{done}", &done.to_string())
                .replace("{refused}", &refused.unwrap_or(0).to_string()),
        ),
        _ => ui.optional_message(&format!("notice_{}", filter.notice)),
    };
    let own = context! {
        lines => Value::from(Serde(&lines)),
        total => format::number(u64::try_from(found.total).unwrap_or(0)),
        statuses => Value::from(Serde(&statuses)),
        categories => Value::from(Serde(&category_choices)),
        authors => Value::from(Serde(&authors)),
        sorts => Value::from(Serde(&sorts)),
        from => filter.from.trim(),
        until => filter.until.trim(),
        q => filter.q.trim(),
        page_number => page_number,
        pages => pages,
        prev_url => (page_number > 1).then(|| filter.link(page_number - 1)),
        next_url => (page_number < pages).then(|| filter.link(page_number + 1)),
        notice => notice,
        back => filter.link(page_number),
    };
    let title = ui.message("nav_articles");
    Ok(page(
        &app,
        Some(&staff),
        "articles.html",
        "/admin/articles",
        &title,
        own,
    )
    .await)
}

/// Bulk actions: submit, publish, trash, each article checked on its own.
pub async fn bulk(
    State(app): State<App>,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let mut ids = Vec::new();
    let mut action = None;
    let mut back = String::from("/admin/articles");
    for (name, value) in pairs {
        match name.as_str() {
            "ids" => ids.extend(crate::urls::positive(&value)),
            "bulk_action" => action = Action::parse(&value),
            "back" if value.starts_with("/admin/articles") => back = value,
            _ => {}
        }
    }
    let Some(action) =
        action.filter(|a| matches!(a, Action::Submit | Action::Publish | Action::Trash))
    else {
        return Err(Error::invalid_parameter("bulk_action", "choose an action"));
    };
    let actor = staff.actor();
    let (mut done, mut refused) = (0u32, 0u32);
    for id in ids {
        let step = Transition {
            action,
            note: String::new(),
            version: None,
        };
        match app
            .store
            .transition_article(&staff.user, &actor, id, step)
            .await
        {
            Ok(_) => done += 1,
            Err(StoreError::Refused(_) | StoreError::NotFound | StoreError::Invalid(_)) => {
                refused += 1
            }
            Err(other) => return Err(other.into()),
        }
    }
    let sep = if back.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{back}{sep}done={done}&refused={refused}")).into_response())
}
