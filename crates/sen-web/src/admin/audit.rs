//! The audit log: every sign-in, failure and admin action, filterable, never editable.

use axum::{
    extract::{Query, State},
    response::Response,
};
use minijinja::{Value, context, value::Serde};
use sen_core::{User, format, policy};
use sen_store::{AuditAction, AuditEntry, AuditQuery};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, macros::format_description};

use super::{Staff, allowed, page};
use crate::{app::App, error::Error, staff_ui::AdminUi};

const PER_PAGE: i64 = 50;

#[derive(Serialize)]
pub struct EntryRow {
    at: String,
    iso: String,
    who: String,
    action: String,
    target: String,
    client: String,
    details: String,
}

/// An entry as the log's table and the dashboard show it; a user as target is named.
pub fn entry_row(ui: &AdminUi, users: &[User], e: &AuditEntry) -> EntryRow {
    let details = match &e.details {
        serde_json::Value::Object(map) if map.is_empty() => String::new(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    EntryRow {
        at: format::time_date(e.at),
        iso: format::rfc3339(e.at),
        who: e.actor_name.clone(),
        action: ui.message(&format!("audit_{}", e.action)),
        target: target_name(users, &e.target),
        client: e.client_address.clone().unwrap_or_default(),
        details,
    }
}

/// `user:7` as the user's name and username; other targets as they are.
fn target_name(users: &[User], target: &str) -> String {
    let user = target
        .strip_prefix("user:")
        .and_then(|id| id.parse::<i64>().ok())
        .and_then(|id| users.iter().find(|u| u.id == id));
    match user {
        Some(u) => format!("{} ({})", u.name(), u.username),
        None => target.to_string(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    /// `yyyy-mm-dd`, as a date input sends it: the day in Vietnam.
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    page: String,
}

/// The start of a Vietnamese calendar day, from `yyyy-mm-dd`.
pub(super) fn day_start(text: &str) -> Option<OffsetDateTime> {
    let date = Date::parse(text.trim(), format_description!("[year]-[month]-[day]")).ok()?;
    Some(PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_offset(format::VIETNAM))
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

pub async fn audit(
    State(app): State<App>,
    staff: Staff,
    Query(filter): Query<AuditFilter>,
) -> Result<Response, Error> {
    allowed(policy::can_view_audit_log(&staff.user))?;
    let ui = &app.admin_ui;
    let page_number = filter
        .page
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let query = AuditQuery {
        actor_id: filter.actor.parse().ok(),
        action: AuditAction::parse(&filter.action),
        from: day_start(&filter.from),
        until: day_start(&filter.until).map(|d| d + time::Duration::days(1)),
        page: page_number,
        per_page: PER_PAGE,
    };
    let found = app.store.audit_log(&query).await?;
    let users = app.store.users().await?;
    let rows: Vec<EntryRow> = found
        .entries
        .iter()
        .map(|e| entry_row(ui, &users, e))
        .collect();
    let pages = ((found.total + PER_PAGE - 1) / PER_PAGE).max(1);
    let actors: Vec<Choice> = users
        .iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: format!("{} ({})", u.name(), u.username),
            selected: query.actor_id == Some(u.id),
        })
        .collect();
    let actions: Vec<Choice> = AuditAction::ALL
        .iter()
        .map(|a| Choice {
            value: a.as_str().to_string(),
            label: ui.message(&format!("audit_{}", a.as_str())),
            selected: query.action == Some(*a),
        })
        .collect();
    let link = |p: i64| {
        let pairs = [
            ("actor", filter.actor.as_str()),
            ("action", filter.action.as_str()),
            ("from", filter.from.as_str()),
            ("until", filter.until.as_str()),
            ("page", &p.to_string()),
        ];
        let kept: Vec<(&str, &str)> = pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        format!(
            "/admin/audit?{}",
            serde_urlencoded::to_string(kept).unwrap_or_default()
        )
    };
    let own = context! {
        rows => Value::from(Serde(&rows)),
        total => format::number(u64::try_from(found.total).unwrap_or(0)),
        actors => Value::from(Serde(&actors)),
        actions => Value::from(Serde(&actions)),
        from => filter.from.trim(),
        until => filter.until.trim(),
        page_number => page_number,
        pages => pages,
        prev_url => (page_number > 1).then(|| link(page_number - 1)),
        next_url => (page_number < pages).then(|| link(page_number + 1)),
    };
    let title = ui.message("nav_audit");
    Ok(page(
        &app,
        Some(&staff),
        "audit.html",
        "/admin/audit",
        &title,
        own,
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_midnight_in_vietnam() {
        let start = day_start("2026-11-30").expect("a date");
        assert_eq!(format::rfc3339(start), "2026-11-29T17:00:00Z");
        assert!(day_start("30/11/2026").is_none());
        assert!(day_start("").is_none());
    }
}
