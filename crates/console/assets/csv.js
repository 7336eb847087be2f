// Files of users, in the formats `roster users export` writes and `roster users
// import|patch` reads: JSON Lines (one user object a line) or CSV (a header of field
// names; the cells of list, object and flag fields hold JSON, the others text).

/** Fields whose CSV cells hold JSON. */
export const JSON_FIELDS = new Set([
  "loginIds", "additionalLoginIds", "additionalIdentifiers", "roleNames", "userTenants",
  "customAttributes", "ssoAppIds", "ssoAppIDs", "verifiedEmail", "verifiedPhone", "test",
  "scim", "createdTime", "hashedPassword",
]);

/** The columns an export writes, in order. */
export const CSV_COLUMNS = [
  "userId", "loginIds", "email", "phone", "name", "givenName", "middleName", "familyName",
  "status", "verifiedEmail", "verifiedPhone", "test", "roleNames", "userTenants",
  "customAttributes", "ssoAppIds", "createdTime",
];

/** RFC 4180 records: `[{cells, line}]`, where `line` is the record's first line. */
export function parseCsv(text) {
  const records = [];
  let cells = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  for (; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 1;
        } else {
          quoted = false;
        }
      } else {
        if (c === "\n") line += 1;
        cell += c;
      }
    } else if (c === '"' && cell === "") {
      quoted = true;
    } else if (c === ",") {
      cells.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      cells.push(cell);
      if (!(cells.length === 1 && cells[0] === "")) records.push({ cells, line: start });
      cells = [];
      cell = "";
      line += 1;
      start = line;
    } else {
      cell += c;
    }
  }
  if (quoted) throw new Error(`line ${start}: a quoted cell is never closed`);
  if (cell !== "" || cells.length) {
    cells.push(cell);
    records.push({ cells, line: start });
  }
  return records;
}

function csvCell(value) {
  const text = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Users as CSV text. */
export function toCsv(users) {
  const lines = [CSV_COLUMNS.join(",")];
  for (const u of users) lines.push(CSV_COLUMNS.map((c) => csvCell(u[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** Users as JSON Lines. */
export function toJsonl(users) {
  return users.map((u) => `${JSON.stringify(u)}\n`).join("");
}

/** A file's users: `{rows: [{line, body}], problems: [{line, message}]}`. CSV when the
 * name ends in `.csv`, JSON Lines otherwise. */
export function readUsers(name, text) {
  const rows = [];
  const problems = [];
  if (/\.csv$/i.test(name)) {
    let records;
    try {
      records = parseCsv(text);
    } catch (e) {
      return { rows, problems: [{ line: 0, message: e.message }] };
    }
    const [header, ...rest] = records;
    if (!header) return { rows, problems: [{ line: 1, message: "the file is empty" }] };
    const columns = header.cells.map((c) => c.trim());
    for (const { cells, line } of rest) {
      const body = {};
      let bad = null;
      columns.forEach((column, k) => {
        const value = cells[k] ?? "";
        if (value === "" || column === "") return;
        if (JSON_FIELDS.has(column)) {
          try {
            body[column] = JSON.parse(value);
          } catch {
            bad = `${column}: not JSON`;
          }
        } else {
          body[column] = value;
        }
      });
      if (bad) problems.push({ line, message: bad });
      else rows.push({ line, body });
    }
  } else {
    text.split(/\r?\n/).forEach((raw, k) => {
      if (raw.trim() === "") return;
      try {
        const body = JSON.parse(raw);
        if (body === null || typeof body !== "object" || Array.isArray(body)) throw new Error("not an object");
        rows.push({ line: k + 1, body });
      } catch {
        problems.push({ line: k + 1, message: "not a JSON object" });
      }
    });
  }
  return { rows, problems };
}
