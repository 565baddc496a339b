//! The sample portal (a fictional provincial union of science and technology associations) and a
//! generator of large deterministic corpora for benchmarks and tests.

use sen_core::{ArticleInput, ArticleStatus, Site, format::VIETNAM};
use sen_store::{Bundle, BundleArticle, BundleCategory, BundleMedia, BundlePage};
use serde::Deserialize;
use time::{Duration, OffsetDateTime, Time};

use crate::covers;

const PORTAL: &str = include_str!("../sample/portal.json");

#[derive(Deserialize)]
struct Portal {
    site: Site,
    categories: Vec<PortalCategory>,
    pages: Vec<BundlePage>,
    articles: Vec<PortalArticle>,
}

#[derive(Deserialize)]
struct PortalCategory {
    slug: String,
    name: String,
    description: String,
    parent: Option<String>,
    in_menu: bool,
}

#[derive(Deserialize)]
struct PortalArticle {
    title: String,
    summary: String,
    body: String,
    category: String,
    tags: Vec<String>,
    featured: bool,
    author: String,
    byline: String,
    source_name: String,
    source_url: String,
    cover_caption: String,
    days_ago: i64,
    hour: u8,
    minute: u8,
}

fn portal() -> anyhow::Result<Portal> {
    Ok(serde_json::from_str(PORTAL)?)
}

/// A time `days_ago` days before `now`, at a given hour and minute in Vietnam, never in the future.
fn vietnam_time(now: OffsetDateTime, days_ago: i64, hour: u8, minute: u8) -> OffsetDateTime {
    let day = (now.to_offset(VIETNAM) - Duration::days(days_ago)).date();
    let at = Time::from_hms(hour.min(23), minute.min(59), 0).unwrap_or(Time::MIDNIGHT);
    let t = day
        .with_time(at)
        .assume_offset(VIETNAM)
        .to_offset(time::UtcOffset::UTC);
    if t > now {
        now - Duration::minutes(days_ago + 5)
    } else {
        t
    }
}

/// The sample portal: identity, categories, pages, articles with generated covers.
pub fn bundle(now: OffsetDateTime) -> anyhow::Result<Bundle> {
    let portal = portal()?;
    let palette_of = |slug: &str| {
        portal
            .categories
            .iter()
            .position(|c| c.slug == slug)
            .unwrap_or(0)
    };
    let mut media = Vec::new();
    let mut articles = Vec::new();
    for (i, a) in portal.articles.iter().enumerate() {
        let key = format!("sample/cover-{}.jpg", i + 1);
        media.push(BundleMedia {
            key: key.clone(),
            content_type: "image/jpeg".into(),
            data: covers::cover(palette_of(&a.category), i as u64),
        });
        let published = vietnam_time(now, a.days_ago, a.hour, a.minute);
        let mut input = ArticleInput::new(&a.title, 0);
        input.summary = a.summary.clone();
        input.body = a.body.clone();
        input.cover_url = format!("/media/{key}");
        input.cover_caption = a.cover_caption.clone();
        input.author = a.author.clone();
        input.byline = a.byline.clone();
        input.source_name = a.source_name.clone();
        input.source_url = a.source_url.clone();
        input.featured = a.featured;
        input.status = ArticleStatus::Published;
        input.created_at = Some(published - Duration::minutes(40 + (i as i64 % 7) * 15));
        input.published_at = Some(published);
        input.tags = a.tags.clone();
        articles.push(BundleArticle {
            category: a.category.clone(),
            input,
        });
    }
    Ok(Bundle {
        site: Some(portal.site),
        categories: portal
            .categories
            .into_iter()
            .map(|c| BundleCategory {
                slug: c.slug,
                name: c.name,
                description: c.description,
                parent: c.parent,
                in_menu: c.in_menu,
            })
            .collect(),
        pages: portal.pages,
        articles,
        media,
    })
}

const SYLLABLES: &[&str] = &[
    "phát",
    "triển",
    "khoa",
    "học",
    "công",
    "nghệ",
    "trí",
    "thức",
    "hội",
    "nghị",
    "tỉnh",
    "xã",
    "hội",
    "đổi",
    "mới",
    "sáng",
    "tạo",
    "kỹ",
    "thuật",
    "nông",
    "nghiệp",
    "y",
    "tế",
    "giáo",
    "dục",
    "môi",
    "trường",
    "chuyển",
    "số",
    "dữ",
    "liệu",
    "nghiên",
    "cứu",
    "ứng",
    "dụng",
    "thực",
    "hiện",
    "kế",
    "hoạch",
    "chương",
    "trình",
    "tư",
    "vấn",
    "phản",
    "biện",
    "giám",
    "định",
    "đề",
    "án",
    "hiệu",
    "quả",
    "nâng",
    "cao",
    "chất",
    "lượng",
    "người",
    "dân",
    "doanh",
    "nghiệp",
    "cộng",
    "đồng",
    "bền",
    "vững",
    "năng",
    "lượng",
    "nước",
    "sạch",
    "khí",
    "hậu",
    "an",
    "toàn",
    "thông",
    "tin",
    "mạng",
    "lưới",
    "hợp",
    "tác",
    "đào",
    "tạo",
    "tập",
    "huấn",
    "thanh",
    "niên",
    "vùng",
    "cao",
    "sản",
    "xuất",
    "giống",
    "cây",
    "trồng",
    "vật",
    "nuôi",
    "chế",
    "biến",
    "thị",
    "trường",
    "hàng",
    "hóa",
];

/// A deterministic stream of Vietnamese-like text.
struct Words(u64);

impl Words {
    fn next_index(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }

    fn phrase(&mut self, words: usize) -> String {
        let mut out = String::new();
        for i in 0..words {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(SYLLABLES[self.next_index(SYLLABLES.len())]);
        }
        out
    }

    fn sentence(&mut self, words: usize) -> String {
        let mut s = self.phrase(words);
        if let Some(first) = s.chars().next() {
            let upper: String = first.to_uppercase().collect();
            s.replace_range(..first.len_utf8(), &upper);
        }
        s.push('.');
        s
    }
}

/// `count` generated articles spread over the sample's categories, newest first, one every 17 minutes.
pub fn corpus(count: usize, start: usize, now: OffsetDateTime) -> anyhow::Result<Bundle> {
    let portal = portal()?;
    let categories: Vec<BundleCategory> = portal
        .categories
        .iter()
        .map(|c| BundleCategory {
            slug: c.slug.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            parent: c.parent.clone(),
            in_menu: c.in_menu,
        })
        .collect();
    let media: Vec<BundleMedia> = (0..categories.len())
        .map(|i| BundleMedia {
            key: format!("sample/corpus-{i}.jpg"),
            content_type: "image/jpeg".into(),
            data: covers::cover(i, 1000 + i as u64),
        })
        .collect();
    let tags: Vec<String> = (0..40)
        .map(|i| format!("{} {}", Words(i * 7 + 3).phrase(2), i))
        .collect();
    let mut articles = Vec::with_capacity(count);
    for n in start..start + count {
        let mut w = Words(n as u64 + 17);
        let category = n % categories.len();
        let len = 8 + w.next_index(8);
        let title = w.sentence(len);
        let title = title.trim_end_matches('.').to_string();
        let mut input = ArticleInput::new(&format!("{title} {}", n + 1), 0);
        let len = 25 + w.next_index(15);
        input.summary = w.sentence(len);
        let mut body = String::new();
        for p in 0..5 {
            if p == 2 {
                body.push_str(&format!("<h2>{}</h2>", w.sentence(6).trim_end_matches('.')));
            }
            body.push_str("<p>");
            for _ in 0..4 {
                let len = 12 + w.next_index(10);
                body.push_str(&w.sentence(len));
                body.push(' ');
            }
            body.push_str("</p>");
        }
        input.body = body;
        input.cover_url = format!("/media/sample/corpus-{category}.jpg");
        input.author = "Ban Biên tập".into();
        input.byline = "Ban Biên tập".into();
        input.status = ArticleStatus::Published;
        let published = now - Duration::minutes(17 * (n as i64 + 1));
        input.published_at = Some(published);
        input.created_at = Some(published - Duration::minutes(30));
        input.featured = n % 97 == 0;
        input.tags = vec![
            tags[n % tags.len()].clone(),
            tags[(n * 7 + 3) % tags.len()].clone(),
        ];
        articles.push(BundleArticle {
            category: categories[category].slug.clone(),
            input,
        });
    }
    Ok(Bundle {
        site: None,
        categories,
        pages: Vec::new(),
        articles,
        media,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_portal_is_complete() {
        let now = OffsetDateTime::now_utc();
        let b = bundle(now).expect("sample");
        assert!(b.categories.len() >= 6);
        assert!(b.articles.len() >= 40);
        assert_eq!(b.media.len(), b.articles.len());
        assert!(
            b.articles
                .iter()
                .all(|a| a.input.published_at.is_some_and(|t| t <= now))
        );
        assert!(
            b.articles
                .iter()
                .all(|a| b.categories.iter().any(|c| c.slug == a.category))
        );
        let site = b.site.expect("site");
        assert!(
            !site.name.is_empty()
                && !site.address.is_empty()
                && !site.responsible_person.is_empty()
        );
    }

    #[test]
    fn corpora_are_deterministic() {
        let now = OffsetDateTime::now_utc();
        let a = corpus(30, 0, now).expect("corpus");
        let b = corpus(30, 0, now).expect("corpus");
        assert_eq!(a.articles.len(), 30);
        assert_eq!(a.articles[7].input.title, b.articles[7].input.title);
        assert_ne!(a.articles[7].input.title, a.articles[8].input.title);
    }
}
