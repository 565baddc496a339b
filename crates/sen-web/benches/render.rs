//! How long the default theme takes to render an article page from the same values a miss builds:
//! the article, 18 cards (same category, related, most read) and the chrome of an 8-category portal.
//! The HTTP benchmark (`bench/run.sh`) measures the whole miss; this isolates the template engine's part.
//!
//!     cargo bench -p sen-web --bench render
//!     SEN_BENCH_THEME=path/to/theme cargo bench -p sen-web --bench render   # a theme on disk
//!     bench/render-instructions.sh   # instructions per render (callgrind): the same on a noisy machine

use std::{sync::Arc, time::Instant};

use sen_core::{Article, ArticleStatus, ArticleSummary, Category, ListedArticle, Site, Tag};
use sen_web::{
    Chrome,
    catalog::Entry,
    context::{self, Meta},
    theme::Theme,
};

fn main() {
    let dir = std::env::var_os("SEN_BENCH_THEME").map(std::path::PathBuf::from);
    let theme = Theme::load(dir, "vi").expect("the theme loads");
    let site = Site {
        name: "Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh Hà Lam".into(),
        governing_body: "Tỉnh ủy Hà Lam".into(),
        address: "Số 1 đường Lê Lợi, thành phố Hà Lam".into(),
        phone: "0235 3 000 000".into(),
        email: "lienhiephoi@example.vn".into(),
        responsible_person: "Bà Trần Thị Mai".into(),
        credit_note: "Ghi rõ nguồn khi phát hành lại thông tin từ cổng này.".into(),
        ..Default::default()
    };
    let categories: Vec<Category> = (1..=8)
        .map(|i| Category {
            id: i,
            parent_id: (i > 6).then_some(1),
            name: format!("Chuyên mục số {i}"),
            slug: format!("chuyen-muc-{i}"),
            description: String::new(),
            position: i as i32,
            in_menu: true,
        })
        .collect();
    let chrome = Arc::new(Chrome::new(
        site,
        categories,
        vec![],
        "https://lienhiephoi.example.vn",
    ));
    let now = time::OffsetDateTime::now_utc();
    let cards: Vec<Arc<Entry>> = (1..=6)
        .map(|i| {
            Arc::new(Entry::new(ListedArticle {
                summary: ArticleSummary {
                    id: i,
                    title: format!(
                        "Hội thảo khoa học về chuyển đổi số lần thứ {i} tại tỉnh Hà Lam"
                    ),
                    slug: format!("hoi-thao-khoa-hoc-ve-chuyen-doi-so-{i}"),
                    summary: "Các nhà khoa học trao đổi về ứng dụng công nghệ trong quản lý."
                        .into(),
                    cover_url: format!("/media/bia-{i}.jpg"),
                    cover_caption: String::new(),
                    category_id: 2,
                    published_at: now,
                    views: 0,
                },
                featured: false,
                tag_ids: vec![],
            }))
        })
        .collect();
    let article = Arc::new(Article {
        id: 3,
        title: "Gặp mặt biểu dương 30 trí thức tiêu biểu".into(),
        slug: "gap-mat-bieu-duong-30-tri-thuc-tieu-bieu".into(),
        summary: "Sáng nay, Liên hiệp Hội tổ chức gặp mặt các trí thức tiêu biểu của tỉnh.".into(),
        body: "<p>Một đoạn của bài viết, đủ dài để giống một đoạn văn thật trên trang tin.</p>"
            .repeat(40),
        cover_url: "/media/bia-3.jpg".into(),
        cover_caption: "Quang cảnh buổi gặp mặt".into(),
        author: "Phóng viên".into(),
        byline: "Minh Anh".into(),
        source_name: String::new(),
        source_url: String::new(),
        category_id: 2,
        featured: false,
        status: ArticleStatus::Published,
        created_at: now,
        published_at: Some(now),
        updated_at: now,
        views: 1_234,
        tags: vec![Tag {
            id: 1,
            name: "Trí thức".into(),
            slug: "tri-thuc".into(),
        }],
        author_id: None,
        version: 1,
        unpublish_at: None,
        review_note: String::new(),
        correction_note: String::new(),
        corrected_at: None,
        trashed_at: None,
        trashed_from: None,
    });
    let most_read = sen_web::read::MostRead {
        serial: 1,
        list: Arc::new(cards.clone()),
    };
    let context = || {
        let mut deps = Vec::new();
        let own = vec![
            ("other_news", context::cards(&chrome, &cards, &mut deps)),
            ("related", context::cards(&chrome, &cards, &mut deps)),
            (
                "most_read",
                context::most_read(&chrome, &most_read, &mut deps),
            ),
            ("article", context::article(&chrome, article.clone())),
        ];
        let crumbs = vec![("Chuyên mục số 2".into(), "/chuyen-muc/chuyen-muc-2".into())];
        let meta = Meta::new(Some(article.title.clone()), "/tin/gap-mat-3.html");
        context::page(&chrome, meta, crumbs, Some(2), own)
    };
    // `bench/render-instructions.sh` runs it twice with different rounds under callgrind.
    let rounds: u32 = std::env::var("SEN_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5_000);
    for _ in 0..500 {
        theme.render("article.html", context()).expect("renders");
    }
    let started = Instant::now();
    let mut bytes = 0;
    for _ in 0..rounds {
        bytes += theme
            .render("article.html", context())
            .expect("renders")
            .len();
    }
    let per_render = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    println!(
        "article.html: {per_render:.1} µs per render (context included), {} bytes",
        bytes / rounds as usize
    );
}
