//! Template values made without a converted tree: a small record of named values that templates read.

use std::sync::Arc;

use minijinja::value::{Enumerator, Object, Value};

/// Named values, looked up by a short scan instead of a map. Templates also look up every global
/// (`t`, `live`, `lang`) here first, so a mask of the key lengths turns most misses away before any
/// comparison.
#[derive(Debug)]
struct Fields {
    pairs: Vec<(&'static str, Value)>,
    lengths: u64,
}

fn length_bit(key: &str) -> u64 {
    1 << key.len().min(63)
}

impl Object for Fields {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        if self.lengths & length_bit(key) == 0 {
            return None;
        }
        self.pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.pairs.iter().map(|(k, _)| Value::from(*k)).collect())
    }
}

/// A record of the given fields.
pub fn fields(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    let pairs: Vec<(&'static str, Value)> = pairs.into_iter().collect();
    let lengths = pairs.iter().fold(0, |mask, (k, _)| mask | length_bit(k));
    Value::from_object(Fields { pairs, lengths })
}
