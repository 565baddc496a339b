//! The JSON API under `/api/v1`, with its OpenAPI document made from the same code: reads for
//! anyone, writes (the site identity, categories, pages) for a bearer token the policy allows.

mod auth;
mod files;
mod newsroom;
mod types;
mod writes;

use std::collections::HashMap;

use axum::{
    Json, Router,
    extract::{RawQuery, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::{any, get},
};
use sen_core::{Article, format};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use types::*;

use crate::{
    app::App,
    error::{Error, ErrorCode},
    params::{query_number, query_pairs},
    read::{
        cache::Slot,
        catalog::{Entry, ListFilter},
        chrome::Chrome,
    },
    urls::{article_path, positive, tag_path},
};

const MAX_PER_PAGE: i64 = 100;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sen JSON API",
        version = "1",
        description = "Published articles, categories and visit figures of a sen portal; with an \
                       API token, the article desk (write, change, submit, publish, trash, \
                       revisions) and writes of the site identity, categories and pages \
                       (`Authorization: Bearer sen_…`, made by `sen token create`). Every error \
                       answers `{\"error\":{\"code\",\"message\",\"field\"}}`."
    ),
    modifiers(&BearerToken),
    tags((name = "articles"), (name = "media"), (name = "categories"), (name = "pages"), (name = "site"), (name = "stats"))
)]
struct ApiDoc;

/// The `bearer` security scheme the write endpoints name.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token of `sen token create`: `sen_` and 43 characters",
                    ))
                    .build(),
            ),
        );
    }
}

/// The API's routes with their OpenAPI document: every route is registered through `routes!`, so
/// the document lists exactly what the router serves.
pub fn router() -> (Router<App>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            "/api/v1",
            OpenApiRouter::new()
                .routes(routes!(articles, newsroom::create_article))
                .routes(routes!(
                    newsroom::article,
                    newsroom::update_article,
                    newsroom::delete_article
                ))
                .routes(routes!(newsroom::revisions))
                .routes(routes!(files::delete))
                // Uploads stream to disk and are bounded per kind of file as they come in.
                .merge(
                    OpenApiRouter::new()
                        .routes(routes!(files::upload))
                        .layer(axum::extract::DefaultBodyLimit::disable()),
                )
                .routes(routes!(categories, writes::create_category))
                .routes(routes!(writes::update_category, writes::delete_category))
                .routes(routes!(pages, writes::create_page))
                .routes(routes!(writes::update_page, writes::delete_page))
                .routes(routes!(site, writes::put_site))
                .routes(routes!(stats)),
        )
        .split_for_parts();
    let json = serde_json::to_vec(&doc).unwrap_or_default();
    let router = router
        .route(
            "/api/v1/openapi.json",
            get(move || async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    )],
                    json,
                )
            }),
        )
        .route(
            "/api/v1/{*rest}",
            any(|| async { ApiError::Failed(Error::not_found()) }),
        );
    (router, doc)
}

/// An error as the API answers it: the taxonomy's status and code, as JSON; or a refusal of the
/// caller (401, 403), in the same shape.
#[derive(Debug)]
pub enum ApiError {
    Failed(Error),
    /// No valid bearer token; `presented` when one was sent but is not good.
    Unauthorized {
        presented: bool,
    },
    /// The token's user may not do this.
    Forbidden,
}

impl<E: Into<Error>> From<E> for ApiError {
    fn from(err: E) -> Self {
        Self::Failed(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let refusal = |code, message: &str| {
            let err = Error::new(code, message);
            (err.status(), Json(ErrorBody::from(&err))).into_response()
        };
        match self {
            Self::Failed(err) => {
                let mut response = (err.status(), Json(ErrorBody::from(&err))).into_response();
                if err.code == ErrorCode::Unavailable {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                }
                response
            }
            Self::Unauthorized { presented } => {
                let mut response = refusal(
                    ErrorCode::Unauthorized,
                    "an API token is needed: Authorization: Bearer <token>",
                );
                // RFC 6750: a challenge always; the error only when a token was sent.
                let challenge = if presented {
                    "Bearer realm=\"sen\", error=\"invalid_token\""
                } else {
                    "Bearer realm=\"sen\""
                };
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                );
                response
            }
            Self::Forbidden => refusal(ErrorCode::Forbidden, "this account's role may not do this"),
        }
    }
}

fn category_ref(chrome: &Chrome, id: i64) -> Option<CategoryRef> {
    chrome.category(id).map(|c| CategoryRef {
        id: c.id,
        name: c.name.clone(),
        slug: c.slug.clone(),
    })
}

fn item(app: &App, chrome: &Chrome, a: &Entry, stored_views: i64) -> ArticleItem {
    let text = |v: &minijinja::Value| v.as_str().unwrap_or_default().to_string();
    ArticleItem {
        id: a.id,
        title: text(&a.card.title),
        url: format!("{}{}", app.config.base_url, text(&a.card.url)),
        summary: text(&a.card.summary),
        category: category_ref(chrome, a.category_id),
        published_at: text(&a.card.iso),
        views: app.read.views.current(a.id, stored_views),
    }
}

/// Published articles, newest first.
#[utoipa::path(
    get,
    path = "/articles",
    tag = "articles",
    params(ListQuery),
    responses(
        (status = 200, description = "One page of the list", body = ArticlePage),
        (status = 400, description = "A parameter can't be read; `field` names it", body = ErrorBody),
        (status = 404, description = "No such category", body = ErrorBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
async fn articles(
    State(app): State<App>,
    RawQuery(query): RawQuery,
) -> Result<Json<ArticlePage>, ApiError> {
    let params = query_pairs(query.as_deref())?;
    let per_page = query_number(&params, "per_page", 20, MAX_PER_PAGE)?;
    let page = query_number(&params, "page", 1, 1_000_000)?;
    let chrome = app.read.chrome().await?;
    let mut filter = ListFilter::default();
    if let Some((_, c)) = params.iter().find(|(k, _)| k == "category") {
        let found = match positive(c) {
            Some(id) => chrome.category(id),
            None => chrome.category_by_slug(c),
        };
        let found = found.ok_or_else(|| {
            Error::new(ErrorCode::NotFound, format!("no category {c:?}")).with_field("category")
        })?;
        filter.categories = chrome.with_descendants(found.id);
    }
    let now = time::OffsetDateTime::now_utc();
    let offset = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let (total, list) = {
        let lists = app.read.lists().await?;
        let total = lists.count(&filter, now);
        (total, lists.list(&filter, now, offset, per_page as usize))
    };
    // The catalogue keeps no counts: the stored totals are read for this page.
    let ids: Vec<i64> = list.iter().map(|a| a.id).collect();
    let stored: HashMap<i64, i64> = app.store.article_views(&ids).await?.into_iter().collect();
    let items = list
        .iter()
        .map(|a| item(&app, &chrome, a, stored.get(&a.id).copied().unwrap_or(0)))
        .collect();
    Ok(Json(ArticlePage {
        items,
        total: i64::try_from(total).unwrap_or(i64::MAX),
        page,
        per_page,
    }))
}

fn detail(app: &App, chrome: &Chrome, a: Article) -> ArticleDetail {
    let base = &app.config.base_url;
    let published = a.published_at.unwrap_or(a.created_at);
    ArticleDetail {
        item: ArticleItem {
            id: a.id,
            title: a.title,
            url: format!("{base}{}", article_path(&a.slug, a.id)),
            summary: a.summary,
            category: category_ref(chrome, a.category_id),
            published_at: format::rfc3339(published),
            views: app.read.views.current(a.id, a.views),
        },
        body: a.body,
        byline: a.byline,
        author: a.author,
        tags: a
            .tags
            .into_iter()
            .map(|t| TagRef {
                url: format!("{base}{}", tag_path(&t.slug)),
                id: t.id,
                name: t.name,
                slug: t.slug,
            })
            .collect(),
        source: Source {
            name: a.source_name,
            url: a.source_url,
        },
        cover: Cover {
            url: a.cover_url,
            caption: a.cover_caption,
        },
        created_at: format::rfc3339(a.created_at),
        updated_at: format::rfc3339(a.updated_at),
        status: newsroom::status_name(a.status).to_string(),
        version: a.version,
        featured: a.featured,
        publish_at: a.published_at.map(format::rfc3339),
        unpublish_at: a.unpublish_at.map(format::rfc3339),
        correction: a.corrected_at.map(|at| Correction {
            note: a.correction_note,
            at: format::rfc3339(at),
        }),
    }
}

/// Every category, in menu order.
#[utoipa::path(
    get,
    path = "/categories",
    tag = "categories",
    responses(
        (status = 200, description = "The categories", body = CategoryList),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
async fn categories(State(app): State<App>) -> Result<Json<CategoryList>, ApiError> {
    let chrome = app.read.chrome().await?;
    let base = &app.config.base_url;
    let items = chrome
        .categories
        .iter()
        .map(|c| writes::category_item(base, c))
        .collect();
    Ok(Json(CategoryList { items }))
}

/// The site identity, as the footer shows it.
#[utoipa::path(
    get,
    path = "/site",
    tag = "site",
    responses(
        (status = 200, description = "The identity", body = SiteBody),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
async fn site(State(app): State<App>) -> Result<Json<SiteBody>, ApiError> {
    let chrome = app.read.chrome().await?;
    Ok(Json(chrome.site.clone().into()))
}

/// Every static page, in menu order.
#[utoipa::path(
    get,
    path = "/pages",
    tag = "pages",
    responses(
        (status = 200, description = "The pages", body = PageList),
        (status = 503, description = "The database did not answer", body = ErrorBody),
    )
)]
async fn pages(State(app): State<App>) -> Result<Json<PageList>, ApiError> {
    let chrome = app.read.chrome().await?;
    let base = &app.config.base_url;
    let items = chrome
        .pages
        .iter()
        .map(|p| writes::page_item(base, p.clone()))
        .collect();
    Ok(Json(PageList { items }))
}

/// Visit figures, live.
#[utoipa::path(
    get,
    path = "/stats",
    tag = "stats",
    responses((status = 200, description = "The figures", body = Stats))
)]
async fn stats(State(app): State<App>) -> Json<Stats> {
    let value = |slot| app.read.live_value(slot, None);
    Json(Stats {
        online: value(Slot::Online),
        today: value(Slot::Today),
        week: value(Slot::Week),
        total: value(Slot::Total),
    })
}

#[cfg(test)]
mod tests {
    /// Only what `routes!` registers is in the document: every other `.route(` here must be one
    /// of the two that are not API operations (the document itself and the JSON 404).
    #[test]
    fn every_api_route_is_registered_for_the_document() {
        let source = include_str!("mod.rs");
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        assert_eq!(code.matches(".route(").count(), 2);
        assert_eq!(
            super::router().1.paths.paths.len(),
            code.matches(".routes(routes!(").count()
        );
    }
}
