//! Rendered public pages kept in memory as fixed segments around live values (view count, visit
//! statistics), which are written in when a page is served. A gzip variant is one deflate stream: each
//! segment compressed once and ended by a sync flush, each live value sent as a stored block, then an
//! empty final block and the trailer, whose CRC-32 is combined from the parts.

use std::{
    collections::HashMap,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::{BufMut, Bytes, BytesMut};
use crc32fast::Hasher;
use flate2::{Compress, Compression, FlushCompress};
use parking_lot::RwLock;
use sen_core::Change;

/// Marks a live value in rendered HTML: `\u{1}name\u{2}`. Stored text never holds these characters.
pub const LIVE_START: char = '\u{1}';
pub const LIVE_END: char = '\u{2}';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Views,
    Online,
    Today,
    Week,
    Total,
}

impl Slot {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "views" => Self::Views,
            "online" => Self::Online,
            "today" => Self::Today,
            "week" => Self::Week,
            "total" => Self::Total,
            _ => return None,
        })
    }
}

/// What a cached page shows, so a change drops exactly the pages it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dep {
    /// Shows this article (its page, or its title in a list).
    Article(i64),
    /// Lists the newest articles of this category.
    Category(i64),
    /// Lists the newest articles with this tag.
    Tag(i64),
    /// Lists the newest articles of all categories.
    AnyArticle,
    Page(i64),
}

/// A response body made of shared chunks: the cached parts are sent as they are, never copied.
#[derive(Debug, Default)]
pub struct Chunks {
    chunks: std::collections::VecDeque<Bytes>,
    remaining: u64,
}

impl Chunks {
    fn with_capacity(n: usize) -> Self {
        Self {
            chunks: std::collections::VecDeque::with_capacity(n),
            remaining: 0,
        }
    }

    fn push(&mut self, chunk: Bytes) {
        if !chunk.is_empty() {
            self.remaining += chunk.len() as u64;
            self.chunks.push_back(chunk);
        }
    }

    /// All chunks in one buffer (for tests and small bodies).
    pub fn concat(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(usize::try_from(self.remaining).unwrap_or(0));
        for chunk in &self.chunks {
            out.put_slice(chunk);
        }
        out.freeze()
    }
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let next = self.chunks.pop_front();
        if let Some(chunk) = &next {
            self.remaining -= chunk.len() as u64;
        }
        std::task::Poll::Ready(next.map(|chunk| Ok(http_body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.remaining)
    }
}

/// A page split at its live values: `parts.len() == slots.len() + 1`.
pub struct Template {
    parts: Vec<Bytes>,
    slots: Vec<Slot>,
}

impl Template {
    /// Splits rendered HTML at its live-value markers; unknown names and stray marker starts are
    /// dropped. The parts share the rendered buffer: nothing is copied.
    pub fn parse(html: String) -> Self {
        let mut cuts: Vec<(std::ops::Range<usize>, Slot)> = Vec::new();
        let mut from = 0;
        // memchr's vector search: `str::find` looked at the page a word at a time (6 % of an
        // uncached request).
        while let Some(offset) = memchr::memchr(LIVE_START as u8, &html.as_bytes()[from..]) {
            let start = from + offset;
            let name_start = start + LIVE_START.len_utf8();
            let slot = html[name_start..].find(LIVE_END).and_then(|length| {
                let name_end = name_start + length;
                Some((Slot::parse(&html[name_start..name_end])?, name_end))
            });
            let Some((slot, name_end)) = slot else {
                // Rare (a theme's typo): rebuild without the bad markers, then split that.
                return Self::parse(Self::without_bad_markers(&html));
            };
            from = name_end + LIVE_END.len_utf8();
            cuts.push((start..from, slot));
        }
        let bytes = Bytes::from(html);
        let mut parts = Vec::with_capacity(cuts.len() + 1);
        let mut part_start = 0;
        for (marker, _) in &cuts {
            parts.push(bytes.slice(part_start..marker.start));
            part_start = marker.end;
        }
        parts.push(bytes.slice(part_start..));
        Self {
            parts,
            slots: cuts.into_iter().map(|(_, slot)| slot).collect(),
        }
    }

    /// The HTML with only well-formed markers of known live values left in.
    fn without_bad_markers(html: &str) -> String {
        let mut out = String::with_capacity(html.len());
        let mut rest = html;
        while let Some(start) = rest.find(LIVE_START) {
            out.push_str(&rest[..start]);
            let after = &rest[start + LIVE_START.len_utf8()..];
            let Some(end) = after.find(LIVE_END) else {
                rest = after;
                continue;
            };
            let marker = &rest[start..start + LIVE_START.len_utf8() + end + LIVE_END.len_utf8()];
            if Slot::parse(&after[..end]).is_some() {
                out.push_str(marker);
            }
            rest = &after[end + LIVE_END.len_utf8()..];
        }
        out.push_str(rest);
        out
    }

    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    fn byte_len(&self) -> usize {
        self.parts.iter().map(Bytes::len).sum()
    }

    /// The page with `values` (one per slot) written in, as chunks that share the cached parts.
    pub fn fill(&self, values: &[Bytes]) -> Chunks {
        let mut chunks = Chunks::with_capacity(self.parts.len() * 2);
        for (i, part) in self.parts.iter().enumerate() {
            chunks.push(part.clone());
            if i < self.slots.len() {
                chunks.push(values.get(i).cloned().unwrap_or_default());
            }
        }
        chunks
    }
}

/// Live values as readers see them (`13.405.422`), written into one buffer: one allocation for
/// the lot, not two for each.
pub fn live_values(numbers: impl ExactSizeIterator<Item = u64>) -> Vec<Bytes> {
    let mut all = BytesMut::with_capacity(numbers.len() * 8);
    let mut values = Vec::with_capacity(numbers.len());
    for n in numbers {
        all.put_slice(sen_core::format::Grouped::new(n).as_str().as_bytes());
        values.push(all.split().freeze());
    }
    values
}

/// The fixed parts of a page compressed once, ready to be spliced with live values.
struct GzipParts {
    deflated: Vec<Bytes>,
    crcs: Vec<Hasher>,
}

const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
/// An empty final block with fixed Huffman codes: ends the deflate stream.
const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

fn deflate_part(data: &[u8]) -> Bytes {
    let mut compress = Compress::new(Compression::new(6), false);
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    loop {
        let consumed = usize::try_from(compress.total_in()).unwrap_or(usize::MAX);
        let input = data.get(consumed..).unwrap_or_default();
        out.reserve(4096);
        if compress
            .compress_vec(input, &mut out, FlushCompress::Sync)
            .is_err()
        {
            break;
        }
        // Done when all input is consumed and the flush left spare room in the buffer.
        if usize::try_from(compress.total_in()).unwrap_or(0) == data.len()
            && out.len() < out.capacity()
        {
            break;
        }
    }
    Bytes::from(out)
}

impl GzipParts {
    fn new(template: &Template) -> Self {
        let deflated = template.parts.iter().map(|p| deflate_part(p)).collect();
        let crcs = template
            .parts
            .iter()
            .map(|p| {
                let mut h = Hasher::new();
                h.update(p);
                h
            })
            .collect();
        Self { deflated, crcs }
    }

    fn fill(&self, template: &Template, values: &[Bytes]) -> Chunks {
        let mut chunks = Chunks::with_capacity(self.deflated.len() * 2 + 2);
        chunks.push(Bytes::from_static(&GZIP_HEADER));
        let mut crc = Hasher::new();
        let mut total: u64 = 0;
        for (i, part) in self.deflated.iter().enumerate() {
            chunks.push(part.clone());
            crc.combine(&self.crcs[i]);
            total += template.parts[i].len() as u64;
            if i < template.slots.len() {
                let value = values.get(i).map(|v| &v[..]).unwrap_or_default();
                // A stored block: the stream is byte-aligned after each sync flush.
                let len = u16::try_from(value.len()).unwrap_or(0);
                let value = &value[..usize::from(len)];
                let mut block = BytesMut::with_capacity(5 + value.len());
                block.put_u8(0);
                block.put_u16_le(len);
                block.put_u16_le(!len);
                block.put_slice(value);
                chunks.push(block.freeze());
                let mut h = Hasher::new();
                h.update(value);
                crc.combine(&h);
                total += u64::from(len);
            }
        }
        let mut end = BytesMut::with_capacity(10);
        end.put_slice(&FINAL_BLOCK);
        end.put_u32_le(crc.finalize());
        end.put_u32_le(total as u32);
        chunks.push(end.freeze());
        chunks
    }
}

pub struct CachedPage {
    pub template: Template,
    gzip: OnceLock<GzipParts>,
    pub deps: Vec<Dep>,
    /// The article whose view count this page shows.
    pub article: Option<i64>,
    created: Instant,
    last_used: AtomicU64,
}

impl CachedPage {
    pub fn new(html: impl Into<String>, deps: Vec<Dep>, article: Option<i64>) -> Self {
        Self {
            template: Template::parse(html.into()),
            gzip: OnceLock::new(),
            deps,
            article,
            created: Instant::now(),
            last_used: AtomicU64::new(0),
        }
    }

    pub fn plain(&self, values: &[Bytes]) -> Chunks {
        self.template.fill(values)
    }

    /// The page as one gzip member; the fixed parts are compressed on first use only.
    pub fn gzip(&self, values: &[Bytes]) -> Chunks {
        self.gzip
            .get_or_init(|| GzipParts::new(&self.template))
            .fill(&self.template, values)
    }

    fn weight(&self) -> usize {
        // Counts the gzip parts as if made: the budget must hold when they are.
        self.template.byte_len() * 13 / 10 + 256
    }
}

/// The page cache: bounded in bytes, dropped by dependency, with a time limit for what no change
/// reports (the most-read lists, scheduled publication).
pub struct PageCache {
    pages: RwLock<HashMap<String, Arc<CachedPage>>>,
    bytes: AtomicU64,
    limit: u64,
    ttl: Duration,
    clock: AtomicU64,
    /// Bumped by every invalidation: a page rendered across one is not stored.
    generation: AtomicU64,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl PageCache {
    pub fn new(limit_bytes: u64, ttl: Duration) -> Self {
        Self {
            pages: RwLock::default(),
            bytes: AtomicU64::new(0),
            limit: limit_bytes,
            ttl,
            clock: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.limit > 0
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        if !self.enabled() {
            return None;
        }
        let page = self.pages.read().get(key).cloned();
        match page {
            Some(page) if page.created.elapsed() < self.ttl => {
                page.last_used.store(
                    self.clock.fetch_add(1, Ordering::Relaxed),
                    Ordering::Relaxed,
                );
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(page)
            }
            _ => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// A page past its time, kept (pages are not dropped on expiry) for when rendering it again
    /// can't reach the database.
    pub fn expired(&self, key: &str) -> Option<Arc<CachedPage>> {
        let page = self.pages.read().get(key).cloned()?;
        (page.created.elapsed() >= self.ttl).then_some(page)
    }

    /// Stores a page rendered from data read after `generation` was taken, unless something changed since.
    pub fn insert(&self, key: String, page: Arc<CachedPage>, generation: u64) {
        if !self.enabled() {
            return;
        }
        let weight = page.weight() as u64;
        if weight > self.limit / 4 {
            return;
        }
        page.last_used.store(
            self.clock.fetch_add(1, Ordering::Relaxed),
            Ordering::Relaxed,
        );
        let mut pages = self.pages.write();
        if self.generation() != generation {
            return;
        }
        if let Some(old) = pages.insert(key, page) {
            self.bytes.fetch_sub(old.weight() as u64, Ordering::Relaxed);
        }
        let total = self.bytes.fetch_add(weight, Ordering::Relaxed) + weight;
        if total > self.limit {
            self.evict(&mut pages);
        }
    }

    /// Drops the least recently used quarter of the pages.
    fn evict(&self, pages: &mut HashMap<String, Arc<CachedPage>>) {
        let mut order: Vec<(u64, String)> = pages
            .iter()
            .map(|(k, p)| (p.last_used.load(Ordering::Relaxed), k.clone()))
            .collect();
        order.sort_unstable();
        let target = self.limit * 3 / 4;
        for (_, key) in order {
            if self.bytes.load(Ordering::Relaxed) <= target {
                break;
            }
            if let Some(old) = pages.remove(&key) {
                self.bytes.fetch_sub(old.weight() as u64, Ordering::Relaxed);
            }
        }
    }

    /// Drops the pages a change touches; a change to the site or the categories touches every page,
    /// since every page carries the identity and the menu.
    pub fn apply(&self, change: &Change) {
        let mut pages = self.pages.write();
        self.generation.fetch_add(1, Ordering::AcqRel);
        let touched = |page: &CachedPage| match change {
            Change::Site | Change::Category { .. } => true,
            Change::Page { id } => page.deps.contains(&Dep::Page(*id)),
            Change::Article {
                id,
                categories,
                tags,
            } => page.deps.iter().any(|d| match d {
                Dep::Article(a) => a == id,
                Dep::Category(c) => categories.contains(c),
                Dep::Tag(t) => tags.contains(t),
                Dep::AnyArticle => true,
                Dep::Page(_) => false,
            }),
        };
        pages.retain(|_, page| {
            let keep = !touched(page);
            if !keep {
                self.bytes
                    .fetch_sub(page.weight() as u64, Ordering::Relaxed);
            }
            keep
        });
    }

    pub fn len(&self) -> usize {
        self.pages.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn marker(name: &str) -> String {
        format!("{LIVE_START}{name}{LIVE_END}")
    }

    #[test]
    fn templates_split_at_markers() {
        let html = format!(
            "<p>a{}b{}c{}</p>",
            marker("views"),
            marker("nope"),
            marker("total")
        );
        let t = Template::parse(html.clone());
        assert_eq!(t.slots(), &[Slot::Views, Slot::Total]);
        assert_eq!(
            t.fill(&[Bytes::from("1"), Bytes::from("2")]).concat(),
            Bytes::from("<p>a1bc2</p>")
        );
        // A marker start with no end is dropped too; a page without markers is one part.
        let stray = Template::parse(format!("x{}y{LIVE_START}z", marker("today")));
        assert_eq!(stray.slots(), &[Slot::Today]);
        assert_eq!(
            stray.fill(&[Bytes::from("3")]).concat(),
            Bytes::from("x3yz")
        );
        let plain = Template::parse("<p>plain</p>".into());
        assert!(plain.slots().is_empty());
        assert_eq!(plain.fill(&[]).concat(), Bytes::from("<p>plain</p>"));
    }

    #[test]
    fn spliced_gzip_is_one_valid_member() {
        let body = "<p>Xin chào Hà Nội</p>".repeat(500);
        let html = format!(
            "{body}{}{body}{}{}end",
            marker("views"),
            marker("online"),
            marker("today")
        );
        let page = CachedPage::new(&html, vec![], None);
        let values = live_values([13_405_422, 7].into_iter());
        let values = [values[0].clone(), values[1].clone(), Bytes::new()];
        let gz = page.gzip(&values).concat();
        assert!(gz.len() < html.len() / 4);
        let mut decoder = flate2::read::GzDecoder::new(&gz[..]);
        let mut out = String::new();
        decoder
            .read_to_string(&mut out)
            .expect("valid gzip with a correct CRC and length");
        assert_eq!(out.as_bytes(), &page.plain(&values).concat()[..]);
        // Nothing follows the member: browsers read only the first one.
        assert_eq!(decoder.into_inner().len(), 0);
        // The values can change without recompressing.
        let again = page.gzip(&live_values([1, 2, 3].into_iter())).concat();
        let mut out = String::new();
        flate2::read::GzDecoder::new(&again[..])
            .read_to_string(&mut out)
            .expect("valid");
        assert!(out.contains("end"));
        assert!(out.contains(&format!("{body}1{body}23end")));
    }

    #[test]
    fn gzip_of_a_page_without_slots_and_empty_parts() {
        for html in ["", "x", &marker("views")] {
            let page = CachedPage::new(html, vec![], None);
            let gz = page.gzip(&[Bytes::from("5")]).concat();
            let mut out = String::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_string(&mut out)
                .expect("valid");
            assert_eq!(
                out.as_bytes(),
                &page.plain(&[Bytes::from("5")]).concat()[..]
            );
        }
    }

    #[test]
    fn changes_drop_exactly_the_pages_they_touch() {
        let cache = PageCache::new(1 << 20, Duration::from_secs(60));
        let add = |key: &str, deps: Vec<Dep>| {
            cache.insert(
                key.into(),
                Arc::new(CachedPage::new(key, deps, None)),
                cache.generation(),
            )
        };
        add("/a1", vec![Dep::Article(1), Dep::Category(10)]);
        add("/a2", vec![Dep::Article(2), Dep::Category(20), Dep::Tag(5)]);
        add("/home", vec![Dep::AnyArticle]);
        add("/page", vec![Dep::Page(3)]);
        cache.apply(&Change::Article {
            id: 9,
            categories: vec![10],
            tags: vec![],
        });
        assert!(cache.get("/a1").is_none());
        assert!(cache.get("/a2").is_some());
        assert!(cache.get("/home").is_none());
        cache.apply(&Change::Article {
            id: 9,
            categories: vec![],
            tags: vec![5],
        });
        assert!(cache.get("/a2").is_none());
        assert!(cache.get("/page").is_some());
        cache.apply(&Change::Page { id: 3 });
        assert!(cache.get("/page").is_none());
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn a_page_rendered_across_a_change_is_not_stored() {
        let cache = PageCache::new(1 << 20, Duration::from_secs(60));
        let generation = cache.generation();
        cache.apply(&Change::Site);
        cache.insert(
            "/".into(),
            Arc::new(CachedPage::new("old", vec![], None)),
            generation,
        );
        assert!(cache.get("/").is_none());
    }

    #[test]
    fn expired_pages_are_kept_until_replaced_or_dropped() {
        let cache = PageCache::new(1 << 20, Duration::ZERO);
        cache.insert(
            "/a".into(),
            Arc::new(CachedPage::new("old", vec![Dep::Article(1)], None)),
            cache.generation(),
        );
        assert!(cache.get("/a").is_none(), "past its time");
        assert!(cache.expired("/a").is_some(), "still held");
        cache.apply(&Change::Article {
            id: 1,
            categories: vec![],
            tags: vec![],
        });
        assert!(cache.expired("/a").is_none(), "a change drops it");
    }

    #[test]
    fn the_byte_limit_holds() {
        let cache = PageCache::new(40_000, Duration::from_secs(60));
        let html = "x".repeat(5_000);
        for i in 0..50 {
            cache.insert(
                format!("/{i}"),
                Arc::new(CachedPage::new(&html, vec![], None)),
                cache.generation(),
            );
            assert!(cache.bytes() <= 40_000);
        }
        assert!(cache.get("/49").is_some());
        assert!(cache.len() < 10);
    }
}
