//! What every SQL backend builds the same way: pieces of SQL text for user search and
//! when a search's page tells its count, the lookup of the integer keys a batch writes
//! with, keys' permitted addresses and attribute definitions' options as JSON.

use std::collections::HashMap;

use std::time::Duration;

use roster_domain::attribute::{AttributeDef, SelectOption};
use roster_domain::catalog::RoleEntry;
use roster_domain::keys::IpRange;
use roster_domain::names::RoleName;
use roster_domain::search::{SortField, UserQuery};
use roster_domain::{Error, ErrorCode};

/// The columns of `users` (aliased `u`) that search `text` looks in, besides the
/// user's login IDs.
pub const TEXT_COLUMNS: [&str; 7] = [
    "u.id",
    "u.name",
    "u.given_name",
    "u.middle_name",
    "u.family_name",
    "u.email",
    "u.phone",
];

/// The column or expression a sort field orders users (aliased `u`) by.
pub fn sort_column(f: SortField) -> &'static str {
    match f {
        SortField::CreatedTime => "u.created_ms",
        SortField::ModifiedTime => "u.modified_ms",
        SortField::Name => "u.name",
        SortField::GivenName => "u.given_name",
        SortField::FamilyName => "u.family_name",
        SortField::Email => "u.email",
        SortField::Phone => "u.phone",
        SortField::Status => "u.status",
        SortField::UserId => "u.id",
        SortField::LoginId => {
            "(SELECT l.login_id FROM user_login_ids l WHERE l.user_pk = u.pk AND l.position = 0)"
        }
    }
}

/// The integer key of a row a batch validated, by its external ID. A missing one means
/// the store changed under a transaction that should have prevented it: a bug, logged
/// and reported as an internal error.
pub fn key_of(keys: &HashMap<String, i64>, id: &str, what: &str) -> Result<i64, Error> {
    keys.get(id).copied().ok_or_else(|| {
        tracing::error!(id, what, "a validated reference has no row");
        Error::internal()
    })
}

/// The integer key of the role the catalog resolved `name` to.
pub fn role_key(
    entry: Option<&RoleEntry>,
    name: &RoleName,
    roles: &HashMap<String, i64>,
) -> Result<i64, Error> {
    match entry {
        Some(e) => key_of(roles, e.id.as_str(), "role"),
        None => {
            tracing::error!(
                role = name.as_str(),
                "a validated role is missing from the catalog"
            );
            Err(Error::internal())
        }
    }
}

/// How many users a search matches, when its page tells: each row of the page carries
/// the count (`counted`, from any row), and an empty first page with room on it means
/// that none matches. `None` when the page holds no row to tell (past the end, or a page
/// of no users): the backend then asks for the count alone.
pub fn search_total(q: &UserQuery, counted: Option<i64>) -> Option<u64> {
    match counted {
        Some(n) => Some(u64::try_from(n).unwrap_or(0)),
        None if q.offset == 0 && q.limit > 0 => Some(0),
        None => None,
    }
}

/// The error of a search stopped at its deadline.
pub fn search_took_too_long(timeout: Duration) -> Error {
    Error::new(
        ErrorCode::RequestTimeout,
        format!(
            "search: took longer than the {} s a search may take; narrow it (more filters, a smaller page)",
            timeout.as_secs_f64()
        ),
    )
}

/// A `LIKE` pattern that matches `text` anywhere, with `%`, `_` and `\` escaped for
/// `ESCAPE '\'`.
pub fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// A key's permitted addresses as stored: a JSON list of texts (`["10.0.0.0/8"]`).
pub fn ip_ranges_json(ranges: &[IpRange]) -> String {
    let texts: Vec<String> = ranges.iter().map(ToString::to_string).collect();
    serde_json::to_string(&texts).unwrap_or_else(|_| "[]".to_string())
}

/// [`ip_ranges_json`] read back. A stored range that does not parse is an internal
/// error (only Roster writes the column).
pub fn ip_ranges_from_json(s: &str) -> Result<Vec<IpRange>, Error> {
    let texts: Vec<String> = serde_json::from_str(s).map_err(|e| {
        tracing::error!(error = %e, "a stored key's permitted addresses are not a JSON list");
        Error::internal()
    })?;
    texts
        .iter()
        .map(|t| {
            IpRange::parse(t).map_err(|e| {
                tracing::error!(error = %e, "a stored key's permitted address does not parse");
                Error::internal()
            })
        })
        .collect()
}

/// One option of a select attribute as the `options` column holds it (a JSON list of
/// these objects).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct StoredOption {
    value: String,
    label: String,
}

/// A definition's options as the `options` column holds them.
pub fn stored_options(d: &AttributeDef) -> Vec<StoredOption> {
    d.options
        .iter()
        .map(|o| StoredOption {
            value: o.value.clone(),
            label: o.label.clone(),
        })
        .collect()
}

impl From<StoredOption> for SelectOption {
    fn from(o: StoredOption) -> Self {
        SelectOption {
            value: o.value,
            label: o.label,
        }
    }
}

/// `v` as JSON text, as the backends store lists and custom attributes.
pub fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_string())
}

#[cfg(test)]
mod tests {
    use roster_domain::search::UserQuery;

    use super::{like_pattern, search_total};

    #[test]
    fn a_search_asks_for_its_count_alone_only_when_the_page_cannot_tell() {
        let page = |limit: u32, offset: u64| UserQuery {
            limit,
            offset,
            ..UserQuery::new()
        };
        assert_eq!(search_total(&page(10, 0), Some(25)), Some(25));
        assert_eq!(search_total(&page(10, 20), Some(25)), Some(25));
        assert_eq!(
            search_total(&page(10, 0), None),
            Some(0),
            "an empty first page"
        );
        assert_eq!(search_total(&page(10, 30), None), None, "past the end");
        assert_eq!(search_total(&page(0, 0), None), None, "no room on the page");
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
