//! What the HTTP tests share: a node on a real socket, a seeded portal, a browser-like client.
#![allow(dead_code)]

use std::time::Duration;

use reqwest::{Client, header};
use sen_core::{Actor, ArticleInput, ArticleStatus, CategoryInput, NewUser, PageInput, Role, Site};
use sen_store::Store;
use sen_web::{App, Limits, Tasks, WebConfig};
use serde_json::Value;

pub const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
pub const BOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

pub struct Node {
    pub base: String,
    pub app: App,
    tasks: Option<Tasks>,
    server: tokio::task::JoinHandle<()>,
}

impl Node {
    pub async fn start(store: Store, config: WebConfig) -> Self {
        let (app, listener) = Self::prepare(store, config).await;
        Self::serve(app, listener).await
    }

    /// The application made, its address taken, nothing running yet.
    pub async fn prepare(store: Store, config: WebConfig) -> (App, tokio::net::TcpListener) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base_url = if config.base_url.starts_with("https://") {
            format!("https://{addr}")
        } else {
            format!("http://{addr}")
        };
        let config = WebConfig { base_url, ..config };
        (App::new(store, config).await.expect("app"), listener)
    }

    /// Starts the background tasks and serves, under the default connection limits.
    pub async fn serve(app: App, listener: tokio::net::TcpListener) -> Self {
        Self::serve_with(app, listener, Limits::default()).await
    }

    /// Starts the background tasks and serves under `limits`, as `sen serve` does.
    pub async fn serve_with(app: App, listener: tokio::net::TcpListener, limits: Limits) -> Self {
        let addr = listener.local_addr().expect("addr");
        let tasks = Tasks::start(&app).await;
        let served = app.clone();
        let server = tokio::spawn(async move {
            sen_web::serve(listener, &served, limits, std::future::pending()).await;
        });
        Self {
            base: format!("http://{addr}"),
            app,
            tasks: Some(tasks),
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops serving and flushes, as a clean shutdown does.
    pub async fn stop(mut self) {
        self.server.abort();
        if let Some(tasks) = self.tasks.take() {
            tasks.shutdown().await;
        }
    }
}

pub fn config() -> WebConfig {
    WebConfig {
        flush_interval: Duration::from_millis(200),
        follow_interval: Duration::from_millis(100),
        ..WebConfig::default()
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(BROWSER)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A small portal: two categories (one inside the other), a page, 15 published articles, one draft.
pub async fn seed(store: &Store) -> Vec<i64> {
    store
        .put_site(
            &Actor::CLI,
            Site {
                name: "Liên hiệp Hội Thử nghiệm".into(),
                governing_body: "UBND tỉnh Thử nghiệm".into(),
                address: "Số 1 đường Thử".into(),
                phone: "0200 000 000".into(),
                email: "lh@example.vn".into(),
                responsible_person: "Bà Nguyễn Thị Thử".into(),
                credit_note: "Ghi rõ nguồn khi phát hành lại.".into(),
                visits_base: 1000,
                ..Default::default()
            },
        )
        .await
        .expect("site");
    let news = store
        .create_category(
            &Actor::CLI,
            CategoryInput {
                name: "Tin tức".into(),
                in_menu: true,
                ..Default::default()
            },
        )
        .await
        .expect("category");
    let child = store
        .create_category(
            &Actor::CLI,
            CategoryInput {
                name: "Chuyển đổi số".into(),
                parent_id: Some(news.id),
                in_menu: true,
                ..Default::default()
            },
        )
        .await
        .expect("category");
    store
        .create_page(
            &Actor::CLI,
            PageInput {
                title: "Giới thiệu".into(),
                body: "<p>Về chúng tôi</p>".into(),
                in_menu: true,
                ..Default::default()
            },
        )
        .await
        .expect("page");
    let mut ids = Vec::new();
    for i in 0..15 {
        let mut input = ArticleInput::new(
            &format!("Bài viết số {i} về khoa học"),
            if i % 3 == 0 { child.id } else { news.id },
        );
        input.summary = format!("Tóm tắt bài {i}.");
        input.body = format!("<p>Nội dung bài {i}.</p><script>alert(1)</script>");
        input.status = ArticleStatus::Published;
        input.published_at =
            Some(time::OffsetDateTime::now_utc() - time::Duration::minutes(60 - i));
        input.tags = vec!["Chuyển đổi số".into(), format!("Nhóm {}", i % 2)];
        input.featured = i % 4 == 0;
        input.byline = "Minh Anh".into();
        ids.push(
            store
                .create_article(&sen_core::Actor::CLI, input)
                .await
                .expect("article")
                .id,
        );
    }
    store
        .create_article(
            &sen_core::Actor::CLI,
            ArticleInput::new("Bản nháp bí mật", news.id),
        )
        .await
        .expect("draft");
    ids
}

/// The body of a GET, as text.
pub async fn page_text(client: &reqwest::Client, url: impl reqwest::IntoUrl) -> String {
    client
        .get(url)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text")
}

/// The API's view of one article.
pub async fn api_article(node: &Node, id: i64) -> Value {
    client()
        .get(node.url(&format!("/api/v1/articles/{id}")))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

pub async fn article_path(node: &Node, id: i64) -> String {
    let v = api_article(node, id).await;
    let url = v["url"].as_str().expect("url").to_string();
    url.trim_start_matches(&node.base).to_string()
}

pub async fn views(node: &Node, id: i64) -> i64 {
    api_article(node, id).await["views"]
        .as_i64()
        .expect("views")
}

pub async fn get_many(
    url: &str,
    n: usize,
    concurrency: usize,
    user_agent: &str,
    cookie: Option<&str>,
) {
    let client = reqwest::Client::builder()
        .user_agent(user_agent)
        .build()
        .expect("client");
    let mut left = n;
    while left > 0 {
        let batch = left.min(concurrency);
        let mut handles = Vec::new();
        for _ in 0..batch {
            let mut req = client.get(url);
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            handles.push(tokio::spawn(async move {
                let status = req.send().await.expect("send").status();
                assert_eq!(status, 200);
            }));
        }
        for h in handles {
            h.await.expect("join");
        }
        left -= batch;
    }
}

/// The article's view count as its page shows it: the first number after "Lượt xem".
pub fn shown_views(html: &str) -> Option<i64> {
    let at = html.find("Lượt xem")?;
    let mut text = String::new();
    let mut in_tag = false;
    for c in html[at..].chars().take(400) {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let digits: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

// Staff in the admin: accounts, a browser with cookies, forms and their CSRF tokens.

pub const PASSWORD: &str = "Ha-Lam-khoa-hoc-2026";

/// A member of staff whose password is [`PASSWORD`].
pub async fn add_user(store: &Store, username: &str, role: Role) -> i64 {
    add_staff(store, username, role, vec![]).await
}

/// A member of staff working in `categories` (an editor's).
pub async fn add_staff(store: &Store, username: &str, role: Role, categories: Vec<i64>) -> i64 {
    let input = NewUser {
        username: username.into(),
        display_name: format!("Người dùng {username}"),
        role,
        password: PASSWORD.into(),
        categories,
        must_change_password: false,
    };
    let input = input.validated().expect("valid user");
    store
        .create_user(&Actor::CLI, input)
        .await
        .expect("user")
        .id
}

/// A browser with cookies; redirects are not followed, so each answer can be checked.
pub fn browser() -> Client {
    Client::builder()
        .user_agent(BROWSER)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The value of the form's `_csrf` field in a page.
pub fn form_token(html: &str) -> String {
    let start = html.find("name=\"_csrf\" value=\"").expect("a form token") + 20;
    let end = html[start..].find('"').expect("end of the token") + start;
    html[start..end].to_string()
}

pub async fn login_token(c: &Client, node: &Node) -> String {
    let page = c
        .get(node.url("/admin/login"))
        .send()
        .await
        .expect("login page");
    assert_eq!(page.status(), 200);
    form_token(&page.text().await.expect("text"))
}

pub async fn sign_in(c: &Client, node: &Node, username: &str, password: &str) -> reqwest::Response {
    let token = login_token(c, node).await;
    c.post(node.url("/admin/login"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", username),
            ("password", password),
            ("next", ""),
        ])
        .send()
        .await
        .expect("sign in")
}

pub async fn page_token(c: &Client, node: &Node, path: &str) -> String {
    let page = c.get(node.url(path)).send().await.expect("page");
    assert_eq!(page.status(), 200, "{path}");
    form_token(&page.text().await.expect("text"))
}

pub fn location(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// A member of staff working in `categories`, with a fresh API token.
pub async fn api_token(store: &Store, username: &str, role: Role, categories: Vec<i64>) -> String {
    let id = add_staff(store, username, role, categories).await;
    store
        .create_token(
            &Actor::CLI,
            id,
            "test",
            None,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect("token")
        .token
}

/// The id of the category with `slug` (the seed's: `tin-tuc`, `chuyen-doi-so`).
pub async fn category_id(store: &Store, slug: &str) -> i64 {
    store
        .categories()
        .await
        .expect("categories")
        .iter()
        .find(|c| c.slug == slug)
        .unwrap_or_else(|| panic!("no category {slug}"))
        .id
}

/// The audit log's entries of `action` (on `target` only, when given).
pub async fn logged(store: &Store, action: sen_store::AuditAction, target: Option<&str>) -> usize {
    store
        .audit_log(&sen_store::AuditQuery {
            action: Some(action),
            per_page: 1000,
            ..Default::default()
        })
        .await
        .expect("log")
        .entries
        .iter()
        .filter(|e| target.is_none_or(|t| e.target == t))
        .count()
}
