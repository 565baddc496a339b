//! The reader's pages. Each handler looks in the page cache first; a miss reads the store, renders the
//! theme and fills the cache. Live values are written in at serve time either way.

use std::sync::Arc;

use axum::{
    Extension,
    body::Body,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use minijinja::Value;
use sen_core::text;
use time::OffsetDateTime;

use crate::{
    cache::{CachedPage, Dep},
    catalog::ListFilter,
    context::{self, Meta, article_path, category_path, page_path, parse_article_file, tag_path},
    error::WebError,
    middleware::Visitor,
    state::{App, Chrome},
};

const PER_PAGE: i64 = 12;

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                let p = p.trim().replace(' ', "");
                p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
            });
            coding.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// Writes the live values into a page and picks the encoding.
fn serve(app: &App, page: &CachedPage, headers: &HeaderMap, hit: bool) -> Response {
    let values: Vec<String> = page
        .template
        .slots()
        .iter()
        .map(|slot| {
            sen_core::format::number(
                u64::try_from(app.live_value(*slot, page.article)).unwrap_or(0),
            )
        })
        .collect();
    let gzip = accepts_gzip(headers);
    let body = if gzip {
        page.gzip(&values)
    } else {
        page.plain(values)
    };
    let mut response = Response::new(Body::new(body));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        "x-cache",
        HeaderValue::from_static(if hit { "hit" } else { "miss" }),
    );
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

/// A page from the cache, or rendered by `render` (which returns the HTML, its dependencies and the
/// article whose views it shows) and then cached.
async fn cached<F, Fut>(
    app: &App,
    key: String,
    render: F,
) -> Result<(Arc<CachedPage>, bool), WebError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(String, Vec<Dep>, Option<i64>), WebError>>,
{
    if let Some(page) = app.cache.get(&key) {
        return Ok((page, true));
    }
    let generation = app.cache.generation();
    let (html, deps, article) = render().await?;
    let page = Arc::new(CachedPage::new(html, deps, article));
    app.cache.insert(key, page.clone(), generation);
    Ok((page, false))
}

fn parse_page_number(query: Option<&str>) -> Result<i64, WebError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|_| WebError::BadRequest("query string".into()))?;
    match pairs.iter().find(|(k, _)| k == "page") {
        None => Ok(1),
        Some((_, v)) => match v.parse::<i64>() {
            Ok(n) if (1..=100_000).contains(&n) => Ok(n),
            _ => Err(WebError::BadRequest(format!("page={v}"))),
        },
    }
}

fn pagination(path: &str, page: i64, pages: i64) -> Value {
    let url = |n: i64| {
        if n == 1 {
            path.to_string()
        } else {
            format!("{path}?page={n}")
        }
    };
    let mut items = Vec::new();
    for n in 1..=pages {
        if n == 1 || n == pages || (n - page).abs() <= 2 {
            items.push(minijinja::context! {number => n, url => url(n), current => n == page});
        }
    }
    minijinja::context! {
        page => page,
        pages => pages,
        prev_url => if page > 1 { url(page - 1) } else { String::new() },
        next_url => if page < pages { url(page + 1) } else { String::new() },
        items => items,
    }
}

fn with_query_key(path: &str, page: i64) -> String {
    if page == 1 {
        path.to_string()
    } else {
        format!("{path}?page={page}")
    }
}

pub async fn home(State(app): State<App>, headers: HeaderMap) -> Result<Response, WebError> {
    let render_app = app.clone();
    let (page, hit) = cached(&app, "/".into(), || async move {
        let app = render_app;
        let chrome = app.chrome().await?;
        let mut deps = vec![Dep::AnyArticle];
        let now = OffsetDateTime::now_utc();
        let (featured, latest, sections) = {
            let lists = app.lists().await?;
            let featured_only = ListFilter {
                featured: Some(true),
                ..Default::default()
            };
            let featured = lists.list(&featured_only, now, 0, 5);
            let latest = lists.list(&ListFilter::default(), now, 0, 8);
            let mut sections = Vec::new();
            for c in chrome
                .categories
                .iter()
                .filter(|c| c.in_menu && c.parent_id.is_none())
            {
                let filter = ListFilter {
                    categories: chrome.with_descendants(c.id),
                    ..Default::default()
                };
                let list = lists.list(&filter, now, 0, 5);
                if !list.is_empty() {
                    sections.push((c, list));
                }
            }
            (featured, latest, sections)
        };
        let sections: Vec<Value> = sections
            .into_iter()
            .map(|(c, list)| {
                minijinja::context! {
                    category => minijinja::context! {name => c.name.as_str(), url => category_path(&c.slug)},
                    articles => context::cards(&chrome, &list, &mut deps),
                }
            })
            .collect();
        let most_read = app.most_read().await?;
        let own = vec![
            ("featured", context::cards(&chrome, &featured, &mut deps)),
            ("latest", context::cards(&chrome, &latest, &mut deps)),
            ("sections", Value::from(sections)),
            ("most_read", context::cards(&chrome, &most_read, &mut deps)),
        ];
        let mut meta = Meta::new(None, "/");
        meta.image = chrome.site.banner_url.clone();
        let ctx = context::page(&chrome, meta, vec![], None, own);
        Ok((app.theme.render("home.html", ctx)?, deps, None))
    })
    .await?;
    Ok(serve(&app, &page, &headers, hit))
}

/// A category or tag list page.
struct ListPage {
    kind: &'static str,
    heading: String,
    description: String,
    path: String,
    filter: ListFilter,
    deps: Vec<Dep>,
    subcategories: Vec<Value>,
    breadcrumbs: Vec<(String, String)>,
    active: Option<i64>,
}

async fn render_list(
    app: &App,
    chrome: &Arc<Chrome>,
    list: ListPage,
    page: i64,
) -> Result<(String, Vec<Dep>, Option<i64>), WebError> {
    let mut deps = list.deps;
    let now = OffsetDateTime::now_utc();
    let (total, articles) = {
        let lists = app.lists().await?;
        let total = lists.count(&list.filter, now);
        let offset = usize::try_from((page - 1) * PER_PAGE).unwrap_or(usize::MAX);
        (
            total,
            lists.list(&list.filter, now, offset, PER_PAGE as usize),
        )
    };
    let total = i64::try_from(total).unwrap_or(i64::MAX);
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    if page > pages {
        return Err(WebError::NotFound);
    }
    let most_read = app.most_read().await?;
    let own = vec![
        ("kind", Value::from(list.kind)),
        ("heading", Value::from(list.heading.as_str())),
        ("description", Value::from(list.description.as_str())),
        ("articles", context::cards(chrome, &articles, &mut deps)),
        ("subcategories", Value::from(list.subcategories)),
        ("pagination", pagination(&list.path, page, pages)),
        ("most_read", context::cards(chrome, &most_read, &mut deps)),
    ];
    let title = if page > 1 {
        format!("{} – {} {page}", list.heading, app.theme.message("page"))
    } else {
        list.heading.clone()
    };
    let mut meta = Meta::new(Some(title), with_query_key(&list.path, page));
    meta.description = list.description.clone();
    let ctx = context::page(chrome, meta, list.breadcrumbs, list.active, own);
    Ok((app.theme.render("list.html", ctx)?, deps, None))
}

pub async fn category(
    State(app): State<App>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let page = parse_page_number(query.as_deref())?;
    let path = category_path(&slug);
    let render_app = app.clone();
    let (page, hit) = cached(&app, with_query_key(&path, page), || async move {
        let app = render_app;
        let chrome = app.chrome().await?;
        let c = chrome
            .category_by_slug(&slug)
            .ok_or(WebError::NotFound)?
            .clone();
        let ids = chrome.with_descendants(c.id);
        let breadcrumbs: Vec<(String, String)> = chrome
            .trail(c.id)
            .into_iter()
            .map(|k| (k.name.clone(), category_path(&k.slug)))
            .collect();
        let subcategories = chrome
            .categories
            .iter()
            .filter(|k| k.parent_id == Some(c.id))
            .map(|k| minijinja::context! {name => k.name.as_str(), url => category_path(&k.slug)})
            .collect();
        let list = ListPage {
            kind: "category",
            heading: c.name.clone(),
            description: c.description.clone(),
            path,
            deps: ids.iter().map(|id| Dep::Category(*id)).collect(),
            filter: ListFilter {
                categories: ids,
                ..Default::default()
            },
            subcategories,
            breadcrumbs,
            active: Some(c.id),
        };
        render_list(&app, &chrome, list, page).await
    })
    .await?;
    Ok(serve(&app, &page, &headers, hit))
}

pub async fn tag(
    State(app): State<App>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let page = parse_page_number(query.as_deref())?;
    let path = tag_path(&slug);
    let render_app = app.clone();
    let (page, hit) = cached(&app, with_query_key(&path, page), || async move {
        let app = render_app;
        let chrome = app.chrome().await?;
        let tag = app
            .store
            .tag_by_slug(&slug)
            .await?
            .ok_or(WebError::NotFound)?;
        let heading = format!("{}: {}", app.theme.message("tag_label"), tag.name);
        let list = ListPage {
            kind: "tag",
            heading,
            description: String::new(),
            breadcrumbs: vec![(tag.name.clone(), path.clone())],
            path,
            deps: vec![Dep::Tag(tag.id)],
            filter: ListFilter {
                tag: Some(tag.id),
                ..Default::default()
            },
            subcategories: Vec::new(),
            active: None,
        };
        render_list(&app, &chrome, list, page).await
    })
    .await?;
    Ok(serve(&app, &page, &headers, hit))
}

/// Counts a view of an article page, as the rules say: GET only, no bots, and a visitor with our
/// cookie once per 30 minutes.
fn count_view(app: &App, method: &Method, visitor: Option<&Visitor>, article: i64) {
    let now = app.now_secs();
    let Some(visitor) = visitor else { return };
    if *method != Method::GET || visitor.bot {
        app.views.touch(article, now);
        return;
    }
    if !visitor.has_cookie || app.visitors.view_counts(visitor.key, article, now) {
        app.views.add_view(article, now);
    } else {
        app.views.touch(article, now);
    }
}

pub async fn article(
    State(app): State<App>,
    Path(file): Path<String>,
    method: Method,
    visitor: Option<Extension<Visitor>>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (slug, id) = parse_article_file(&file).ok_or(WebError::NotFound)?;
    let key = format!("/tin/{file}");
    let requested_slug = slug.to_string();
    let canonical = file.ends_with(".html");
    let render_app = app.clone();
    let result = cached(&app, key, || async move {
        let app = render_app;
        let a = app
            .store
            .public_article(id)
            .await?
            .ok_or(WebError::NotFound)?;
        if a.slug != requested_slug || !canonical {
            return Err(WebError::Moved(article_path(&a.slug, a.id)));
        }
        app.views.observe(a.id, a.views);
        let chrome = app.chrome().await?;
        let mut deps = vec![Dep::Article(a.id), Dep::Category(a.category_id)];
        deps.extend(a.tags.iter().map(|t| Dep::Tag(t.id)));
        let tag_ids: Vec<i64> = a.tags.iter().map(|t| t.id).collect();
        let now = OffsetDateTime::now_utc();
        let (other, related) = {
            let lists = app.lists().await?;
            let same_category = ListFilter {
                categories: vec![a.category_id],
                exclude: Some(a.id),
                ..Default::default()
            };
            (
                lists.list(&same_category, now, 0, 6),
                lists.related(a.id, &tag_ids, now, 6),
            )
        };
        let most_read = app.most_read().await?;
        let own = vec![
            ("other_news", context::cards(&chrome, &other, &mut deps)),
            ("related", context::cards(&chrome, &related, &mut deps)),
            ("most_read", context::cards(&chrome, &most_read, &mut deps)),
        ];
        let mut breadcrumbs: Vec<(String, String)> = chrome
            .trail(a.category_id)
            .into_iter()
            .map(|k| (k.name.clone(), category_path(&k.slug)))
            .collect();
        breadcrumbs.push((a.title.clone(), article_path(&a.slug, a.id)));
        let mut meta = Meta::new(Some(a.title.clone()), article_path(&a.slug, a.id));
        meta.description = if a.summary.is_empty() {
            text::strip_tags(&a.body)
        } else {
            a.summary.clone()
        };
        meta.og_type = "article";
        meta.image = a.cover_url.clone();
        meta.published_iso = sen_core::format::rfc3339(a.published_at.unwrap_or(a.created_at));
        meta.modified_iso = sen_core::format::rfc3339(a.updated_at);
        let id = a.id;
        let mut own = own;
        let category_id = a.category_id;
        own.push(("article", context::article(&chrome, Arc::new(a))));
        let ctx = context::page(&chrome, meta, breadcrumbs, Some(category_id), own);
        Ok((app.theme.render("article.html", ctx)?, deps, Some(id)))
    })
    .await;
    let (page, hit) = result?;
    count_view(&app, &method, visitor.as_deref(), id);
    // The count is written in after counting, so the reader sees their own view.
    Ok(serve(&app, &page, &headers, hit))
}

pub async fn print(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let id: i64 = id
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(WebError::NotFound)?;
    let render_app = app.clone();
    let (page, hit) = cached(&app, format!("/in/{id}"), || async move {
        let app = render_app;
        let a = app
            .store
            .public_article(id)
            .await?
            .ok_or(WebError::NotFound)?;
        let chrome = app.chrome().await?;
        let mut meta = Meta::new(Some(a.title.clone()), article_path(&a.slug, a.id));
        meta.description = a.summary.clone();
        let deps = vec![Dep::Article(a.id)];
        let own = vec![("article", context::article(&chrome, Arc::new(a)))];
        let ctx = context::page(&chrome, meta, vec![], None, own);
        Ok((app.theme.render("print.html", ctx)?, deps, None))
    })
    .await?;
    Ok(serve(&app, &page, &headers, hit))
}

pub async fn page(
    State(app): State<App>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let path = page_path(&slug);
    let render_app = app.clone();
    let (page, hit) = cached(&app, path.clone(), || async move {
        let app = render_app;
        let p = app
            .store
            .page_by_slug(&slug)
            .await?
            .ok_or(WebError::NotFound)?;
        let chrome = app.chrome().await?;
        let mut deps = vec![Dep::Page(p.id)];
        let most_read = app.most_read().await?;
        let own = vec![
            (
                "page",
                minijinja::context! {title => p.title.as_str(), body => p.body.as_str(), url => path.as_str()},
            ),
            ("most_read", context::cards(&chrome, &most_read, &mut deps)),
        ];
        let mut meta = Meta::new(Some(p.title.clone()), path.clone());
        meta.description = text::strip_tags(&p.body);
        let ctx = context::page(
            &chrome,
            meta,
            vec![(p.title.clone(), path.clone())],
            None,
            own,
        );
        Ok((app.theme.render("page.html", ctx)?, deps, None))
    })
    .await?;
    Ok(serve(&app, &page, &headers, hit))
}

pub async fn not_found() -> WebError {
    WebError::NotFound
}

/// The themed error page; falls back to plain words when even the theme or the store fails.
pub async fn error_page(app: &App, status: StatusCode, detail: &str) -> Response {
    let (heading_key, message_key) = match status {
        StatusCode::NOT_FOUND => ("error_404_title", "error_404_message"),
        StatusCode::BAD_REQUEST => ("error_400_title", "error_400_message"),
        _ => ("error_500_title", "error_500_message"),
    };
    let heading = app.theme.message(heading_key);
    let mut message = app.theme.message(message_key);
    if !detail.is_empty() {
        message = format!("{message} ({detail})");
    }
    let html = match app.chrome().await {
        Ok(chrome) => {
            let own = vec![
                ("status", Value::from(status.as_u16())),
                ("heading", Value::from(heading.as_str())),
                ("message", Value::from(message.as_str())),
            ];
            let meta = Meta::new(Some(heading.clone()), "");
            let ctx = context::page(&chrome, meta, vec![], None, own);
            app.theme.render("error.html", ctx).ok()
        }
        Err(_) => None,
    };
    let html = html.unwrap_or_else(|| {
        format!(
            "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>{0}</title><h1>{0}</h1><p>{1}</p></html>",
            html_escape(&heading),
            html_escape(&message)
        )
    });
    // Error pages have no live values worth a cache entry; markers are simply filled in.
    let page = CachedPage::new(html, vec![], None);
    let mut response = serve(app, &page, &HeaderMap::new(), false);
    *response.status_mut() = status;
    response.headers_mut().remove("x-cache");
    response
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub async fn static_file(State(app): State<App>, Path(file): Path<String>) -> Response {
    match app.theme.static_file(&file) {
        Some(f) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(f.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
            ],
            f.bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

pub async fn media(State(app): State<App>, Path(key): Path<String>) -> Response {
    match app.store.media(&key).await {
        Ok(Some(m)) => {
            let content_type = HeaderValue::from_str(&m.content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            (
                [
                    (header::CONTENT_TYPE, content_type),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("public, max-age=86400"),
                    ),
                    (
                        header::X_CONTENT_TYPE_OPTIONS,
                        HeaderValue::from_static("nosniff"),
                    ),
                ],
                m.data,
            )
                .into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, "not found").into_response(),
        Err(err) => {
            tracing::error!(error = %err, "reading media failed");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_acceptance() {
        let mut h = HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br"),
        );
        assert!(accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br;q=1.0, gzip;q=0"),
        );
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        assert!(!accepts_gzip(&h));
    }

    #[test]
    fn page_numbers() {
        assert_eq!(parse_page_number(None).ok(), Some(1));
        assert_eq!(parse_page_number(Some("page=3&utm=x")).ok(), Some(3));
        assert!(parse_page_number(Some("page=abc")).is_err());
        assert!(parse_page_number(Some("page=0")).is_err());
        assert!(parse_page_number(Some("page=-1")).is_err());
    }
}
