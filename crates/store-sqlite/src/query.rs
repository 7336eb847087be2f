//! Statements built from parts, with their values bound in order: searches, whose shape
//! depends on which filters a query sets.

use rusqlite::types::Value;

/// A statement's text and the values of its parameters (`?1`, `?2`, … in order).
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    sql: String,
    values: Vec<Value>,
}

impl Query {
    pub(crate) fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            values: Vec::new(),
        }
    }

    /// Append text.
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Append a parameter bound to `value`.
    pub(crate) fn push_bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        self.sql.push('?');
        self.sql.push_str(&self.values.len().to_string());
        self
    }

    /// Append a count as a literal: a bound `LIMIT` would make SQLite plan the
    /// statement again at every run (it plans with the limit's value).
    pub(crate) fn push_count(&mut self, n: u64) -> &mut Self {
        self.sql.push_str(&n.to_string());
        self
    }

    pub(crate) fn sql(&self) -> &str {
        &self.sql
    }

    pub(crate) fn params(&self) -> impl rusqlite::Params + '_ {
        rusqlite::params_from_iter(self.values.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_in_order() {
        let mut q = Query::new("SELECT 1 WHERE a = ");
        q.push_bind("x".to_string())
            .push(" AND b = ")
            .push_bind(2i64)
            .push(" LIMIT ")
            .push_count(10);
        assert_eq!(q.sql(), "SELECT 1 WHERE a = ?1 AND b = ?2 LIMIT 10");
        assert_eq!(q.values, [Value::Text("x".into()), Value::Integer(2)]);
    }
}
