//! Every route of sen, and the layers of each section, in one place.
//!
//! - the public site (`pages`): visitor, visit, cookie and themed errors around cached pages;
//!   preview links (`preview`) of articles not yet public;
//! - the JSON API (`api`), its OpenAPI document at `/api/v1/openapi.json`;
//! - the admin area (`admin`) at `/admin`: session, same-origin and CSRF checks, its own headers;
//! - operations (`ops`): `/healthz`, `/metrics`;
//! - the theme's files and stored media.
//!
//! Every request first goes through `Observe` (client address, request id, log line, metrics,
//! security headers).

use axum::{Router, routing::get};

use crate::{admin, api, app::App, around::AroundLayer, observe::Observe, ops, pages, preview};

impl App {
    pub fn router(&self) -> Router {
        let public = Router::new()
            .route("/", get(pages::home))
            .route("/chuyen-muc/{slug}", get(pages::category))
            .route("/the/{slug}", get(pages::tag))
            .route("/tin/{file}", get(pages::article))
            .route("/in/{id}", get(pages::print))
            .route("/trang/{slug}", get(pages::page))
            .route("/xem-truoc/{token}", get(preview::show))
            .fallback(pages::not_found)
            .layer(AroundLayer(pages::PublicLayer(self.clone())));
        let (api, _) = api::router();
        Router::new()
            .route("/static/{*file}", get(pages::static_file))
            .route("/media/{*key}", get(pages::media))
            .route("/healthz", get(ops::healthz))
            .route("/metrics", get(ops::metrics))
            .merge(api)
            .merge(admin::router(self))
            .merge(public)
            .layer(AroundLayer(Observe(self.clone())))
            .with_state(self.clone())
    }
}

/// The API's OpenAPI document, as `/api/v1/openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::router().1
}
