//! A value made from the store and kept until a change says it is old.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Keeps one value made from the store. A change clears it and moves the generation on; a value
/// made from reads that began before that change is handed to its caller but never kept, so a
/// reader can't put back what a change has just thrown out.
pub struct Memo<T> {
    slot: Mutex<Slot<T>>,
    max_age: Option<Duration>,
}

struct Slot<T> {
    generation: u64,
    /// A caller is making the value again after it grew too old.
    remaking: bool,
    value: Option<(Instant, T)>,
    /// The last value kept, even once too old or cleared: used only while the database is away.
    last: Option<T>,
}

impl<T: Clone> Memo<T> {
    /// A memo whose value is also made again after `max_age` (for what no change reports).
    pub fn new(max_age: Option<Duration>) -> Self {
        Self {
            slot: Mutex::new(Slot {
                generation: 0,
                remaking: false,
                value: None,
                last: None,
            }),
            max_age,
        }
    }

    /// The kept value, unless it is missing, too old or refused by `still_good`.
    pub fn get(&self, still_good: impl FnOnce(&T) -> bool) -> Option<T> {
        let slot = self.slot.lock();
        let (made, value) = slot.value.as_ref()?;
        (self.young(made) && still_good(value)).then(|| value.clone())
    }

    fn young(&self, made: &Instant) -> bool {
        self.max_age.is_none_or(|max| made.elapsed() < max)
    }

    /// The kept value if young; else, when it only grew old (no change cleared it) and another
    /// caller is already making it again, the old one meanwhile, so the callers in flight read the
    /// store once instead of each of them (and none waits on a read the database may be slow to
    /// fail). Otherwise the caller makes it: the `Remake` to put it with.
    pub fn get_or_remake(&self) -> Result<T, Remake<'_, T>> {
        let mut slot = self.slot.lock();
        let generation = slot.generation;
        let Some((made, value)) = slot.value.as_ref() else {
            return Err(Remake {
                memo: self,
                generation,
                claimed: false,
            });
        };
        if self.young(made) || slot.remaking {
            return Ok(value.clone());
        }
        slot.remaking = true;
        Err(Remake {
            memo: self,
            generation,
            claimed: true,
        })
    }

    /// Taken before reading the store for a new value.
    pub fn generation(&self) -> u64 {
        self.slot.lock().generation
    }

    /// Keeps `value` if nothing cleared the memo since `generation` was taken.
    pub fn put(&self, generation: u64, value: T) {
        let mut slot = self.slot.lock();
        if slot.generation == generation {
            slot.last = Some(value.clone());
            slot.value = Some((Instant::now(), value));
        }
    }

    /// The last value kept, however old or cleared since.
    pub fn last(&self) -> Option<T> {
        self.slot.lock().last.clone()
    }

    pub fn clear(&self) {
        let mut slot = self.slot.lock();
        slot.generation += 1;
        slot.value = None;
    }
}

/// A value to make again (see [`Memo::get_or_remake`]); dropped without a `put` (the read
/// failed), it lets the next caller try.
pub struct Remake<'a, T: Clone> {
    memo: &'a Memo<T>,
    generation: u64,
    claimed: bool,
}

impl<T: Clone> Remake<'_, T> {
    pub fn put(self, value: T) {
        self.memo.put(self.generation, value);
    }
}

impl<T: Clone> Drop for Remake<'_, T> {
    fn drop(&mut self) {
        if self.claimed {
            self.memo.slot.lock().remaking = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_made_across_a_change_is_not_kept() {
        let memo: Memo<u32> = Memo::new(None);
        let before = memo.generation();
        // A change arrives while the value is being made from older reads.
        memo.clear();
        memo.put(before, 1);
        assert_eq!(memo.get(|_| true), None);
        let now = memo.generation();
        memo.put(now, 2);
        assert_eq!(memo.get(|_| true), Some(2));
        assert_eq!(memo.get(|v| *v != 2), None);
    }

    #[test]
    fn values_expire_after_their_age() {
        let memo: Memo<u32> = Memo::new(Some(Duration::ZERO));
        memo.put(memo.generation(), 1);
        assert_eq!(memo.get(|_| true), None);
        memo.clear();
        assert_eq!(memo.last(), Some(1), "kept for when the database is away");
    }

    #[test]
    fn one_caller_remakes_an_old_value_while_the_others_read_it() {
        let memo: Memo<u32> = Memo::new(Some(Duration::ZERO));
        let Err(first) = memo.get_or_remake() else {
            panic!("nothing kept yet")
        };
        first.put(1);
        // Too old: the first caller remakes it, the others meanwhile read the old one.
        let Err(remaking) = memo.get_or_remake() else {
            panic!("too old")
        };
        assert_eq!(memo.get_or_remake().ok(), Some(1));
        assert_eq!(memo.get_or_remake().ok(), Some(1));
        // Its read failed: the next caller tries.
        drop(remaking);
        let Err(second) = memo.get_or_remake() else {
            panic!("no one is remaking it")
        };
        assert_eq!(memo.get_or_remake().ok(), Some(1));
        second.put(2);
        // A change is never served old: every caller reads the store.
        memo.clear();
        assert!(memo.get_or_remake().is_err());
        assert!(memo.get_or_remake().is_err());
    }
}
