//! Live values kept in memory: article views waiting to be flushed, visitors and visits, online now.
//! Pages and the API read them here, never from the database, so a cached page is never stale.

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    sync::{
        Arc,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

/// A repeat view or request by one visitor within this many seconds belongs to the same visit.
pub const VISIT_GAP_SECS: u64 = 30 * 60;
/// "Online now": distinct visitors seen within this many seconds.
pub const ONLINE_WINDOW_SECS: u64 = 5 * 60;
const SHARDS: usize = 16;

/// One article's count: what the store holds, what is being flushed, what waits.
#[derive(Debug, Default)]
pub struct ArticleCount {
    stored: i64,
    in_flight: i64,
    pending: i64,
    last_served: u64,
}

#[derive(Default)]
pub struct ViewCounters {
    counts: Mutex<HashMap<i64, Arc<Mutex<ArticleCount>>>>,
    pending_total: AtomicI64,
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

    pub fn add_view(&self, id: i64, now: u64) {
        let entry = self.entry(id);
        let mut c = entry.lock();
        c.pending += 1;
        c.last_served = now;
        self.pending_total.fetch_add(1, Ordering::Relaxed);
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

    pub fn pending(&self) -> i64 {
        self.pending_total.load(Ordering::Relaxed)
    }

    /// Moves every pending count to in flight and returns them.
    pub fn take_pending(&self) -> Vec<(i64, i64)> {
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
                batch.push((id, c.pending));
                c.pending = 0;
            }
        }
        batch
    }

    /// The flush committed: the store's new totals replace what was in flight.
    pub fn flushed(&self, batch: &[(i64, i64)], totals: &[(i64, i64)]) {
        let totals: HashMap<i64, i64> = totals.iter().copied().collect();
        for (id, n) in batch {
            let entry = self.entry(*id);
            let mut c = entry.lock();
            c.in_flight -= n;
            if let Some(total) = totals.get(id) {
                c.stored = c.stored.max(*total);
            }
        }
    }

    /// The flush failed: what was in flight waits again.
    pub fn failed(&self, batch: &[(i64, i64)]) {
        for (id, n) in batch {
            let entry = self.entry(*id);
            let mut c = entry.lock();
            c.in_flight -= n;
            c.pending += n;
            self.pending_total.fetch_add(*n, Ordering::Relaxed);
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

/// Who is visiting: one shard of a bounded map from a visitor key to the second they were last seen.
struct VisitorShard {
    last_seen: HashMap<u64, Seen>,
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
    shards: Vec<Mutex<VisitorShard>>,
    views: Vec<Mutex<HashMap<(u64, i64), u64>>>,
    per_shard: usize,
    pending_visits: AtomicI64,
    online: AtomicU64,
    hasher: RandomState,
}

impl Visitors {
    /// `capacity` bounds the visitors remembered (and the repeat views) across all shards.
    pub fn new(capacity: usize) -> Self {
        let per_shard = (capacity / SHARDS).max(16);
        Self {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(VisitorShard {
                        last_seen: HashMap::new(),
                    })
                })
                .collect(),
            views: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard,
            pending_visits: AtomicI64::new(0),
            online: AtomicU64::new(0),
            hasher: RandomState::new(),
        }
    }

    fn shard_of(key: u64) -> usize {
        (key >> 56) as usize % SHARDS
    }

    /// A visitor made a public request at second `now`: starts a visit after a gap of 30 minutes.
    pub fn request(&self, visitor: u64, now: u64) {
        self.see(visitor, now);
    }

    /// Remembers the cookie just given to a browser whose visit was counted under `counted_as`
    /// (its address hash): seen, no visit. When the browser comes back with the cookie, the cookie
    /// takes over: no second visit, and the address hash no longer counts as one more online.
    pub fn remember(&self, visitor: u64, counted_as: u64, now: u64) {
        let mut shard = self.shards[Self::shard_of(visitor)].lock();
        if shard.last_seen.len() < self.per_shard {
            shard.last_seen.insert(
                visitor,
                Seen {
                    at: now,
                    requested: false,
                    stands_for: Some(counted_as),
                },
            );
        }
    }

    fn see(&self, visitor: u64, now: u64) {
        let handed_over = {
            let mut shard = self.shards[Self::shard_of(visitor)].lock();
            let last = shard.last_seen.get(&visitor).copied();
            let gap = last.map(|last| now.saturating_sub(last.at));
            if gap.is_none_or(|gap| gap > VISIT_GAP_SECS) {
                self.pending_visits.fetch_add(1, Ordering::Relaxed);
            }
            let takes_over = last.and_then(|l| l.stands_for);
            let was_online = (last.is_some_and(|l| l.requested) || takes_over.is_some())
                && gap.is_some_and(|g| g <= ONLINE_WINDOW_SECS);
            // Online until the next sweep recounts exactly.
            if !was_online {
                self.online.fetch_add(1, Ordering::Relaxed);
            }
            if shard.last_seen.len() >= self.per_shard && !shard.last_seen.contains_key(&visitor) {
                shard
                    .last_seen
                    .retain(|_, last| now.saturating_sub(last.at) <= VISIT_GAP_SECS);
                if shard.last_seen.len() >= self.per_shard {
                    // Full of live visitors: this one is counted but not remembered.
                    return;
                }
            }
            shard.last_seen.insert(
                visitor,
                Seen {
                    at: now,
                    requested: true,
                    stands_for: None,
                },
            );
            takes_over
        };
        if let Some(address) = handed_over
            && let Some(seen) = self.shards[Self::shard_of(address)]
                .lock()
                .last_seen
                .get_mut(&address)
        {
            seen.requested = false;
        }
    }

    /// Whether a view of `article` by a visitor with a cookie counts: once per 30 minutes.
    pub fn view_counts(&self, visitor: u64, article: i64, now: u64) -> bool {
        let mut views = self.views[Self::shard_of(visitor)].lock();
        if let Some(last) = views.get(&(visitor, article))
            && now.saturating_sub(*last) <= VISIT_GAP_SECS
        {
            return false;
        }
        if views.len() >= self.per_shard && !views.contains_key(&(visitor, article)) {
            views.retain(|_, last| now.saturating_sub(*last) <= VISIT_GAP_SECS);
            if views.len() >= self.per_shard {
                return true;
            }
        }
        views.insert((visitor, article), now);
        true
    }

    /// Forgets what is older than a visit and recounts the visitors online.
    pub fn sweep(&self, now: u64) -> u64 {
        let mut online = 0;
        for shard in &self.shards {
            let mut shard = shard.lock();
            shard
                .last_seen
                .retain(|_, last| now.saturating_sub(last.at) <= VISIT_GAP_SECS);
            online += shard
                .last_seen
                .values()
                .filter(|last| last.requested && now.saturating_sub(last.at) <= ONLINE_WINDOW_SECS)
                .count() as u64;
        }
        for views in &self.views {
            views
                .lock()
                .retain(|_, last| now.saturating_sub(*last) <= VISIT_GAP_SECS);
        }
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

    /// A key for a visitor's cookie value.
    pub fn cookie_key(&self, cookie: &str) -> u64 {
        self.hasher.hash_one(cookie)
    }
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
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
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
        v.add_view(1, 0);
        v.add_view(1, 0);
        assert_eq!(v.current(1, 100), 102);
        let batch = v.take_pending();
        assert_eq!(batch, vec![(1, 2)]);
        v.add_view(1, 0);
        assert_eq!(v.current(1, 100), 103, "in flight still shows");
        v.flushed(&batch, &[(1, 102)]);
        assert_eq!(v.current(1, 102), 103);
        assert_eq!(v.pending(), 1);
        let batch = v.take_pending();
        v.failed(&batch);
        assert_eq!(v.current(1, 102), 103);
        assert_eq!(v.pending(), 1);
        assert_eq!(v.current(2, 7), 7);
    }

    #[test]
    fn visits_need_a_thirty_minute_gap() {
        let v = Visitors::new(1000);
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
        let v = Visitors::new(1000);
        v.request(1, 0);
        v.request(2, 200);
        v.request(3, 400);
        assert_eq!(v.sweep(400), 2);
        assert_eq!(v.sweep(400 + VISIT_GAP_SECS + 1), 0);
    }

    #[test]
    fn repeat_views_by_one_visitor_count_once_per_half_hour() {
        let v = Visitors::new(1000);
        assert!(v.view_counts(1, 10, 0));
        assert!(!v.view_counts(1, 10, 100));
        assert!(v.view_counts(1, 11, 100));
        assert!(v.view_counts(2, 10, 100));
        assert!(v.view_counts(1, 10, 101 + VISIT_GAP_SECS));
    }

    #[test]
    fn memory_stays_bounded_under_a_flood() {
        let v = Visitors::new(256);
        for key in 0..100_000u64 {
            v.request(key.wrapping_mul(0x9E37_79B9_7F4A_7C15), 5);
            v.view_counts(key.wrapping_mul(0x9E37_79B9_7F4A_7C15), 1, 5);
        }
        let remembered: usize = v.shards.iter().map(|s| s.lock().last_seen.len()).sum();
        assert!(remembered <= 256 + SHARDS * 16);
        assert_eq!(v.take_visits(), 100_000, "every new visitor still counts");
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
