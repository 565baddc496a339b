//! Static pages: introduction, contact and the like.

use axum::{extract::State, response::Response};
use sen_core::text;

use super::{AcceptsGzip, PageError, cached, serve};
use crate::{
    app::App,
    context::{self, Meta},
    error::PathText,
    read::cache::Dep,
    urls::page_path,
};

pub async fn page(
    State(app): State<App>,
    PathText(slug): PathText,
    gzip: AcceptsGzip,
) -> Result<Response, PageError> {
    let path = page_path(&slug);
    let render_app = app.clone();
    let (page, hit) = cached(&app, path.clone(), || async move {
        let app = render_app;
        let Some(p) = app.store.page_by_slug(&slug).await? else {
            // A renamed page's old address moves permanently to the current one.
            return Err(match app.store.page_redirect(&slug).await? {
                Some(current) => PageError::Moved(page_path(&current)),
                None => PageError::not_found(),
            });
        };
        let chrome = app.read.chrome().await?;
        let mut deps = vec![Dep::Page(p.id)];
        let most_read = app.read.most_read().await?;
        let own = vec![
            (
                "page",
                minijinja::context! {title => p.title.as_str(), body => p.body.as_str(), url => path.as_str()},
            ),
            ("most_read", context::most_read(&chrome, &most_read, &mut deps)),
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
    Ok(serve(&app, &page, gzip, hit))
}
