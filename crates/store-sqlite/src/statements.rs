//! How many rows one multi-row statement carries.
//!
//! A set-based write (`INSERT … VALUES`, `UPDATE … FROM (VALUES …)`) spells each row's
//! placeholders out, so every row count is a different SQL text. sqlx prepares each text
//! it has not seen and keeps it in the connection's statement cache (100 statements).
//! Prepared, a 1,000-row update of a user's 22 data columns holds about 2 MB and took
//! 13 to 43 ms to prepare; after 100 batches of different sizes the server's peak
//! memory was 201 MiB (`bench/memory`, row (c)). So rows go in chunks whose lengths come
//! from a fixed ladder, and only the last few (fewer than the ladder's shortest step)
//! in a chunk of their own length: a statement kind has at most 18 texts, and those of
//! the many lengths are small. The same 100 batches then peaked at 117 MiB. (The update
//! of changed users is one kind per set of columns it sets; a workload has few such
//! sets, and the cache, which drops the least recently used statement first, bounds
//! what any mix of them holds.)

/// SQLite's default limit on bound parameters in one statement
/// (`SQLITE_MAX_VARIABLE_NUMBER`).
pub(crate) const MAX_PARAMS: usize = 32_766;

/// The row counts of a multi-row statement, largest first; fewer rows than the last go
/// in one statement. 1,000 rows go in nine statements (3 × 256, 3 × 64, 2 × 16, 8), each
/// one round trip to the database thread; a group of 12 single patches in one.
const LADDER: [usize; 3] = [256, 64, 16];

/// `rows` split, in order, into chunks whose lengths are on the [`LADDER`] (but the last,
/// when fewer rows than its last step are left) and bind at most `params_per_row` ×
/// length + `params_per_statement` parameters. Rows too large for the limit even one at
/// a time go one at a time, for SQLite to refuse.
pub(crate) fn chunks<T>(
    rows: &[T],
    params_per_row: usize,
    params_per_statement: usize,
) -> impl Iterator<Item = &[T]> {
    let room = MAX_PARAMS.saturating_sub(params_per_statement) / params_per_row.max(1);
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let len = LADDER
            .into_iter()
            .find(|&n| n <= rest.len() && n <= room)
            .unwrap_or_else(|| rest.len().min(room).max(1));
        let (chunk, after) = rest.split_at(len);
        rest = after;
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_row_in_order_with_lengths_from_the_ladder() {
        for n in 0..3_000 {
            let rows: Vec<usize> = (0..n).collect();
            let parts: Vec<&[usize]> = chunks(&rows, 25, 0).collect();
            assert_eq!(parts.concat(), rows, "{n} rows");
            let (last, ladder) = match parts.split_last() {
                Some((last, ladder)) if last.len() < 16 => (Some(last.len()), ladder),
                _ => (None, &parts[..]),
            };
            assert!(ladder.iter().all(|c| LADDER.contains(&c.len())), "{n} rows");
            assert!(last.is_none_or(|l| l == n % 16), "{n} rows");
            // Greedy, longest first, so the statements stay few.
            assert!(
                parts.windows(2).all(|w| w[0].len() >= w[1].len()),
                "{n} rows"
            );
            assert!(parts.len() <= n / 256 + 3 + 3 + 1, "{n} rows");
        }
        assert_eq!(
            chunks(&[0; 1_000], 25, 0)
                .map(<[i32]>::len)
                .collect::<Vec<_>>(),
            [256, 256, 256, 64, 64, 64, 16, 16, 8]
        );
        assert_eq!(chunks(&[0; 12], 25, 0).count(), 1);
    }

    #[test]
    fn chunks_stay_under_the_parameter_limit() {
        let rows = vec![0u8; 5_000];
        // 1,000 parameters a row: 32 rows fit, so 16 is the longest step used.
        assert!(chunks(&rows, 1_000, 7).all(|c| c.len() == 16 || c.len() == 5_000 % 16));
        // 3,000 a row: 10 rows fit, fewer than the ladder's steps, so 10 at a time.
        assert!(chunks(&rows, 3_000, 7).all(|c| c.len() == 10));
        // A row over the limit alone still comes, one at a time.
        assert!(chunks(&rows[..3], 40_000, 0).all(|c| c.len() == 1));
        assert_eq!(chunks(&rows[..3], 40_000, 0).count(), 3);
    }
}
