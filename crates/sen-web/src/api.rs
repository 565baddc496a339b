//! The read-only JSON API, health and metrics.

use std::{collections::HashMap, sync::atomic::Ordering};

use axum::{
    Extension, Json, Router,
    extract::{Path, RawQuery, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use sen_core::{ArticleSummary, ListedArticle, format};
use serde_json::{Value, json};

use crate::{
    cache::Slot,
    catalog::{Entry, ListFilter},
    context::{category_path, tag_path},
    error::ApiError,
    middleware::ClientAddr,
    state::{App, Chrome},
};

const MAX_PER_PAGE: i64 = 100;

pub fn router() -> Router<App> {
    Router::new()
        .route("/articles", get(articles))
        .route("/articles/{id}", get(article))
        .route("/categories", get(categories))
        .route("/stats", get(stats))
        .fallback(|| async { ApiError::not_found() })
}

fn category_json(chrome: &Chrome, id: i64) -> Value {
    match chrome.category(id) {
        Some(c) => json!({"id": c.id, "name": c.name, "slug": c.slug}),
        None => Value::Null,
    }
}

fn item(app: &App, chrome: &Chrome, a: &Entry, stored_views: i64) -> Value {
    let text = |v: &minijinja::Value| v.as_str().unwrap_or_default().to_string();
    json!({
        "id": a.id,
        "title": text(&a.card.title),
        "url": format!("{}{}", app.config.base_url, text(&a.card.url)),
        "summary": text(&a.card.summary),
        "category": category_json(chrome, a.category_id),
        "published_at": text(&a.card.iso),
        "views": app.views.current(a.id, stored_views),
    })
}

fn number(
    params: &[(String, String)],
    name: &'static str,
    default: i64,
    max: i64,
) -> Result<i64, ApiError> {
    match params.iter().find(|(k, _)| k == name) {
        None => Ok(default),
        Some((_, v)) => match v.trim().parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            Ok(_) => Err(ApiError::invalid(
                name,
                format!("{name} must be between 1 and {max}"),
            )),
            Err(_) => Err(ApiError::invalid(
                name,
                format!("{name} must be a whole number, not {v:?}"),
            )),
        },
    }
}

async fn articles(
    State(app): State<App>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default())
            .map_err(|_| ApiError::invalid("query", "the query string is not valid"))?;
    let per_page = number(&params, "per_page", 20, MAX_PER_PAGE)?;
    let page = number(&params, "page", 1, 1_000_000)?;
    let chrome = app.chrome().await?;
    let mut filter = ListFilter::default();
    if let Some((_, c)) = params.iter().find(|(k, _)| k == "category") {
        let found = match c.parse::<i64>() {
            Ok(id) => chrome.category(id),
            Err(_) => chrome.category_by_slug(c),
        };
        let found = found.ok_or_else(|| ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            parameter: Some("category"),
            message: format!("no category {c:?}"),
        })?;
        filter.categories = chrome.with_descendants(found.id);
    }
    let now = time::OffsetDateTime::now_utc();
    let offset = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let (total, list) = {
        let lists = app.lists().await?;
        let total = lists.count(&filter, now);
        (total, lists.list(&filter, now, offset, per_page as usize))
    };
    // The catalogue keeps no counts: the stored totals are read for this page.
    let ids: Vec<i64> = list.iter().map(|a| a.id).collect();
    let stored: HashMap<i64, i64> = app.store.article_views(&ids).await?.into_iter().collect();
    let items: Vec<Value> = list
        .iter()
        .map(|a| {
            let views = stored.get(&a.id).copied().unwrap_or(0);
            item(&app, &chrome, a, views)
        })
        .collect();
    Ok(Json(
        json!({"items": items, "total": total, "page": page, "per_page": per_page}),
    ))
}

async fn article(State(app): State<App>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid("id", "the article id must be a whole number"))?;
    let a = app
        .store
        .public_article(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let chrome = app.chrome().await?;
    // Shaped like a list item, then the rest of the article added.
    let listed = Entry::new(ListedArticle {
        summary: ArticleSummary::from(&a),
        featured: a.featured,
        tag_ids: Vec::new(),
    });
    let mut v = item(&app, &chrome, &listed, a.views);
    let base = &app.config.base_url;
    if let Some(obj) = v.as_object_mut() {
        obj.insert("body".into(), json!(a.body));
        obj.insert("byline".into(), json!(a.byline));
        obj.insert("author".into(), json!(a.author));
        obj.insert(
            "source".into(),
            json!({"name": a.source_name, "url": a.source_url}),
        );
        obj.insert(
            "cover".into(),
            json!({"url": a.cover_url, "caption": a.cover_caption}),
        );
        obj.insert("updated_at".into(), json!(format::rfc3339(a.updated_at)));
        obj.insert("created_at".into(), json!(format::rfc3339(a.created_at)));
        let tags: Vec<Value> = a
            .tags
            .iter()
            .map(|t| json!({"id": t.id, "name": t.name, "slug": t.slug, "url": format!("{base}{}", tag_path(&t.slug))}))
            .collect();
        obj.insert("tags".into(), json!(tags));
    }
    Ok(Json(v))
}

async fn categories(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    let chrome = app.chrome().await?;
    let base = &app.config.base_url;
    let items: Vec<Value> = chrome
        .categories
        .iter()
        .map(|c| {
            json!({
                "id": c.id, "parent_id": c.parent_id, "name": c.name, "slug": c.slug,
                "description": c.description, "position": c.position, "in_menu": c.in_menu,
                "url": format!("{base}{}", category_path(&c.slug)),
            })
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

async fn stats(State(app): State<App>) -> Json<Value> {
    Json(json!({
        "online": app.live_value(Slot::Online, None),
        "today": app.live_value(Slot::Today, None),
        "week": app.live_value(Slot::Week, None),
        "total": app.live_value(Slot::Total, None),
    }))
}

pub async fn healthz(State(app): State<App>) -> Response {
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "health check: database did not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

pub async fn metrics(State(app): State<App>, client: Option<Extension<ClientAddr>>) -> Response {
    let allowed = client.is_some_and(|c| app.metrics_allowed(c.0.0));
    if !allowed {
        return (StatusCode::FORBIDDEN, "forbidden").into_response();
    }
    let c = &app.cache;
    let gauges = [
        (
            "sen_page_cache_hits_total",
            "Pages served from the cache.",
            c.hits.load(Ordering::Relaxed) as f64,
        ),
        (
            "sen_page_cache_misses_total",
            "Pages rendered because the cache had none.",
            c.misses.load(Ordering::Relaxed) as f64,
        ),
        (
            "sen_page_cache_bytes",
            "Memory held by cached pages.",
            c.bytes() as f64,
        ),
        (
            "sen_page_cache_pages",
            "Pages in the cache.",
            c.len() as f64,
        ),
        (
            "sen_views_pending",
            "Article views counted but not yet flushed.",
            app.views.pending() as f64,
        ),
        (
            "sen_visits_pending",
            "Visits counted but not yet flushed.",
            app.visitors.pending_visits() as f64,
        ),
        (
            "sen_online_visitors",
            "Visitors seen on this node in the last 5 minutes.",
            app.visitors.online_here() as f64,
        ),
    ];
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(&gauges),
    )
        .into_response()
}
