//! Layers that work on a request before the route runs and on its answer after, as plain tower
//! services: the route is called as it is (axum's `from_fn` clones and boxes it on every request,
//! and boxes the call again, which cost more than the work of `observe` on a cached page).

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use axum::{extract::Request, response::Response};
use tower::{Layer, Service};

/// What a layer does around a route: `before` may change the request and keeps what `after`
/// needs; `after` finishes the answer.
pub trait Around: Clone + Send + Sync + 'static {
    type Kept: Send + 'static;

    fn before(&self, req: &mut Request) -> Self::Kept;

    fn after(self, kept: Self::Kept, response: Response) -> impl Future<Output = Response> + Send;
}

/// The tower layer of an [`Around`].
#[derive(Clone)]
pub struct AroundLayer<A>(pub A);

impl<A: Around, S> Layer<S> for AroundLayer<A> {
    type Service = AroundService<A, S>;

    fn layer(&self, inner: S) -> Self::Service {
        AroundService {
            around: self.0.clone(),
            inner,
        }
    }
}

#[derive(Clone)]
pub struct AroundService<A, S> {
    around: A,
    inner: S,
}

impl<A, S> Service<Request> for AroundService<A, S>
where
    A: Around,
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let kept = self.around.before(&mut req);
        // Called now, after `poll_ready` said the inner service is ready: no clone needed.
        let answer = self.inner.call(req);
        let around = self.around.clone();
        Box::pin(async move {
            let Ok(response) = answer.await;
            Ok(around.after(kept, response).await)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, body::Body, routing::get};
    use tower::ServiceExt;

    #[derive(Clone)]
    struct Stamp;

    impl Around for Stamp {
        type Kept = String;

        fn before(&self, req: &mut Request) -> String {
            req.headers_mut()
                .insert("x-seen", axum::http::HeaderValue::from_static("yes"));
            req.uri().path().to_string()
        }

        async fn after(self, path: String, mut response: Response) -> Response {
            if let Ok(value) = axum::http::HeaderValue::from_str(&path) {
                response.headers_mut().insert("x-path", value);
            }
            response
        }
    }

    #[tokio::test]
    async fn the_route_sees_what_before_did_and_after_finishes_the_answer() {
        let app = Router::new()
            .route(
                "/a",
                get(|headers: axum::http::HeaderMap| async move {
                    format!("{:?}", headers.get("x-seen"))
                }),
            )
            .layer(AroundLayer(Stamp));
        for _ in 0..2 {
            let response = app
                .clone()
                .oneshot(Request::get("/a").body(Body::empty()).expect("request"))
                .await
                .expect("answer");
            assert_eq!(response.headers()["x-path"], "/a");
            let body = axum::body::to_bytes(response.into_body(), 1024)
                .await
                .expect("body");
            assert_eq!(&body[..], b"Some(\"yes\")");
        }
    }
}
