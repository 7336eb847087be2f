// Import and export of users as CSV or JSON Lines, in the formats of `roster users
// export|import`. An import is previewed first: each row is matched to a stored user
// (by user ID or login ID) and shown as "new", "changes" (field by field) or "no
// change"; applying it creates the new users through `create/batch` and patches the
// others through `patch/batch`, each with a result.

import { PAGE_MAX, loadUsers, patch, post, readOnly } from "../api.js";
import { count, field, fill, h, plural, toast } from "../dom.js";
import { href } from "../app.js";
import { readUsers, toCsv, toJsonl } from "../csv.js";
import { selection } from "../selection.js";

const BATCH = 500;
const SCALARS = ["name", "givenName", "middleName", "familyName", "email", "phone", "picture", "status"];
const FLAGS = ["verifiedEmail", "verifiedPhone"];
const LISTS = ["roleNames", "ssoAppIds"];

export async function render(main) {
  const preview = h("section", { class: "preview", "aria-live": "polite", "aria-label": "Import preview" });
  fill(
    main,
    h("div", { class: "screen-head" }, h("h1", {}, "Import and export")),
    h("div", { class: "columns even" }, exportCard(), importCard(preview)),
    preview,
  );
}

// ---- Export -------------------------------------------------------------------------

function exportCard() {
  const format = h("select", {}, h("option", { value: "csv" }, "CSV"), h("option", { value: "jsonl" }, "JSON Lines"));
  const scope = h(
    "select",
    {},
    h("option", { value: "all" }, "Every user"),
    h("option", { value: "all-test" }, "Every user, test users included"),
    selection.size() ? h("option", { value: "selected" }, `The ${count(selection.size())} selected users`) : null,
  );
  const status = h("p", { "aria-live": "polite" });
  const bar = h("progress", { max: 1, value: 0, hidden: true, "aria-label": "Export progress" });
  const go = h("button", { type: "submit", class: "primary" }, "Export");
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "export-h",
      onsubmit: async (e) => {
        e.preventDefault();
        go.disabled = true;
        bar.hidden = false;
        try {
          const users = await gather(scope.value, (done, total) => {
            bar.max = Math.max(total, 1);
            bar.value = done;
            status.textContent = `Read ${count(done)} of ${count(total)} users…`;
          });
          const text = format.value === "csv" ? toCsv(users) : toJsonl(users);
          const name = `users-${new Date().toISOString().slice(0, 10)}.${format.value}`;
          const link = h("a", { href: URL.createObjectURL(new Blob([text], { type: format.value === "csv" ? "text/csv" : "application/x-ndjson" })), download: name, class: "button secondary small" }, `Download ${name}`);
          fill(status, `${count(users.length)} users exported. `, link);
          link.click();
        } catch (err) {
          status.textContent = err.message;
        } finally {
          go.disabled = false;
        }
      },
    },
    h("h2", { id: "export-h" }, "Export"),
    field("Users", scope),
    field("Format", format, { hint: "The format roster users export writes; the console and the command line read it back." }),
    h("div", { class: "actions" }, go),
    bar,
    status,
  );
  return form;
}

async function gather(scope, progress) {
  if (scope === "selected") {
    const ids = selection.query ? await searchAll(selection.query, () => {}).then((us) => us.map((u) => u.userId)) : [...selection.ids];
    progress(0, ids.length);
    const users = await loadUsers(ids);
    progress(users.length, ids.length);
    return users;
  }
  return searchAll(scope === "all-test" ? { withTestUser: true } : {}, progress);
}

async function searchAll(query, progress) {
  const users = [];
  for (let page = 0; ; page += 1) {
    const answer = await post("/v2/mgmt/user/search", { ...query, page, limit: PAGE_MAX, sort: [{ field: "createdTime" }] });
    users.push(...answer.users);
    progress(users.length, answer.total);
    if (answer.users.length < PAGE_MAX || users.length >= answer.total) return users;
  }
}

// ---- Import -------------------------------------------------------------------------

function importCard(preview) {
  const file = h("input", { type: "file", accept: ".csv,.jsonl,.ndjson,.json,text/csv,application/x-ndjson" });
  const card = h(
    "section",
    { class: "card", "aria-labelledby": "import-h" },
    h("h2", { id: "import-h" }, "Import"),
    h("p", { class: "muted" }, "A CSV or JSON Lines file of users, as Export writes it. Rows are matched to users by userId, else by loginId (or the first of loginIds). You see what will change before anything is sent."),
    field("File", file),
  );
  file.addEventListener("change", async () => {
    const chosen = file.files[0];
    if (!chosen) return;
    fill(preview, h("p", { class: "loading" }, "Reading the file…"));
    try {
      const text = await chosen.text();
      const read = readUsers(chosen.name, text);
      const plan = await planImport(read.rows);
      drawPlan(preview, chosen.name, plan, read.problems);
    } catch (e) {
      fill(preview, h("p", { class: "form-error", role: "alert" }, e.message));
    }
  });
  return card;
}

/** A row's own selector: user ID first, then login ID. */
function selector(body) {
  return body.userId || body.loginId || body.identifier || body.loginIds?.[0] || "";
}

function sameSet(a, b) {
  return JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());
}

function tenantsOf(list) {
  return (list ?? []).map((t) => ({ tenantId: t.tenantId, roleNames: [...(t.roleNames ?? [])].sort() })).sort((a, b) => (a.tenantId < b.tenantId ? -1 : 1));
}

/** The fields a row sets, read as a patch item reads them. */
function fieldsOf(body) {
  const f = {};
  const name = body.name ?? body.displayName;
  if (name !== undefined && name !== null) f.name = String(name);
  if (body.phone === undefined && body.phoneNumber !== undefined) f.phone = String(body.phoneNumber);
  for (const k of SCALARS) if (k !== "name" && body[k] !== undefined && body[k] !== null) f[k] = String(body[k]);
  for (const k of FLAGS) if (typeof body[k] === "boolean") f[k] = body[k];
  for (const k of LISTS) if (Array.isArray(body[k])) f[k] = body[k];
  if (Array.isArray(body.ssoAppIDs) && !f.ssoAppIds) f.ssoAppIds = body.ssoAppIDs;
  if (Array.isArray(body.userTenants)) f.userTenants = body.userTenants.map((t) => ({ tenantId: t.tenantId, roleNames: t.roleNames ?? [] }));
  if (body.customAttributes && typeof body.customAttributes === "object") f.customAttributes = body.customAttributes;
  const extra = body.additionalLoginIds ?? body.additionalIdentifiers ?? (Array.isArray(body.loginIds) ? body.loginIds.slice(1) : undefined);
  if (Array.isArray(extra)) f.additionalIdentifiers = extra;
  return f;
}

/** What changes when `fields` are patched onto `user`: `[{field, from, to}]`. */
export function diff(user, fields) {
  const out = [];
  const show = (v) => (v === undefined || v === null || v === "" ? "—" : typeof v === "string" ? v : JSON.stringify(v));
  for (const [k, v] of Object.entries(fields)) {
    if (k === "customAttributes") {
      for (const [key, value] of Object.entries(v)) {
        const old = user.customAttributes?.[key] ?? null;
        if (JSON.stringify(old) !== JSON.stringify(value)) out.push({ field: `customAttributes.${key}`, from: show(old), to: show(value) });
      }
    } else if (k === "userTenants") {
      if (JSON.stringify(tenantsOf(user.userTenants)) !== JSON.stringify(tenantsOf(v))) out.push({ field: k, from: show(tenantsOf(user.userTenants)), to: show(tenantsOf(v)) });
    } else if (k === "additionalIdentifiers") {
      if (!sameSet(user.loginIds.slice(1), v)) out.push({ field: "loginIds", from: show(user.loginIds), to: show([user.loginIds[0], ...v]) });
    } else if (LISTS.includes(k)) {
      if (!sameSet(user[k], v)) out.push({ field: k, from: show(user[k]), to: show(v) });
    } else if ((user[k] ?? "") !== v) {
      out.push({ field: k, from: show(user[k]), to: show(v) });
    }
  }
  return out;
}

/** Each row matched to its stored user: `[{line, key, kind, body, changes, fields}]`. */
async function planImport(rows) {
  const byId = new Map();
  const byLogin = new Map();
  const ids = [...new Set(rows.map((r) => r.body.userId).filter(Boolean))];
  for (const u of await loadUsers(ids)) byId.set(u.userId, u);
  const logins = [...new Set(rows.filter((r) => !r.body.userId || !byId.has(r.body.userId)).map((r) => selector({ ...r.body, userId: undefined })).filter(Boolean))];
  for (let i = 0; i < logins.length; i += PAGE_MAX) {
    const answer = await post("/v2/mgmt/user/search", { loginIds: logins.slice(i, i + PAGE_MAX), withTestUser: true, limit: PAGE_MAX });
    for (const u of answer.users) for (const l of u.loginIds) byLogin.set(l, u);
  }
  return rows.map(({ line, body }) => {
    const key = selector(body);
    const user = (body.userId && byId.get(body.userId)) || byLogin.get(selector({ ...body, userId: undefined }));
    const fields = fieldsOf(body);
    if (!key) return { line, key: "", kind: "invalid", reason: "the row names no user: give userId, loginId or loginIds" };
    if (!user) {
      const loginId = body.loginId || body.identifier || body.loginIds?.[0];
      if (!loginId) return { line, key, kind: "invalid", reason: "no user has this user ID, and a new user needs a login ID" };
      const create = { loginId, ...fields };
      if (create.additionalIdentifiers) {
        create.additionalLoginIds = create.additionalIdentifiers;
        delete create.additionalIdentifiers;
      }
      if (typeof body.test === "boolean") create.test = body.test;
      const changes = Object.entries(create)
        .filter(([f, v]) => f !== "loginId" && !(Array.isArray(v) && v.length === 0))
        .map(([f, v]) => ({ field: f, from: "—", to: typeof v === "string" ? v : JSON.stringify(v) }));
      return { line, key: loginId, kind: "new", create, changes };
    }
    const changes = diff(user, fields);
    return { line, key, user, kind: changes.length ? "update" : "same", changes, item: { loginId: user.userId, ...fields } };
  });
}

function drawPlan(box, name, plan, problems) {
  const of = (kind) => plan.filter((p) => p.kind === kind);
  const news = of("new");
  const updates = of("update");
  const invalid = [...of("invalid").map((p) => ({ line: p.line, message: p.reason })), ...problems].sort((a, b) => a.line - b.line);
  const apply = h("button", { type: "button", class: "primary", disabled: readOnly() || news.length + updates.length === 0 }, `Apply: create ${count(news.length)}, change ${count(updates.length)}`);
  const results = h("div", { class: "results", "aria-live": "polite" });
  apply.addEventListener("click", async () => {
    apply.disabled = true;
    await applyPlan(news, updates, results);
  });
  const rows = [...news, ...updates].slice(0, 2000);
  fill(
    box,
    h("h2", {}, `Preview of ${name}`),
    h("p", { class: "summary" }, `${plural(news.length, "new user")}, ${plural(updates.length, "user")} with changes, ${count(of("same").length)} unchanged, ${plural(invalid.length, "row")} that cannot be read.`),
    invalid.length ? h("details", { open: true }, h("summary", {}, "Rows that will be skipped"), h("ul", { class: "problems" }, invalid.slice(0, 500).map((p) => h("li", {}, `line ${p.line}: ${p.message}`)))) : null,
    rows.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
          "table",
          { class: "plan" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Line"), h("th", { scope: "col" }, "User"), h("th", { scope: "col" }, "What happens"))),
          h(
            "tbody",
            {},
            rows.map((p) =>
              h(
                "tr",
                { class: p.kind },
                h("td", { "data-label": "Line" }, p.line),
                h("td", { "data-label": "User" }, p.user ? h("a", { href: href("user", p.user.userId) }, p.key) : p.key),
                h("td", { "data-label": "What happens" }, h("span", { class: `result ${p.kind}` }, p.kind === "new" ? "create" : "change"), h("ul", { class: "changes" }, p.changes.map((c) => h("li", {}, h("strong", {}, c.field), ": ", c.from, " → ", c.to)))),
              ),
            ),
          ),
        ),
        )
      : null,
    readOnly() ? h("p", { class: "notice" }, "This key is read-only: it cannot import.") : null,
    h("div", { class: "actions" }, apply),
    results,
  );
}

async function applyPlan(news, updates, box) {
  const total = news.length + updates.length;
  const bar = h("progress", { max: Math.max(total, 1), value: 0, "aria-label": "Import progress" });
  const label = h("p", {}, "Sending…");
  fill(box, label, bar);
  const failed = [];
  let done = 0;
  let created = 0;
  let changed = 0;
  const step = async (list, send) => {
    for (let i = 0; i < list.length; i += BATCH) {
      const chunk = list.slice(i, i + BATCH);
      try {
        const answer = await send(chunk);
        for (const f of answer.failedUsers) failed.push({ who: f.user?.loginIds?.[0] ?? f.user?.userId ?? "", reason: f.failure });
        for (const [where, reason] of Object.entries(answer.additionalErrors ?? {})) {
          const index = Number(/\[(\d+)\]/.exec(where)?.[1]);
          failed.push({ who: chunk[index]?.key ?? where, reason });
        }
      } catch (e) {
        for (const p of chunk) failed.push({ who: p.key, reason: e.message });
      }
      done += chunk.length;
      bar.value = done;
      label.textContent = `${count(done)} of ${count(total)} sent.`;
    }
  };
  await step(news, async (chunk) => {
    const answer = await post("/v1/mgmt/user/create/batch", { users: chunk.map((p) => p.create) });
    created += answer.createdUsers.length;
    return answer;
  });
  await step(updates, async (chunk) => {
    const answer = await patch("/v1/mgmt/user/patch/batch", { users: chunk.map((p) => p.item) });
    changed += answer.patchedUsers.length;
    return answer;
  });
  label.textContent = `Done: ${count(created)} created, ${count(changed)} changed, ${count(failed.length)} failed.`;
  toast(label.textContent, failed.length ? "error" : "ok");
  if (failed.length) {
    box.append(h("table", { class: "results" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "User"), h("th", { scope: "col" }, "Reason"))), h("tbody", {}, failed.map((f) => h("tr", { class: "failed" }, h("td", {}, f.who), h("td", {}, f.reason))))));
  }
}
