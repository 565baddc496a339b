//! Category and tag pages: one list, paged.

use std::sync::Arc;

use axum::{
    extract::{RawQuery, State},
    response::Response,
};
use minijinja::Value;
use time::OffsetDateTime;

use super::{AcceptsGzip, PageError, Rendered, cached, serve};
use crate::{
    app::App,
    context::{self, Meta},
    error::PathText,
    params::{query_number, query_pairs},
    read::{cache::Dep, catalog::ListFilter, chrome::Chrome},
    urls::{category_path, tag_path},
};

const PER_PAGE: i64 = 12;

/// `?page=N`: 1 without it; anything but a plain number up to 100,000 is refused.
fn parse_page_number(query: Option<&str>) -> Result<i64, PageError> {
    Ok(query_number(&query_pairs(query)?, "page", 1, 100_000)?)
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
) -> Result<Rendered, PageError> {
    let mut deps = list.deps;
    let now = OffsetDateTime::now_utc();
    let (total, articles) = {
        let lists = app.read.lists().await?;
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
        return Err(PageError::not_found());
    }
    let most_read = app.read.most_read().await?;
    let own = vec![
        ("kind", Value::from(list.kind)),
        ("heading", Value::from(list.heading.as_str())),
        ("description", Value::from(list.description.as_str())),
        ("articles", context::cards(chrome, &articles, &mut deps)),
        ("subcategories", Value::from(list.subcategories)),
        ("pagination", pagination(&list.path, page, pages)),
        (
            "most_read",
            context::most_read(chrome, &most_read, &mut deps),
        ),
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

/// One page of a list: from the cache, or described by `describe` (which may refuse with 404)
/// and rendered.
async fn serve_list<F, Fut>(
    app: App,
    path: String,
    query: Option<String>,
    gzip: AcceptsGzip,
    describe: F,
) -> Result<Response, PageError>
where
    F: FnOnce(App, Arc<Chrome>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<ListPage, PageError>> + Send + 'static,
{
    let number = parse_page_number(query.as_deref())?;
    let render_app = app.clone();
    let (page, hit) = cached(&app, with_query_key(&path, number), move || async move {
        let chrome = render_app.read.chrome().await?;
        let list = describe(render_app.clone(), chrome.clone()).await?;
        render_list(&render_app, &chrome, list, number).await
    })
    .await?;
    Ok(serve(&app, &page, gzip, hit))
}

pub async fn category(
    State(app): State<App>,
    PathText(slug): PathText,
    RawQuery(query): RawQuery,
    gzip: AcceptsGzip,
) -> Result<Response, PageError> {
    let path = category_path(&slug);
    // Read again by serve_list, which refuses a bad one before this is used.
    let number = parse_page_number(query.as_deref()).unwrap_or(1);
    serve_list(
        app,
        path.clone(),
        query,
        gzip,
        move |app, chrome| async move {
            let Some(c) = chrome.category_by_slug(&slug) else {
                // A renamed category's old address moves permanently to the current one.
                return Err(match app.store.category_redirect(&slug).await? {
                    Some(current) => {
                        PageError::Moved(with_query_key(&category_path(&current), number))
                    }
                    None => PageError::not_found(),
                });
            };
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
            Ok(ListPage {
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
            })
        },
    )
    .await
}

pub async fn tag(
    State(app): State<App>,
    PathText(slug): PathText,
    RawQuery(query): RawQuery,
    gzip: AcceptsGzip,
) -> Result<Response, PageError> {
    let path = tag_path(&slug);
    serve_list(app, path.clone(), query, gzip, |app, _| async move {
        let tag = app
            .store
            .tag_by_slug(&slug)
            .await?
            .ok_or_else(PageError::not_found)?;
        Ok(ListPage {
            kind: "tag",
            heading: format!("{}: {}", app.theme.message("tag_label"), tag.name),
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
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers() {
        assert_eq!(parse_page_number(None).ok(), Some(1));
        assert_eq!(parse_page_number(Some("page=3&utm=x")).ok(), Some(3));
        for bad in [
            "page=abc",
            "page=0",
            "page=-1",
            "page=%201",
            "page=+1",
            "page=100001",
        ] {
            assert!(parse_page_number(Some(bad)).is_err(), "{bad}");
        }
    }
}
