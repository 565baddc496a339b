//! The dashboard: what waits for me, the portal's visits, the most read, recent activity.

use axum::{extract::State, response::Response};
use minijinja::{Value, context, value::Serde};
use sen_core::{format, policy};
use sen_store::AuditQuery;
use serde::Serialize;

use super::{Staff, audit::entry_row, page};
use crate::{app::App, error::Error, read::cache::Slot};

/// A count that is a link to the list it counts.
#[derive(Serialize)]
struct Tile {
    label: String,
    value: String,
    url: String,
    urgent: bool,
}

#[derive(Serialize)]
struct Popular {
    title: String,
    url: String,
    date: String,
}

pub async fn dashboard(State(app): State<App>, staff: Staff) -> Result<Response, Error> {
    let figure = |slot| format::number(u64::try_from(app.read.live_value(slot, None)).unwrap_or(0));
    let most_read: Vec<Popular> = app
        .read
        .most_read()
        .await?
        .iter()
        .map(|entry| Popular {
            title: entry.card.title.as_str().unwrap_or_default().to_string(),
            url: entry.card.url.as_str().unwrap_or_default().to_string(),
            date: entry.card.date.as_str().unwrap_or_default().to_string(),
        })
        .collect();
    let recent = if policy::can_view_audit_log(&staff.user) {
        let query = AuditQuery {
            per_page: 8,
            ..AuditQuery::default()
        };
        let ui = &app.admin_ui;
        let users = app.store.users().await?;
        app.store
            .audit_log(&query)
            .await?
            .entries
            .iter()
            .map(|e| entry_row(ui, &users, e))
            .collect()
    } else {
        Vec::new()
    };
    let counts = app.store.desk_counts(&staff.user).await?;
    let me = staff.user.id;
    let waiting = [
        (
            "desk_submitted",
            counts.waiting_for_me,
            "/admin/articles?status=pending".to_string(),
        ),
        (
            "desk_my_drafts",
            counts.my_drafts,
            format!("/admin/articles?status=draft&author={me}"),
        ),
        (
            "desk_returned",
            counts.returned_to_me,
            format!("/admin/articles?status=returned&author={me}"),
        ),
        (
            "desk_scheduled",
            counts.scheduled,
            "/admin/articles?status=scheduled".to_string(),
        ),
    ]
    .into_iter()
    .map(|(key, n, url)| Tile {
        label: app.admin_ui.message(key),
        value: format::number(u64::try_from(n).unwrap_or(0)),
        url,
        urgent: n > 0 && key == "desk_submitted",
    })
    .collect::<Vec<_>>();
    let own = context! {
        waiting => Value::from(Serde(&waiting)),
        online => figure(Slot::Online),
        today => figure(Slot::Today),
        week => figure(Slot::Week),
        total => figure(Slot::Total),
        most_read => Value::from(Serde(&most_read)),
        recent => Value::from(Serde(&recent)),
    };
    let title = app.admin_ui.message("nav_dashboard");
    Ok(page(&app, Some(&staff), "dashboard.html", "/admin", &title, own).await)
}
