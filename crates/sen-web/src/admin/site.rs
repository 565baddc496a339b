//! The site identity and settings: the organisation's name, the legally required footer, logo and
//! banner, the starting visit count. A change shows on every public page at the next request.

use axum::{
    Form,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context};
use sen_core::{Site, ValidationError, policy};

use super::{
    Staff, allowed,
    forms::{Done, FormErrors},
    page,
};
use crate::{app::App, error::Error};

/// The form's fields in its order: name, whether the law requires it, and the kind of input.
const FIELDS: [(&str, bool, &str); 13] = [
    ("name", true, "text"),
    ("short_name", false, "text"),
    ("governing_body", true, "text"),
    ("tagline", false, "text"),
    ("address", true, "text"),
    ("phone", true, "tel"),
    ("fax", false, "tel"),
    ("email", true, "email"),
    ("responsible_person", true, "text"),
    ("credit_note", false, "text"),
    ("license_note", false, "text"),
    ("logo_url", false, "text"),
    ("banner_url", false, "text"),
];

fn field_mut<'a>(site: &'a mut Site, name: &str) -> Option<&'a mut String> {
    Some(match name {
        "name" => &mut site.name,
        "short_name" => &mut site.short_name,
        "governing_body" => &mut site.governing_body,
        "tagline" => &mut site.tagline,
        "address" => &mut site.address,
        "phone" => &mut site.phone,
        "fax" => &mut site.fax,
        "email" => &mut site.email,
        "responsible_person" => &mut site.responsible_person,
        "credit_note" => &mut site.credit_note,
        "license_note" => &mut site.license_note,
        "logo_url" => &mut site.logo_url,
        "banner_url" => &mut site.banner_url,
        _ => return None,
    })
}

/// Every rule the site breaks, not only the first: sen-core stops at the first, so each field at
/// fault is replaced by a value that keeps its rule and the check runs again.
fn every_error(site: &Site) -> Vec<ValidationError> {
    let mut probe = site.clone();
    let mut found = Vec::new();
    while let Err(err) = probe.clone().validated() {
        if found.iter().any(|e: &ValidationError| e.field == err.field) {
            break;
        }
        let stand_in = match err.field {
            "email" => "a@example.vn",
            "phone" | "fax" => "000000",
            "logo_url" | "banner_url" => "",
            _ => "x",
        };
        if err.field == "visits_base" {
            probe.visits_base = 0;
        } else if let Some(field) = field_mut(&mut probe, err.field) {
            *field = stand_in.to_string();
        } else {
            found.push(err);
            break;
        }
        found.push(err);
    }
    found
}

async fn site_page(
    app: &App,
    staff: &Staff,
    site: &Site,
    visits_base: &str,
    errors: FormErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let ui = &app.admin_ui;
    let fields: Vec<Value> = FIELDS
        .iter()
        .map(|(name, required, kind)| {
            let mut copy = site.clone();
            let value = field_mut(&mut copy, name)
                .map(|v| v.clone())
                .unwrap_or_default();
            context! {
                name => *name,
                label => ui.message(&format!("site_{name}")),
                hint => ui.optional_message(&format!("site_{name}_hint")),
                required => *required,
                kind => *kind,
                value => value,
            }
        })
        .collect();
    let own = context! {
        fields => fields,
        visits_base => visits_base,
        errors => errors.value(),
        notice => notice,
    };
    let title = ui.message("nav_site");
    let mut response = page(app, Some(staff), "site.html", "/admin/site", &title, own).await;
    *response.status_mut() = status;
    response
}

pub async fn site_form(
    State(app): State<App>,
    staff: Staff,
    Query(done): Query<Done>,
) -> Result<Response, Error> {
    allowed(policy::can_edit_site(&staff.user))?;
    let site = app.store.site().await?;
    let notice = done.notice(&app.admin_ui);
    let visits_base = site.visits_base.to_string();
    Ok(site_page(
        &app,
        &staff,
        &site,
        &visits_base,
        FormErrors::default(),
        notice,
        StatusCode::OK,
    )
    .await)
}

pub async fn save_site(
    State(app): State<App>,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    allowed(policy::can_edit_site(&staff.user))?;
    let ui = &app.admin_ui;
    let mut site = app.store.site().await?;
    let mut visits_base = String::new();
    for (name, value) in pairs {
        if name == "visits_base" {
            visits_base = value;
        } else if let Some(field) = field_mut(&mut site, &name) {
            *field = value;
        }
    }
    let mut errors = FormErrors::default();
    match visits_base.trim().replace(['.', ' '], "").parse::<i64>() {
        Ok(n) => site.visits_base = n,
        Err(_) => errors.add(ui, "visits_base", "err_visits_base"),
    }
    for err in every_error(&site) {
        errors.validation(ui, &err);
    }
    if errors.is_empty() {
        match app.store.put_site(&staff.actor(), site.clone()).await {
            Ok(_) => return Ok(Redirect::to("/admin/site?done=site_saved").into_response()),
            Err(err) => errors.store(ui, err)?,
        }
    }
    Ok(site_page(
        &app,
        &staff,
        &site,
        &visits_base,
        errors,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_broken_rule_is_found() {
        let site = Site {
            name: String::new(),
            governing_body: "Tỉnh ủy".into(),
            address: String::new(),
            phone: "abc".into(),
            email: "not-an-email".into(),
            responsible_person: "Bà Mai".into(),
            ..Site::default()
        };
        let fields: Vec<&str> = every_error(&site).iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "address", "phone", "email"]);
        let good = Site {
            name: "Hội".into(),
            address: "Số 1".into(),
            phone: "0235 3 000 000".into(),
            email: "hoi@example.vn".into(),
            ..site
        };
        assert!(every_error(&good).is_empty());
    }
}
