//! Live values kept in memory: article views waiting to be flushed, visitors and visits, online now.
//! Pages and the API read them here, never from the database, so a cached page is never stale.

use std::{
    hash::Hash,
    sync::{
        Arc,
        atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering},
    },
};

use parking_lot::Mutex;
// Keyed by article ids and keyed hashes of visitors, which no client can make collide: the fast
// hash.
use rustc_hash::FxHashMap as HashMap;
use sen_store::{ArticleViews, VisitorMark};
use sha2::{Digest, Sha256};
use std::collections::hash_map::Entry;

/// A repeat view or request by one visitor within this many seconds belongs to the same visit.
pub const VISIT_GAP_SECS: u64 = 30 * 60;
/// "Online now": distinct visitors seen within this many seconds.
pub const ONLINE_WINDOW_SECS: u64 = 5 * 60;
const SHARDS: usize = 16;

/// Views by visitors with a cookie waiting with their marks at most: past it a view is booked
/// without one (counted, but not checked against other nodes).
const MAX_MARKS: usize = 1_000_000;

/// One article's count: what the store holds, what is being flushed, what waits.
#[derive(Debug, Default)]
pub struct ArticleCount {
    stored: i64,
    in_flight: i64,
    pending: i64,
    /// The pending views by visitors with a cookie, `(visitor, unix seconds)`.
    marks: Vec<(i64, i64)>,
    last_served: u64,
}

#[derive(Default)]
pub struct ViewCounters {
    counts: Mutex<HashMap<i64, Arc<Mutex<ArticleCount>>>>,
    pending_total: AtomicI64,
    /// Pending and in flight: counted, not yet committed.
    unbooked_total: AtomicI64,
    marks_total: AtomicUsize,
}

impl ViewCounters {
    fn entry(&self, id: i64) -> Arc<Mutex<ArticleCount>> {
        self.counts.lock().entry(id).or_default().clone()
    }

    /// Records a stored total read from the database; views only grow, so the larger one wins.
    /// While a flush is in flight the store may already hold it, so the value is left alone.
    pub fn observe(&self, id: i64, stored: i64) {
        let entry = self.entry(id);
        let mut c = entry.lock();
        if c.in_flight == 0 && stored > c.stored {
            c.stored = stored;
        }
    }

    /// Counts a view; `mark` names the visitor (with a cookie) and the time, so the booking can
    /// tell whether another node counted the same view.
    pub fn add_view(&self, id: i64, now: u64, mark: Option<(i64, i64)>) {
        let entry = self.entry(id);
        let mut c = entry.lock();
        c.pending += 1;
        c.last_served = now;
        if let Some(mark) = mark
            && self.marks_total.fetch_add(1, Ordering::Relaxed) < MAX_MARKS
        {
            c.marks.push(mark);
        } else if mark.is_some() {
            self.marks_total.fetch_sub(1, Ordering::Relaxed);
        }
        self.pending_total.fetch_add(1, Ordering::Relaxed);
        self.unbooked_total.fetch_add(1, Ordering::Relaxed);
    }

    pub fn touch(&self, id: i64, now: u64) {
        self.entry(id).lock().last_served = now;
    }

    /// The count to show: stored, in flight and pending.
    pub fn current(&self, id: i64, stored_fallback: i64) -> i64 {
        let entry = self.counts.lock().get(&id).cloned();
        match entry {
            Some(entry) => {
                let c = entry.lock();
                c.stored
                    .max(if c.in_flight == 0 { stored_fallback } else { 0 })
                    + c.in_flight
                    + c.pending
            }
            None => stored_fallback,
        }
    }

    /// Views waiting for the next flush.
    pub fn pending(&self) -> i64 {
        self.pending_total.load(Ordering::Relaxed)
    }

    /// Views counted and not yet committed: waiting, or in a flush that has not returned.
    pub fn unbooked(&self) -> i64 {
        self.unbooked_total.load(Ordering::Relaxed)
    }

    /// Moves every pending count (with its marks) to in flight and returns them.
    pub fn take_pending(&self) -> Vec<ArticleViews> {
        let entries: Vec<(i64, Arc<Mutex<ArticleCount>>)> = self
            .counts
            .lock()
            .iter()
            .map(|(id, e)| (*id, e.clone()))
            .collect();
        let mut batch = Vec::new();
        for (id, entry) in entries {
            let mut c = entry.lock();
            if c.pending > 0 {
                c.in_flight += c.pending;
                self.pending_total.fetch_sub(c.pending, Ordering::Relaxed);
                let marks = std::mem::take(&mut c.marks);
                self.marks_total.fetch_sub(marks.len(), Ordering::Relaxed);
                batch.push(ArticleViews {
                    article_id: id,
                    count: c.pending,
                    marks,
                });
                c.pending = 0;
            }
        }
        batch
    }

    /// The flush committed: the store's new totals replace what was in flight.
    pub fn flushed(&self, batch: &[ArticleViews], totals: &[(i64, i64)]) {
        let totals: HashMap<i64, i64> = totals.iter().copied().collect();
        for views in batch {
            let entry = self.entry(views.article_id);
            let mut c = entry.lock();
            c.in_flight -= views.count;
            self.unbooked_total
                .fetch_sub(views.count, Ordering::Relaxed);
            if let Some(total) = totals.get(&views.article_id) {
                c.stored = c.stored.max(*total);
            }
        }
    }

    /// The flush failed: what was in flight waits again, marks and all.
    pub fn failed(&self, batch: Vec<ArticleViews>) {
        for views in batch {
            let entry = self.entry(views.article_id);
            let mut c = entry.lock();
            c.in_flight -= views.count;
            c.pending += views.count;
            self.pending_total.fetch_add(views.count, Ordering::Relaxed);
            self.marks_total
                .fetch_add(views.marks.len(), Ordering::Relaxed);
            c.marks.extend(views.marks);
        }
    }

    /// Articles served since `since`, for refreshing counts that other nodes raise.
    pub fn served_since(&self, since: u64, limit: usize) -> Vec<i64> {
        let counts = self.counts.lock();
        counts
            .iter()
            .filter(|(_, e)| e.lock().last_served >= since)
            .map(|(id, _)| *id)
            .take(limit)
            .collect()
    }
}

/// A bounded map that forgets its stalest half at once. Inserts go to the young generation; when
/// it is full it becomes the old one and the old one is emptied to be the young one: its table is
/// kept, so a busy site never regrows (and rehashes) a fresh one. Every operation is O(1) amortised
/// (emptying clears one control byte per slot), and the newest `capacity / 2` keys are always
/// remembered, whatever the load.
struct Recent<K, V> {
    young: HashMap<K, V>,
    old: HashMap<K, V>,
    half: usize,
}

impl<K: Hash + Eq + Copy, V: Copy> Recent<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            young: HashMap::default(),
            old: HashMap::default(),
            half: (capacity / 2).max(8),
        }
    }

    #[cfg(test)]
    fn get(&self, key: &K) -> Option<V> {
        self.young.get(key).or_else(|| self.old.get(key)).copied()
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        match self.young.get_mut(key) {
            Some(v) => Some(v),
            None => self.old.get_mut(key),
        }
    }

    /// Keeps `value` as the newest.
    fn insert(&mut self, key: K, value: V) {
        self.update(key, |_| (value, ()));
    }

    /// Keeps what `f` makes of the value under `key` as the newest, and returns what `f` says
    /// besides: one lookup in each generation (a visitor's key is rarely in a cache line yet, so
    /// each lookup is a memory read).
    fn update<R>(&mut self, key: K, f: impl FnOnce(Option<V>) -> (V, R)) -> R {
        let out = match self.young.entry(key) {
            Entry::Occupied(mut slot) => {
                let (value, out) = f(Some(*slot.get()));
                *slot.get_mut() = value;
                return out;
            }
            Entry::Vacant(slot) => {
                let (value, out) = f(self.old.remove(&key));
                slot.insert(value);
                out
            }
        };
        if self.young.len() >= self.half {
            std::mem::swap(&mut self.young, &mut self.old);
            self.young.clear();
        }
        out
    }

    fn values(&self) -> impl Iterator<Item = &V> {
        self.young.values().chain(self.old.values())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }
}

#[derive(Clone, Copy)]
struct Seen {
    at: u64,
    /// Made a request under this key (a key only remembered is not one more visitor online).
    requested: bool,
    /// A cookie remembered for the address hash its first visit was counted under.
    stands_for: Option<u64>,
}

/// Visits, online visitors and repeat views, in bounded memory under any load.
pub struct Visitors {
    seen: Vec<Mutex<Recent<u64, Seen>>>,
    /// When each visitor's view of each article last counted.
    views: Vec<Mutex<Recent<(u64, i64), u64>>>,
    /// The visitors seen since the last booking, for the shared record that settles duplicates
    /// between nodes.
    reports: Vec<Mutex<HashMap<u64, VisitorMark>>>,
    per_shard: usize,
    /// Unix time at second 0 of this node's clock.
    base_unix: i64,
    pending_visits: AtomicI64,
    /// Visits counted with no room left to report them: booked as they are.
    unmarked_visits: AtomicI64,
    online: AtomicU64,
}

impl Visitors {
    /// `capacity` bounds the visitors remembered (and the repeat views) across all shards; the
    /// newest half of it is always remembered. `base_unix` is the Unix time of second 0 of the
    /// clock the other methods are given.
    pub fn new(capacity: usize, base_unix: i64) -> Self {
        let per_shard = (capacity / SHARDS).max(16);
        Self {
            seen: (0..SHARDS)
                .map(|_| Mutex::new(Recent::new(per_shard)))
                .collect(),
            views: (0..SHARDS)
                .map(|_| Mutex::new(Recent::new(per_shard)))
                .collect(),
            reports: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::default()))
                .collect(),
            per_shard,
            base_unix,
            pending_visits: AtomicI64::new(0),
            unmarked_visits: AtomicI64::new(0),
            online: AtomicU64::new(0),
        }
    }

    fn unix(&self, secs: u64) -> i64 {
        self.base_unix
            .saturating_add(i64::try_from(secs).unwrap_or(i64::MAX))
    }

    /// Notes a request for the next booking.
    fn report(&self, visitor: u64, now: u64, new_visit: bool, replaces: Option<u64>) {
        let at = self.unix(now);
        let mut reports = self.reports[Self::shard_of(visitor)].lock();
        let full = reports.len() >= self.per_shard;
        match reports.get_mut(&visitor) {
            Some(mark) => {
                mark.last_at = mark.last_at.max(at);
                if new_visit {
                    mark.visit_start = at;
                    mark.visit_id = rand::random();
                    mark.new_visit = true;
                }
                mark.replaces = mark.replaces.or(replaces.map(|r| r as i64));
            }
            None if full => {
                if new_visit {
                    self.unmarked_visits.fetch_add(1, Ordering::Relaxed);
                }
            }
            None => {
                reports.insert(
                    visitor,
                    VisitorMark {
                        visitor: visitor as i64,
                        visit_start: at,
                        visit_id: if new_visit { rand::random() } else { 0 },
                        last_at: at,
                        new_visit,
                        replaces: replaces.map(|r| r as i64),
                    },
                );
            }
        }
    }

    /// The visitors to book, and the visits counted without a report.
    pub fn take_reports(&self) -> (Vec<VisitorMark>, i64) {
        let mut marks = Vec::new();
        for shard in &self.reports {
            marks.extend(std::mem::take(&mut *shard.lock()).into_values());
        }
        (marks, self.unmarked_visits.swap(0, Ordering::Relaxed))
    }

    /// The booking failed: its reports wait for the next one.
    pub fn restore_reports(&self, marks: Vec<VisitorMark>, unmarked: i64) {
        self.unmarked_visits.fetch_add(unmarked, Ordering::Relaxed);
        for mark in marks {
            let key = mark.visitor as u64;
            let mut reports = self.reports[Self::shard_of(key)].lock();
            match reports.get_mut(&key) {
                Some(newer) => {
                    newer.last_at = newer.last_at.max(mark.last_at);
                    if mark.new_visit && !newer.new_visit {
                        newer.visit_start = mark.visit_start;
                        newer.visit_id = mark.visit_id;
                        newer.new_visit = true;
                    }
                    newer.replaces = newer.replaces.or(mark.replaces);
                }
                None => {
                    reports.insert(key, mark);
                }
            }
        }
    }

    /// A browser came back with the cookie a node (this one or another) gave it at second `issued`,
    /// with its first view (of `article`) and its visit counted there under `counted_as` (its
    /// address hash): this node remembers as much — seen, no visit —, so neither counts twice.
    /// When the browser's request is then booked, the cookie takes over from the address hash: no
    /// second visit, and the hash no longer counts as one more online.
    pub fn seed(&self, visitor: u64, counted_as: u64, article: Option<i64>, issued: u64) {
        // Checked and remembered in one step: two requests of the returning browser at once must
        // not both remember it (the second would undo the first's request).
        let seeded =
            self.seen[Self::shard_of(visitor)]
                .lock()
                .update(visitor, |known| match known {
                    Some(known) => (known, false),
                    None => {
                        let seen = Seen {
                            at: issued,
                            requested: false,
                            stands_for: Some(counted_as),
                        };
                        (seen, true)
                    }
                });
        if seeded && let Some(article) = article {
            self.views[Self::shard_of(visitor)]
                .lock()
                .insert((visitor, article), issued);
        }
    }

    fn shard_of(key: u64) -> usize {
        (key >> 56) as usize % SHARDS
    }

    /// A visitor made a public request at second `now`: starts a visit after a gap of 30 minutes.
    pub fn request(&self, visitor: u64, now: u64) {
        let handed_over = self.seen[Self::shard_of(visitor)]
            .lock()
            .update(visitor, |last| {
                let gap = last.map(|last| now.saturating_sub(last.at));
                let new_visit = gap.is_none_or(|gap| gap > VISIT_GAP_SECS);
                if new_visit {
                    self.pending_visits.fetch_add(1, Ordering::Relaxed);
                }
                let takes_over = last.and_then(|l| l.stands_for);
                self.report(visitor, now, new_visit, takes_over);
                let was_online = (last.is_some_and(|l| l.requested) || takes_over.is_some())
                    && gap.is_some_and(|g| g <= ONLINE_WINDOW_SECS);
                // Online until the next sweep recounts exactly.
                if !was_online {
                    self.online.fetch_add(1, Ordering::Relaxed);
                }
                let seen = Seen {
                    at: now,
                    requested: true,
                    stands_for: None,
                };
                (seen, takes_over)
            });
        if let Some(address) = handed_over
            && let Some(seen) = self.seen[Self::shard_of(address)].lock().get_mut(&address)
        {
            seen.requested = false;
        }
    }

    /// Whether a view of `article` by this visitor counts: once per 30 minutes.
    pub fn view_counts(&self, visitor: u64, article: i64, now: u64) -> bool {
        self.views[Self::shard_of(visitor)]
            .lock()
            .update((visitor, article), |last| match last {
                Some(last) if now.saturating_sub(last) <= VISIT_GAP_SECS => (last, false),
                _ => (now, true),
            })
    }

    /// Recounts the visitors online (those with a request in the last 5 minutes).
    pub fn sweep(&self, now: u64) -> u64 {
        let online: u64 = self
            .seen
            .iter()
            .map(|shard| {
                shard
                    .lock()
                    .values()
                    .filter(|s| s.requested && now.saturating_sub(s.at) <= ONLINE_WINDOW_SECS)
                    .count() as u64
            })
            .sum();
        self.online.store(online, Ordering::Relaxed);
        online
    }

    pub fn online_here(&self) -> u64 {
        self.online.load(Ordering::Relaxed)
    }

    pub fn take_visits(&self) -> i64 {
        self.pending_visits.swap(0, Ordering::Relaxed)
    }

    pub fn restore_visits(&self, n: i64) {
        self.pending_visits.fetch_add(n, Ordering::Relaxed);
    }

    pub fn pending_visits(&self) -> i64 {
        self.pending_visits.load(Ordering::Relaxed)
    }
}

/// The key of a visitor's cookie: the same on every node (keyed by the shared secret), so a
/// visitor is one visitor whichever node a request lands on.
pub fn cookie_key(secret: &str, cookie: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(secret.as_bytes());
    h.update(b"/cookie/");
    h.update(cookie.as_bytes());
    first_word(&h.finalize())
}

fn first_word(digest: &[u8]) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// The key of a visitor without a cookie: a hash of its address and User-Agent with a salt that
/// changes every day, so no raw address is kept and keys can't be linked across days.
pub fn anonymous_key(daily_salt: &[u8; 32], address: std::net::IpAddr, user_agent: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(daily_salt);
    match address {
        std::net::IpAddr::V4(ip) => h.update(ip.octets()),
        std::net::IpAddr::V6(ip) => h.update(ip.octets()),
    }
    h.update([0]);
    h.update(user_agent.as_bytes());
    first_word(&h.finalize())
}

/// The day's salt from the shared secret: the same on every node.
pub fn daily_salt(secret: &str, day: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(secret.as_bytes());
    h.update(b"/visitors/");
    h.update(day.as_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_show_stored_in_flight_and_pending() {
        let v = ViewCounters::default();
        v.observe(1, 100);
        v.add_view(1, 0, None);
        v.add_view(1, 0, Some((9, 1_000)));
        assert_eq!(v.current(1, 100), 102);
        let batch = v.take_pending();
        assert_eq!(
            batch,
            vec![ArticleViews {
                article_id: 1,
                count: 2,
                marks: vec![(9, 1_000)]
            }]
        );
        v.add_view(1, 0, None);
        assert_eq!(v.current(1, 100), 103, "in flight still shows");
        assert_eq!((v.pending(), v.unbooked()), (1, 3), "in flight is unbooked");
        v.flushed(&batch, &[(1, 102)]);
        assert_eq!(v.current(1, 102), 103);
        assert_eq!((v.pending(), v.unbooked()), (1, 1));
        let batch = v.take_pending();
        assert_eq!((v.pending(), v.unbooked()), (0, 1));
        v.failed(batch);
        assert_eq!(v.current(1, 102), 103);
        assert_eq!((v.pending(), v.unbooked()), (1, 1));
        assert_eq!(v.current(2, 7), 7);
        v.add_view(1, 0, Some((9, 2_000)));
        let again = v.take_pending();
        assert_eq!(again[0].count, 2, "a failed batch waits with the next");
        assert_eq!(again[0].marks, vec![(9, 2_000)]);
    }

    #[test]
    fn visits_need_a_thirty_minute_gap() {
        let v = Visitors::new(1000, 0);
        v.request(1, 0);
        v.request(1, 60);
        v.request(1, 60 + VISIT_GAP_SECS);
        assert_eq!(v.take_visits(), 1);
        v.request(1, 61 + 2 * VISIT_GAP_SECS);
        v.request(2, 61 + 2 * VISIT_GAP_SECS);
        assert_eq!(v.take_visits(), 2);
    }

    #[test]
    fn online_counts_the_last_five_minutes() {
        let v = Visitors::new(1000, 0);
        v.request(1, 0);
        v.request(2, 200);
        v.request(3, 400);
        assert_eq!(v.sweep(400), 2);
        assert_eq!(v.sweep(400 + VISIT_GAP_SECS + 1), 0);
    }

    #[test]
    fn repeat_views_by_one_visitor_count_once_per_half_hour() {
        let v = Visitors::new(1000, 0);
        assert!(v.view_counts(1, 10, 0));
        assert!(!v.view_counts(1, 10, 100));
        assert!(v.view_counts(1, 11, 100));
        assert!(v.view_counts(2, 10, 100));
        assert!(v.view_counts(1, 10, 101 + VISIT_GAP_SECS));
    }

    #[test]
    fn memory_stays_bounded_under_a_flood() {
        let v = Visitors::new(256, 0);
        for key in 0..100_000u64 {
            v.request(key.wrapping_mul(0x9E37_79B9_7F4A_7C15), 5);
            v.view_counts(key.wrapping_mul(0x9E37_79B9_7F4A_7C15), 1, 5);
        }
        let remembered: usize = v.seen.iter().map(|s| s.lock().len()).sum();
        assert!(remembered <= 256 + SHARDS * 16);
        assert_eq!(v.take_visits(), 100_000, "every new visitor still counts");
    }

    #[test]
    fn a_generation_let_go_is_reused_not_regrown() {
        let mut recent = Recent::new(64);
        // The 32nd insert fills the young half: it becomes old, and the old one (never used yet)
        // is emptied to be the young one.
        for key in 0..32u64 {
            recent.insert(key, key);
        }
        assert_eq!((recent.young.len(), recent.old.len()), (0, 32));
        // From the second turn on, the table let go is the one the young generation fills.
        for key in 32..64u64 {
            recent.insert(key, key);
        }
        let table = recent.young.capacity();
        assert!(table >= 32, "the let-go table is kept: {table}");
        assert_eq!(recent.get(&0), None, "the stalest half is forgotten");
        assert_eq!(recent.get(&40), Some(40));
        assert_eq!(recent.len(), 32);
        for key in 64..96u64 {
            recent.insert(key, key);
        }
        assert_eq!(recent.young.capacity(), table, "and kept again");
        assert_eq!(recent.get(&70), Some(70));
    }

    #[test]
    fn the_newest_visitors_are_always_remembered() {
        let v = Visitors::new(200_000, 0);
        for key in 0..300_000u64 {
            v.request(key.wrapping_mul(0x9E37_79B9_7F4A_7C15), 10);
            v.view_counts(key.wrapping_mul(0x9E37_79B9_7F4A_7C15), 1, 10);
        }
        assert_eq!(v.take_visits(), 300_000);
        // A new visitor after 300,000 others: five views, one counted; one visit.
        let newcomer = u64::MAX - 7;
        let counted = (0..5)
            .filter(|i| {
                v.request(newcomer, 20 + i);
                v.view_counts(newcomer, 1, 20 + i)
            })
            .count();
        assert_eq!(counted, 1);
        assert_eq!(v.take_visits(), 1);
    }

    #[test]
    fn visitors_in_turn_within_capacity_are_counted_once() {
        // 100,000 visitors making 3 requests each, one round after another.
        let v = Visitors::new(400_000, 0);
        for round in 0..3 {
            for key in 0..100_000u64 {
                v.request(key.wrapping_mul(0x9E37_79B9_7F4A_7C15), 10 + round);
            }
        }
        assert_eq!(v.take_visits(), 100_000);
    }

    #[test]
    fn visitors_are_reported_for_the_shared_record() {
        let v = Visitors::new(1000, 1_000_000);
        v.request(1, 10);
        v.request(1, 20);
        v.seed(2, 1, None, 20);
        v.request(2, 30);
        let (mut marks, unmarked) = v.take_reports();
        marks.sort_unstable_by_key(|m| m.visitor);
        assert_eq!(unmarked, 0);
        assert_ne!(marks[0].visit_id, 0, "a counted visit has its nonce");
        let nonce = marks[0].visit_id;
        assert_eq!(
            marks,
            vec![
                VisitorMark {
                    visitor: 1,
                    visit_start: 1_000_010,
                    visit_id: nonce,
                    last_at: 1_000_020,
                    new_visit: true,
                    replaces: None
                },
                VisitorMark {
                    visitor: 2,
                    visit_start: 1_000_030,
                    visit_id: 0,
                    last_at: 1_000_030,
                    new_visit: false,
                    replaces: Some(1)
                },
            ]
        );
        assert!(v.take_reports().0.is_empty());
        v.restore_reports(marks, 0);
        assert_eq!(v.take_reports().0.len(), 2);
    }

    #[test]
    fn a_seeded_cookie_counts_neither_visit_nor_first_view_again() {
        let v = Visitors::new(1000, 0);
        v.seed(5, 4, Some(77), 100);
        v.request(5, 160);
        assert_eq!(v.take_visits(), 0);
        assert!(!v.view_counts(5, 77, 160));
        assert!(v.view_counts(5, 78, 160));
    }

    #[test]
    fn cookie_keys_are_the_same_on_every_node() {
        assert_eq!(cookie_key("secret", "abc"), cookie_key("secret", "abc"));
        assert_ne!(cookie_key("secret", "abc"), cookie_key("other", "abc"));
    }

    #[test]
    fn anonymous_keys_depend_on_the_salt() {
        let a = daily_salt("s", "2026-11-27");
        let b = daily_salt("s", "2026-11-28");
        assert_eq!(
            anonymous_key(&a, "1.2.3.4".parse::<std::net::IpAddr>().expect("ip"), "ua"),
            anonymous_key(&a, "1.2.3.4".parse::<std::net::IpAddr>().expect("ip"), "ua")
        );
        assert_ne!(
            anonymous_key(&a, "1.2.3.4".parse::<std::net::IpAddr>().expect("ip"), "ua"),
            anonymous_key(&b, "1.2.3.4".parse::<std::net::IpAddr>().expect("ip"), "ua")
        );
        assert_ne!(
            anonymous_key(&a, "1.2.3.4".parse::<std::net::IpAddr>().expect("ip"), "ua"),
            anonymous_key(&a, "1.2.3.5".parse::<std::net::IpAddr>().expect("ip"), "ua")
        );
    }
}
