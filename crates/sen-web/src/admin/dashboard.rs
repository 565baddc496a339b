//! The dashboard: what waits for me, the portal's visits, the most read, recent activity.

use axum::{extract::State, response::Response};
use minijinja::{Value, context, value::Serde};
use sen_core::{format, policy};
use sen_store::AuditQuery;
use serde::Serialize;

use super::{Staff, audit::entry_row, page};
use crate::{app::App, error::Error, read::cache::Slot};

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
    let own = context! {
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
