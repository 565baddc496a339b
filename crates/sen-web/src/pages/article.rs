//! An article's page and its print view; reading the article page counts a view.

use std::sync::Arc;

use axum::{Extension, extract::State, http::Method, response::Response};
use sen_core::text;
use time::OffsetDateTime;

use super::{AcceptsGzip, PageError, cached, serve};
use crate::{
    app::App,
    context::{self, Meta},
    error::PathText,
    identity::{ViewedArticle, Visitor},
    read::{cache::Dep, catalog::ListFilter},
    urls::{article_path, category_path, parse_article_file, positive},
};

/// Counts a view of an article page, as the rules say: GET only, no bots, a visitor with our cookie
/// once per 30 minutes, a client without it every time. A view without the cookie is not
/// remembered here: the first-visit cookie given with the answer names the article, and the
/// browser coming back with both is remembered then (`Visitors::seed`), so that view is not
/// counted again — and a client that never comes back takes no room among the views remembered.
///
/// A counted view by a visitor with a cookie carries a mark, so that the booking settles it with
/// the views other nodes counted. Returns whether the view counted.
fn count_view(app: &App, method: &Method, visitor: Option<&Visitor>, article: i64) -> bool {
    let now = app.read.now_secs();
    let Some(visitor) = visitor else { return false };
    if *method != Method::GET || visitor.bot {
        app.read.views.touch(article, now);
        return false;
    }
    if !visitor.has_cookie || app.read.visitors.view_counts(visitor.key, article, now) {
        let mark = visitor
            .has_cookie
            .then(|| (visitor.key as i64, app.read.unix_now()));
        app.read.views.add_view(article, now, mark);
        true
    } else {
        app.read.views.touch(article, now);
        false
    }
}

pub async fn article(
    State(app): State<App>,
    PathText(file): PathText,
    method: Method,
    visitor: Option<Extension<Visitor>>,
    gzip: AcceptsGzip,
) -> Result<Response, PageError> {
    let (slug, id) = parse_article_file(&file).ok_or_else(PageError::not_found)?;
    let key = format!("/tin/{file}");
    let requested_slug = slug.to_string();
    let canonical = file.ends_with(".html");
    let render_app = app.clone();
    let result = cached(&app, key, move || async move {
        let app = render_app;
        let a = app
            .store
            .public_article(id)
            .await?
            .ok_or_else(PageError::not_found)?;
        if a.slug != requested_slug || !canonical {
            return Err(PageError::Moved(article_path(&a.slug, a.id)));
        }
        app.read.views.observe(a.id, a.views);
        let (html, deps) = render_article(&app, a).await?;
        Ok((html, deps, Some(id)))
    })
    .await;
    let (page, hit) = result?;
    let counted = count_view(&app, &method, visitor.as_deref(), id);
    // The count is written in after counting, so the reader sees their own view.
    let mut response = serve(&app, &page, gzip, hit);
    if counted {
        response.extensions_mut().insert(ViewedArticle(id));
    }
    Ok(response)
}

/// The article's page as readers see it (live values as markers), and what it shows. Previews
/// render through here too, so a preview is exactly the public page.
pub async fn render_article(
    app: &App,
    a: sen_core::Article,
) -> Result<(String, Vec<Dep>), PageError> {
    let chrome = app.read.chrome().await?;
    let mut deps = vec![Dep::Article(a.id), Dep::Category(a.category_id)];
    deps.extend(a.tags.iter().map(|t| Dep::Tag(t.id)));
    let tag_ids: Vec<i64> = a.tags.iter().map(|t| t.id).collect();
    let now = OffsetDateTime::now_utc();
    let (other, related) = {
        let lists = app.read.lists().await?;
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
    let most_read = app.read.most_read().await?;
    let own = vec![
        ("other_news", context::cards(&chrome, &other, &mut deps)),
        ("related", context::cards(&chrome, &related, &mut deps)),
        (
            "most_read",
            context::most_read(&chrome, &most_read, &mut deps),
        ),
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
    let mut own = own;
    let category_id = a.category_id;
    own.push(("article", context::article(&chrome, Arc::new(a))));
    let ctx = context::page(&chrome, meta, breadcrumbs, Some(category_id), own);
    Ok((app.theme.render("article.html", ctx)?, deps))
}

pub async fn print(
    State(app): State<App>,
    PathText(id): PathText,
    gzip: AcceptsGzip,
) -> Result<Response, PageError> {
    let id = positive(&id).ok_or_else(PageError::not_found)?;
    let render_app = app.clone();
    let (page, hit) = cached(&app, format!("/in/{id}"), move || async move {
        let app = render_app;
        let a = app
            .store
            .public_article(id)
            .await?
            .ok_or_else(PageError::not_found)?;
        let chrome = app.read.chrome().await?;
        let mut meta = Meta::new(Some(a.title.clone()), article_path(&a.slug, a.id));
        meta.description = a.summary.clone();
        let deps = vec![Dep::Article(a.id)];
        let own = vec![("article", context::article(&chrome, Arc::new(a)))];
        let ctx = context::page(&chrome, meta, vec![], None, own);
        Ok((app.theme.render("print.html", ctx)?, deps, None))
    })
    .await?;
    Ok(serve(&app, &page, gzip, hit))
}
