//! Query parameters as pages and the API read them: numbers plain digits, a bad value an invalid
//! parameter that names itself.

use crate::{error::Error, urls::positive};

/// A query string's pairs; one that can't be decoded is an invalid parameter.
pub fn query_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, Error> {
    serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|_| Error::invalid_parameter("query", "the query string is not valid"))
}

/// The number parameter `name`: `default` without it, else plain digits from 1 to `max`.
pub fn query_number(
    pairs: &[(String, String)],
    name: &'static str,
    default: i64,
    max: i64,
) -> Result<i64, Error> {
    match pairs.iter().find(|(k, _)| k == name) {
        None => Ok(default),
        Some((_, v)) => match positive(v) {
            Some(n) if n <= max => Ok(n),
            _ => Err(Error::invalid_parameter(
                name,
                format!("{name} must be a whole number from 1 to {max}, not {v:?}"),
            )),
        },
    }
}
