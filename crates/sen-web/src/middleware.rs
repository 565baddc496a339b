use std::{
    net::{IpAddr, SocketAddr},
    sync::atomic::{AtomicU64, Ordering},
    time::Instant,
};

use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::{HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use ipnet::IpNet;

use crate::{error::ErrorPage, live::anonymous_key, public, state::App};

pub const VISITOR_COOKIE: &str = "sen_v";

/// The client's address: the peer, or what a trusted proxy says in `X-Forwarded-For`.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

/// Who is reading: a key for the visitor, and whether it came from our cookie.
#[derive(Debug, Clone, Copy)]
pub struct Visitor {
    pub key: u64,
    pub has_cookie: bool,
    pub bot: bool,
}

static REQUEST_ID: AtomicU64 = AtomicU64::new(0);

/// The rightmost address in `X-Forwarded-For` that is not one of our proxies.
pub fn client_address(peer: IpAddr, forwarded: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return peer;
    }
    let Some(forwarded) = forwarded else {
        return peer;
    };
    let mut client = peer;
    for hop in forwarded.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.iter().any(|net| net.contains(&ip)) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// On every request: the client address, a request id, one log line, and metrics by route.
pub async fn observe(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let client = client_address(peer, forwarded, &app.config.trusted_proxies);
    req.extensions_mut().insert(ClientAddr(client));
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let seq = REQUEST_ID.fetch_add(1, Ordering::Relaxed);
    let mut response = next.run(req).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let id = format!("{}-{seq:x}", app.config.node_id);
    tracing::info!(target: "sen::http", id = %id, %method, path = uri.path(), status, micros = elapsed.as_micros() as u64, client = %client);
    app.metrics.request(
        route.as_ref().map_or("unmatched", |r| r.as_str()),
        status,
        elapsed,
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn cookie_value<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn valid_visitor_id(value: &str) -> bool {
    value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// On public pages: who the visitor is, their visit, their cookie, and the themed error pages.
pub async fn public_page(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let client = req
        .extensions()
        .get::<ClientAddr>()
        .map(|c| c.0)
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let bot = !user_agent.is_empty() && app.bots.is_bot(user_agent);
    let cookie = cookie_value(&req, VISITOR_COOKIE).filter(|v| valid_visitor_id(v));
    let has_cookie = cookie.is_some();
    let visitor = match cookie {
        Some(id) => Visitor {
            key: app.visitors.cookie_key(id),
            has_cookie: true,
            bot,
        },
        None => Visitor {
            key: anonymous_key(&app.daily_salt(), client, user_agent),
            has_cookie: false,
            bot,
        },
    };
    let counts = !bot && matches!(*req.method(), Method::GET | Method::HEAD);
    if counts {
        app.visitors.request(visitor.key, app.now_secs());
    }
    req.extensions_mut().insert(visitor);
    let mut response = next.run(req).await;
    if let Some(error) = response.extensions().get::<ErrorPage>().cloned() {
        response = public::error_page(&app, error.status, &error.detail)
            .await
            .into_response();
    }
    if !has_cookie && !bot {
        let id: u128 = rand::random();
        let cookie =
            format!("{VISITOR_COOKIE}={id:032x}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.2".parse().expect("ip");
        let trusted: Vec<IpNet> = vec!["10.0.0.0/24".parse().expect("net")];
        let outsider: IpAddr = "203.0.113.9".parse().expect("ip");
        assert_eq!(
            client_address(outsider, Some("1.2.3.4"), &trusted),
            outsider
        );
        assert_eq!(
            client_address(proxy, Some("1.2.3.4"), &trusted),
            "1.2.3.4".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(
            client_address(proxy, Some("6.6.6.6, 1.2.3.4, 10.0.0.1"), &trusted),
            "1.2.3.4".parse::<IpAddr>().expect("ip"),
            "the client's own claims left of the first untrusted hop are ignored"
        );
        assert_eq!(client_address(proxy, Some("junk"), &trusted), proxy);
        assert_eq!(client_address(proxy, None, &trusted), proxy);
    }

    #[test]
    fn visitor_ids_are_validated() {
        assert!(valid_visitor_id("0123456789abcdef0123456789abcdef"));
        assert!(!valid_visitor_id("xyz"));
        assert!(!valid_visitor_id("0123456789abcdef0123456789abcdeg"));
    }
}
