//! The reader's pages. Each handler looks in the page cache first; a miss reads the read side,
//! renders the theme and fills the cache. Live values are written in at serve time either way.

mod article;
mod assets;
mod home;
mod lists;
mod static_page;

use std::{net::IpAddr, sync::Arc};

pub use article::{article, print};

/// An article as its public page would show it now, whatever its status: for previews. Not cached,
/// not counted, not indexed.
pub async fn preview_page(app: &App, article: sen_core::Article) -> Result<Response, Error> {
    let views = article.views;
    let (html, _) = article::render_article(app, article)
        .await
        .map_err(|e| match e {
            PageError::Failed(err) => err,
            PageError::Moved(_) => Error::not_found(),
        })?;
    let template = crate::read::cache::Template::parse(html);
    let values = live_values(template.slots().iter().map(|slot| match slot {
        crate::read::cache::Slot::Views => u64::try_from(views).unwrap_or(0),
        other => u64::try_from(app.read.live_value(*other, None)).unwrap_or(0),
    }));
    let mut response = Response::new(Body::new(template.fill(&values)));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    Ok(response)
}
pub use assets::{media, static_file};
pub use home::home;
pub use lists::{category, tag};
pub use static_page::page;

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use minijinja::Value;

use crate::{
    app::App,
    around::Around,
    context::{self, Meta},
    error::{Error, ErrorCode, ErrorPage},
    identity::{
        ClientAddr, FIRST_VISIT_COOKIE, VISITOR_COOKIE, ViewedArticle, Visitor, cookie_value,
        first_visit_cookie, new_visitor_id, parse_first_visit, valid_visitor_id, visitor_cookie,
    },
    read::{
        cache::{CachedPage, live_values},
        live::{VISIT_GAP_SECS, anonymous_key},
    },
};

/// Why a page isn't shown as asked: an error, or the page lives at another address.
#[derive(Debug)]
pub enum PageError {
    Failed(Error),
    /// A stale slug: 301 to the current address.
    Moved(String),
}

impl PageError {
    pub fn not_found() -> Self {
        Self::Failed(Error::not_found())
    }
}

impl<E: Into<Error>> From<E> for PageError {
    fn from(err: E) -> Self {
        Self::Failed(err.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::Failed(err) => err.into_response(),
            Self::Moved(to) => match HeaderValue::from_str(&to) {
                Ok(location) => (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, location)],
                )
                    .into_response(),
                Err(_) => Error::not_found().into_response(),
            },
        }
    }
}

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

/// Whether the client takes gzip, read from the request's headers in place (taking the whole
/// `HeaderMap` would copy it on every request).
pub struct AcceptsGzip(pub bool);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AcceptsGzip {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(accepts_gzip(&parts.headers)))
    }
}

/// Writes the live values into a page, gzipped when the client takes it.
fn serve(app: &App, page: &CachedPage, AcceptsGzip(gzip): AcceptsGzip, hit: bool) -> Response {
    let values = live_values(
        page.template
            .slots()
            .iter()
            .map(|slot| u64::try_from(app.read.live_value(*slot, page.article)).unwrap_or(0)),
    );
    let body = if gzip {
        page.gzip(&values)
    } else {
        page.plain(&values)
    };
    let mut response = Response::new(Body::new(body));
    let h = response.headers_mut();
    // Room for every header the layers add (cookies, request id, security headers, length):
    // growing the map on the way cost more than the inserts.
    h.reserve(16);
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

/// What a miss renders: the HTML, what it shows (for invalidation) and the article whose views it
/// shows.
type Rendered = (String, Vec<crate::read::cache::Dep>, Option<i64>);

/// How long a reader waits for a page past its time to be rendered again before the old one is
/// served (the render goes on and replaces it when done).
const STALE_WAIT: std::time::Duration = std::time::Duration::from_millis(300);

/// A page from the cache, or rendered by `render` and then cached. A page past its time is
/// rendered again; while the database is away (or the render is slow) the old one is served, with
/// live values, rather than a 503.
async fn cached<F, Fut>(
    app: &App,
    key: String,
    render: F,
) -> Result<(Arc<CachedPage>, bool), PageError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Rendered, PageError>> + Send + 'static,
{
    let cache = &app.read.cache;
    if let Some(page) = cache.get(&key) {
        return Ok((page, true));
    }
    let stale = cache.expired(&key);
    let generation = cache.generation();
    let render_app = app.clone();
    // Boxed, and only on a miss: held in place, the render's state would be part of every
    // request's future (which the router boxes), hits included.
    let render = Box::pin(async move {
        let (html, deps, article) = render().await?;
        let page = Arc::new(CachedPage::new(html, deps, article));
        render_app.read.cache.insert(key, page.clone(), generation);
        Ok::<_, PageError>(page)
    });
    let Some(stale) = stale else {
        return Ok((render.await?, false));
    };
    if app.read.health.reads_away() {
        return Ok((stale, true));
    }
    // Spawned, so a reader that stops waiting doesn't cancel it halfway.
    match tokio::time::timeout(STALE_WAIT, tokio::spawn(render)).await {
        Ok(Ok(Ok(page))) => Ok((page, false)),
        Ok(Ok(Err(PageError::Failed(err)))) if err.code == ErrorCode::Unavailable => {
            Ok((stale, true))
        }
        Ok(Ok(Err(err))) => Err(err),
        Ok(Err(_)) => Err(Error::new(ErrorCode::Internal, "rendering stopped").into()),
        Err(_) => Ok((stale, true)),
    }
}

/// The layer of the public section: who the visitor is, their visit, their cookie, and the themed
/// error pages.
///
/// A browser's first request has no cookie: its visit is counted under the daily-salted hash of
/// address and User-Agent, and it is given an id with a 30-minute first-visit cookie naming when
/// and what it read. Coming back with both (to this node or another), the id is remembered as
/// standing for that hash, with that view, so it is neither a second visit nor a second view.
#[derive(Clone)]
pub struct PublicLayer(pub App);

impl Around for PublicLayer {
    /// The visitor id given with this answer, if the request came without one.
    type Kept = Option<String>;

    fn before(&self, req: &mut Request) -> Option<String> {
        let app = &self.0;
        let client = req
            .extensions()
            .get::<ClientAddr>()
            .and_then(|c| c.0)
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let bot = app.bots.is_bot(user_agent);
        let visitors = &app.read.visitors;
        let now = app.read.now_secs();
        let counts = !bot && req.method() == Method::GET;
        let mut issued = None;
        let visitor = match cookie_value(req, VISITOR_COOKIE).filter(|v| valid_visitor_id(v)) {
            Some(id) => {
                let key = app.visitor_key(id);
                if counts {
                    // Back with the cookie a node gave it (this one or another): what was counted
                    // there with it is not counted again here.
                    if let Some((issued, article)) =
                        cookie_value(req, FIRST_VISIT_COOKIE).and_then(parse_first_visit)
                        && let Some(at) = app.read.secs_at(issued)
                        && now.saturating_sub(at) <= VISIT_GAP_SECS
                    {
                        let anonymous = anonymous_key(&app.daily_salt(), client, user_agent);
                        visitors.seed(key, anonymous, article, at);
                    }
                    visitors.request(key, now);
                }
                Visitor {
                    key,
                    has_cookie: true,
                    bot,
                }
            }
            None => {
                let anonymous = anonymous_key(&app.daily_salt(), client, user_agent);
                // The visit is counted under the address hash, and the id given is remembered
                // when the browser comes back with it and the first-visit cookie: a client that
                // never keeps cookies costs one entry per address and browser, not one per
                // request. Only a counted request gets the cookies, so that a return always
                // finds its visit counted.
                if counts {
                    visitors.request(anonymous, now);
                    issued = Some(new_visitor_id());
                }
                Visitor {
                    key: anonymous,
                    has_cookie: false,
                    bot,
                }
            }
        };
        req.extensions_mut().insert(visitor);
        issued
    }

    async fn after(self, issued: Option<String>, mut response: Response) -> Response {
        let app = self.0;
        if let Some(ErrorPage(error)) = response.extensions().get::<ErrorPage>().cloned() {
            // Boxed: the rare error page's state would otherwise make every answer's future larger.
            response = Box::pin(error_page(&app, &error)).await;
        }
        if let Some(id) = issued {
            let https = app.config.is_https();
            let viewed = response.extensions().get::<ViewedArticle>().map(|v| v.0);
            let first = first_visit_cookie(app.read.unix_now(), viewed, https);
            for cookie in [visitor_cookie(&id, https), first] {
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
            }
        }
        response
    }
}

pub async fn not_found() -> Error {
    Error::not_found()
}

/// The themed error page; falls back to plain words when even the theme or the store fails.
pub async fn error_page(app: &App, error: &Error) -> Response {
    let status = error.status();
    let (heading_key, message_key) = error.code.message_keys();
    let heading = app.theme.message(heading_key);
    let mut message = app.theme.message(message_key);
    if let Some(field) = &error.field
        && status == StatusCode::BAD_REQUEST
    {
        message = format!("{message} ({field})");
    }
    let html = match app.read.chrome().await {
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
    let mut response = serve(app, &page, AcceptsGzip(false), false);
    *response.status_mut() = status;
    response.headers_mut().remove("x-cache");
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
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
}
