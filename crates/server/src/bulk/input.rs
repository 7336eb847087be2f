//! Reading a file of users for `roster users patch` and `import`: JSON Lines (one JSON
//! object per line, the fields of a `patch/batch` or `create/batch` item) or CSV (a
//! header of field names, then one user per row).
//!
//! In CSV, an empty cell leaves its field out; the cells of fields that hold lists,
//! objects or flags (`roleNames`, `userTenants`, `customAttributes`, `verifiedEmail`…)
//! are read as JSON, as `roster users export` writes them; every other cell is text.
//! The file is read as it goes ([`open`]), so its size is bounded by the disk, not
//! the memory. Every problem is reported with its line, and nothing is sent while there
//! is one.

use std::io::{BufRead, Read};
use std::path::Path;

use anyhow::{Context, bail};
use serde_json::{Map, Value};

/// Fields whose CSV cells are JSON.
const JSON_FIELDS: [&str; 14] = [
    "loginIds",
    "additionalLoginIds",
    "additionalIdentifiers",
    "roleNames",
    "userTenants",
    "customAttributes",
    "ssoAppIds",
    "ssoAppIDs",
    "verifiedEmail",
    "verifiedPhone",
    "test",
    "scim",
    "createdTime",
    "hashedPassword",
];

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// From the file name: `.csv` is CSV, anything else JSON Lines.
    Auto,
    Jsonl,
    Csv,
}

/// One user of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The line it starts on (1-based; CSV's header is line 1).
    pub line: u64,
    pub body: Map<String, Value>,
}

impl Item {
    /// The user it names: `loginId`, else `identifier`, else `userId`.
    pub fn selector(&self) -> Option<&str> {
        ["loginId", "identifier", "userId"].iter().find_map(|k| {
            self.body
                .get(*k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        })
    }
}

/// A line that cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub message: String,
}

/// The users of a file, one at a time: each a user or the problem of its line. The
/// file is read as it goes, never held whole.
pub type Items = Box<dyn Iterator<Item = Result<Item, Problem>> + Send>;

/// Open the file and read its users as they come.
pub fn open(path: &Path, format: InputFormat) -> anyhow::Result<Items> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let reader = std::io::BufReader::new(file);
    let csv = match format {
        InputFormat::Csv => true,
        InputFormat::Jsonl => false,
        InputFormat::Auto => path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv")),
    };
    if csv {
        csv_items(reader)
    } else {
        Ok(jsonl_items(reader))
    }
}

fn jsonl_items(reader: impl BufRead + Send + 'static) -> Items {
    Box::new(
        (1u64..)
            .zip(reader.lines())
            .filter_map(|(line, raw)| match raw {
                Err(e) => Some(Err(Problem {
                    line,
                    message: format!("unreadable: {e}"),
                })),
                Ok(raw) if raw.trim().is_empty() => None,
                Ok(raw) => Some(match serde_json::from_str::<Value>(&raw) {
                    Ok(Value::Object(body)) => Ok(Item { line, body }),
                    Ok(_) => Err(Problem {
                        line,
                        message: "not a JSON object".into(),
                    }),
                    Err(e) => Err(Problem {
                        line,
                        message: format!("not JSON: {e}"),
                    }),
                }),
            }),
    )
}

fn csv_items(reader: impl Read + Send + 'static) -> anyhow::Result<Items> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let header: Vec<String> = reader
        .headers()
        .context("cannot read the CSV header")?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.iter().any(String::is_empty) {
        bail!("line 1: the CSV header has an empty column name");
    }
    Ok(Box::new(reader.into_records().map(move |record| {
        let record = record.map_err(|e| Problem {
            line: e.position().map_or(0, csv::Position::line),
            message: format!("unreadable CSV row: {e}"),
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let mut body = Map::new();
        for (column, cell) in header.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            let value = if JSON_FIELDS.contains(&column.as_str()) {
                serde_json::from_str(cell).map_err(|e| Problem {
                    line,
                    message: format!("{column}: not JSON ({e})"),
                })?
            } else {
                Value::String(cell.to_string())
            };
            body.insert(column.clone(), value);
        }
        Ok(Item { line, body })
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn split(items: Items) -> (Vec<Item>, Vec<Problem>) {
        let (mut ok, mut problems) = (Vec::new(), Vec::new());
        for i in items {
            match i {
                Ok(i) => ok.push(i),
                Err(p) => problems.push(p),
            }
        }
        (ok, problems)
    }

    fn read_jsonl(text: &'static str) -> (Vec<Item>, Vec<Problem>) {
        split(jsonl_items(text.as_bytes()))
    }

    fn read_csv(text: &'static str) -> anyhow::Result<(Vec<Item>, Vec<Problem>)> {
        Ok(split(csv_items(text.as_bytes())?))
    }

    #[test]
    fn jsonl_lines_are_objects_with_their_line() {
        let (items, problems) =
            read_jsonl("{\"loginId\":\"a\"}\n\n[1]\n{\"userId\":\"U1\",\"name\":\"B\"}\nnope\n");
        assert_eq!(items.len(), 2);
        assert_eq!((items[0].line, items[0].selector()), (1, Some("a")));
        assert_eq!((items[1].line, items[1].selector()), (4, Some("U1")));
        assert_eq!(
            problems.iter().map(|p| p.line).collect::<Vec<_>>(),
            vec![3, 5]
        );
    }

    #[test]
    fn csv_cells_are_text_or_json_by_field() {
        let text = "loginId,name,roleNames,verifiedEmail,customAttributes\n\
                    a@x.com,\"Doe, Jane\",\"[\"\"admin\"\"]\",true,\n\
                    b@x.com,,[oops,,\n";
        let (items, problems) = read_csv(text).unwrap();
        assert_eq!(
            items.len(),
            1,
            "a row with a problem is its problem, not a user"
        );
        assert_eq!(
            Value::Object(items[0].body.clone()),
            json!({"loginId": "a@x.com", "name": "Doe, Jane", "roleNames": ["admin"], "verifiedEmail": true})
        );
        assert_eq!(items[0].line, 2);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 3);
        assert!(problems[0].message.starts_with("roleNames"));
    }
}
