//! Who is asking: the client's address (believing `X-Forwarded-For` only from trusted proxies) and,
//! on public pages, the visitor (sen's first-party cookie, or a daily-salted hash).

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::Request,
    http::{HeaderMap, header},
};
use ipnet::IpNet;

pub const VISITOR_COOKIE: &str = "sen_v";

/// Given with a new visitor cookie for 30 minutes: when it was given and the article viewed then,
/// so another node the browser comes back to counts neither the view nor the visit again.
/// A browser can only use it to be counted less, so it needs no signature.
pub const FIRST_VISIT_COOKIE: &str = "sen_f";

/// The client's address: the peer, or what a trusted proxy says in `X-Forwarded-For`; `None` when a
/// trusted proxy names it in a form that can't be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

/// Who is reading.
#[derive(Debug, Clone, Copy)]
pub struct Visitor {
    /// The key their visits and views are remembered under: their cookie's, or without one the
    /// daily-salted hash of address and User-Agent (their visit's).
    pub key: u64,
    /// Came with sen's cookie. A client without it is counted on every view: it can't be told apart.
    pub has_cookie: bool,
    pub bot: bool,
}

/// Known bots by User-Agent (`isbot`'s patterns), remembering the answer for the User-Agents seen
/// lately: the pattern match cost more than the rest of a cached page's bookkeeping, and a site's
/// traffic comes from a few hundred browsers' strings.
#[derive(Default)]
pub struct BotCheck {
    patterns: isbot::Bots,
    seen: parking_lot::RwLock<std::collections::HashMap<Box<str>, bool>>,
}

/// User-Agents remembered at most; past it the memory starts again.
const BOT_ANSWERS: usize = 4096;

impl BotCheck {
    pub fn is_bot(&self, user_agent: &str) -> bool {
        if user_agent.is_empty() {
            return false;
        }
        if let Some(answer) = self.seen.read().get(user_agent) {
            return *answer;
        }
        let answer = self.patterns.is_bot(user_agent);
        let mut seen = self.seen.write();
        if seen.len() >= BOT_ANSWERS {
            seen.clear();
        }
        seen.insert(user_agent.into(), answer);
        answer
    }
}

/// One hop of `X-Forwarded-For` as proxies write it: an address, with or without a port, IPv6 in
/// brackets or bare.
fn forwarded_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = hop.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    hop.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse().ok())
}

/// The rightmost address in `X-Forwarded-For` that is not one of our proxies. From a trusted proxy,
/// a hop that can't be read makes the client unknown: never the proxy's own address.
pub fn client_address(peer: IpAddr, forwarded: Option<&str>, trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let Some(forwarded) = forwarded else {
        // The proxy's own request (a health check): no one forwarded it.
        return Some(peer);
    };
    let mut client = None;
    for hop in forwarded.rsplit(',') {
        let ip = forwarded_hop(hop)?;
        client = Some(ip);
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// Every `X-Forwarded-For` header of a request as one list (proxies may add a header each).
pub fn forwarded_for(headers: &HeaderMap) -> Option<String> {
    let mut values = headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or("?"))
        .peekable();
    values.peek()?;
    Some(values.collect::<Vec<_>>().join(","))
}

pub fn cookie_value<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    cookie_in(req.headers(), name)
}

/// A cookie's value from request headers.
pub fn cookie_in<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn valid_visitor_id(value: &str) -> bool {
    value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A new visitor id for the cookie.
pub fn new_visitor_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let n = rand::random::<u128>();
    (0..32)
        .rev()
        .map(|nibble| char::from(HEX[((n >> (nibble * 4)) & 0xf) as usize]))
        .collect()
}

/// The `Set-Cookie` value that gives a visitor their id for a year.
pub fn visitor_cookie(id: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{VISITOR_COOKIE}={id}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}")
}

/// The `Set-Cookie` value of the first-visit cookie.
pub fn first_visit_cookie(issued_unix: i64, article: Option<i64>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let article = article.unwrap_or(0);
    format!(
        "{FIRST_VISIT_COOKIE}={issued_unix}.{article}; Path=/; Max-Age=1800; HttpOnly; SameSite=Lax{secure}"
    )
}

/// When the first-visit cookie was given and the article viewed then, if any.
pub fn parse_first_visit(value: &str) -> Option<(i64, Option<i64>)> {
    let (issued, article) = value.split_once('.')?;
    let issued = crate::urls::positive(issued)?;
    let article = match article {
        "0" => None,
        id => Some(crate::urls::positive(id)?),
    };
    Some((issued, article))
}

/// The article whose view a response counted: the public layer names it in the first-visit cookie.
#[derive(Debug, Clone, Copy)]
pub struct ViewedArticle(pub i64);

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy = ip("10.0.0.2");
        let trusted: Vec<IpNet> = vec!["10.0.0.0/24".parse().expect("net")];
        let outsider = ip("203.0.113.9");
        assert_eq!(
            client_address(outsider, Some("1.2.3.4"), &trusted),
            Some(outsider)
        );
        assert_eq!(
            client_address(proxy, Some("1.2.3.4"), &trusted),
            Some(ip("1.2.3.4"))
        );
        assert_eq!(
            client_address(proxy, Some("6.6.6.6, 1.2.3.4, 10.0.0.1"), &trusted),
            Some(ip("1.2.3.4")),
            "the client's own claims left of the first untrusted hop are ignored"
        );
        assert_eq!(client_address(proxy, None, &trusted), Some(proxy));
    }

    #[test]
    fn forwarded_forms_with_ports_are_read_and_junk_is_nobody() {
        let proxy = ip("127.0.0.1");
        let trusted: Vec<IpNet> = vec!["127.0.0.0/8".parse().expect("net")];
        for (header, client) in [
            ("8.8.8.8:1234", "8.8.8.8"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
            (" 8.8.8.8 ,127.0.0.1", "8.8.8.8"),
        ] {
            assert_eq!(
                client_address(proxy, Some(header), &trusted),
                Some(ip(client)),
                "{header}"
            );
        }
        for junk in ["unknown", "", " ", "8.8.8.8:x", "junk, 127.0.0.1", "?"] {
            assert_eq!(
                client_address(proxy, Some(junk), &trusted),
                None,
                "{junk:?} names no one, and never the proxy"
            );
        }
    }

    #[test]
    fn bots_are_known_and_remembered() {
        let check = BotCheck::default();
        let bot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        let browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
        for _ in 0..2 {
            assert!(check.is_bot(bot));
            assert!(check.is_bot("curl/8.5.0"));
            assert!(!check.is_bot(browser));
            assert!(!check.is_bot(""));
        }
        for i in 0..(BOT_ANSWERS + 10) {
            check.is_bot(&format!("{browser} {i}"));
        }
        assert!(check.seen.read().len() <= BOT_ANSWERS);
    }

    #[test]
    fn visitor_ids_are_validated() {
        assert!(valid_visitor_id("0123456789abcdef0123456789abcdef"));
        assert!(valid_visitor_id(&new_visitor_id()));
        assert!(!valid_visitor_id("xyz"));
        assert!(!valid_visitor_id("0123456789abcdef0123456789abcdeg"));
    }

    #[test]
    fn first_visit_cookies_round_trip() {
        let cookie = first_visit_cookie(1_800_000_000, Some(12), false);
        let value = cookie
            .strip_prefix("sen_f=")
            .and_then(|c| c.split(';').next())
            .expect("value");
        assert_eq!(parse_first_visit(value), Some((1_800_000_000, Some(12))));
        assert_eq!(
            parse_first_visit("1800000000.0"),
            Some((1_800_000_000, None))
        );
        for bad in ["", "x.1", "1.x", "1", "-1.2", "1.-2"] {
            assert_eq!(parse_first_visit(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_cookie_is_secure_on_https() {
        assert!(visitor_cookie("a", true).ends_with("; Secure"));
        assert!(!visitor_cookie("a", false).contains("Secure"));
    }
}
