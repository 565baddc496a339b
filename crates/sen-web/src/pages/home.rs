//! The home page: featured, latest, the newest of each category, most read.

use axum::{extract::State, response::Response};
use minijinja::Value;
use time::OffsetDateTime;

use super::{AcceptsGzip, PageError, cached, serve};
use crate::{
    app::App,
    context::{self, Meta},
    read::{cache::Dep, catalog::ListFilter},
    urls::category_path,
};

pub async fn home(State(app): State<App>, gzip: AcceptsGzip) -> Result<Response, PageError> {
    let render_app = app.clone();
    let (page, hit) = cached(&app, "/".into(), || async move {
        let app = render_app;
        let chrome = app.read.chrome().await?;
        let mut deps = vec![Dep::AnyArticle];
        let now = OffsetDateTime::now_utc();
        let (featured, latest, sections) = {
            let lists = app.read.lists().await?;
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
        let most_read = app.read.most_read().await?;
        let own = vec![
            ("featured", context::cards(&chrome, &featured, &mut deps)),
            ("latest", context::cards(&chrome, &latest, &mut deps)),
            ("sections", Value::from(sections)),
            ("most_read", context::most_read(&chrome, &most_read, &mut deps)),
        ];
        let mut meta = Meta::new(None, "/");
        meta.image = chrome.site.banner_url.clone();
        let ctx = context::page(&chrome, meta, vec![], None, own);
        Ok((app.theme.render("home.html", ctx)?, deps, None))
    })
    .await?;
    Ok(serve(&app, &page, gzip, hit))
}
