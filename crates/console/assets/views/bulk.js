// Bulk changes: the users picked on the Users screen (by hand, or every user matching a
// search) get one change (a status, a role or tenant added or removed, an attribute
// set), sent through `PATCH /v1/mgmt/user/patch/batch` a batch at a time, with a
// progress bar and a result for every user.

import { ATTRIBUTE_TYPES, catalog, loadUsers, matchingUserIds, patch, readOnly } from "../api.js";
import { count, empty, field, fill, h, toast } from "../dom.js";
import { href } from "../app.js";
import { selection } from "../selection.js";

/** Users per `patch/batch` request. */
export const BATCH = 500;

const ACTIONS = {
  status: "Set the status",
  addRole: "Add a project role",
  removeRole: "Remove a project role",
  addTenant: "Add to a tenant",
  removeTenant: "Remove from a tenant",
  attribute: "Set a custom attribute",
};

export async function render(main, { isCurrent }) {
  const cat = await catalog();
  if (!isCurrent()) return;
  const n = selection.size();
  const head = h("div", { class: "screen-head" }, h("h1", {}, "Bulk changes"));
  if (n === 0) {
    fill(main, head, empty("No users are selected.", h("span", {}, "Pick users on the ", h("a", { href: href("users") }, "Users"), " screen, by hand or every user that matches a search.")));
    return;
  }
  const results = h("section", { class: "card results", "aria-labelledby": "results-h", hidden: true });
  fill(
    main,
    head,
    h("p", { class: "summary" }, selection.query ? `Every user that matches the search: ${count(n)} when it was chosen.` : `${count(n)} users picked by hand.`),
    actionForm(cat, results),
    results,
  );
}

function actionForm(cat, results) {
  const projectRoles = cat.roles.filter((r) => !r.tenantId);
  const action = h("select", { name: "action" }, Object.entries(ACTIONS).map(([k, v]) => h("option", { value: k }, v)));
  const detail = h("div", { class: "detail" });
  let read = () => ({});
  const drawDetail = () => {
    const a = action.value;
    if (a === "status") {
      const s = h("select", {}, ["enabled", "disabled", "invited", "expired"].map((x) => h("option", { value: x }, x)));
      fill(detail, field("Status", s));
      read = () => ({ status: s.value });
    } else if (a === "addRole" || a === "removeRole") {
      const r = h("select", { required: true }, projectRoles.map((x) => h("option", { value: x.name }, x.name)));
      fill(detail, projectRoles.length ? field("Role", r) : h("p", { class: "muted" }, "The project has no roles."));
      read = () => ({ role: r.value });
    } else if (a === "addTenant" || a === "removeTenant") {
      const t = h("select", { required: true }, cat.tenants.map((x) => h("option", { value: x.id }, x.name || x.id)));
      const roles = h("input", { placeholder: "admin, viewer" });
      fill(detail, cat.tenants.length ? field("Tenant", t) : h("p", { class: "muted" }, "The project has no tenants."), a === "addTenant" ? field("Roles in the tenant", roles, { hint: "Names, comma-separated; may be empty." }) : null);
      read = () => ({ tenant: t.value, roles: roles.value.split(",").map((s) => s.trim()).filter(Boolean) });
    } else {
      const def = h("select", {}, cat.attributes.map((x) => h("option", { value: x.name }, `${x.displayName || x.name} (${ATTRIBUTE_TYPES[x.type] ?? x.type})`)));
      const value = h("input", {});
      fill(detail, cat.attributes.length ? [field("Attribute", def), field("Value", value, { hint: "Empty removes the attribute. Numbers, true/false and JSON lists are read as such." })] : h("p", { class: "muted" }, "The project defines no custom attributes."));
      read = () => {
        const d = cat.attributes.find((x) => x.name === def.value);
        return { attribute: def.value, value: attributeValue(d, value.value) };
      };
    }
  };
  action.addEventListener("change", drawDetail);
  drawDetail();
  const run = h("button", { class: "primary", type: "submit", disabled: readOnly() }, "Apply to the selected users");
  const form = h(
    "form",
    {
      class: "card narrow",
      onsubmit: async (e) => {
        e.preventDefault();
        run.disabled = true;
        try {
          await apply(action.value, read(), results);
        } finally {
          run.disabled = readOnly();
        }
      },
    },
    readOnly() ? h("p", { class: "notice" }, "This key is read-only: it cannot change users.") : null,
    field("Change", action),
    detail,
    h("div", { class: "actions" }, run),
  );
  return form;
}

function attributeValue(def, raw) {
  const text = raw.trim();
  if (text === "") return null;
  if (def?.type === 2 && Number.isFinite(Number(text))) return Number(text);
  if (def?.type === 3 && (text === "true" || text === "false")) return text === "true";
  if (def?.type === 5) {
    try {
      const list = JSON.parse(text);
      if (Array.isArray(list)) return list;
    } catch {
      return text.split(",").map((s) => s.trim()).filter(Boolean);
    }
  }
  return text;
}

/** The patch item for one user, or null when the change would change nothing. */
export function itemFor(kind, args, user) {
  const item = { loginId: user.userId };
  switch (kind) {
    case "status":
      return user.status === args.status ? null : { ...item, status: args.status };
    case "addRole":
      return user.roleNames.includes(args.role) ? null : { ...item, roleNames: [...user.roleNames, args.role] };
    case "removeRole":
      return user.roleNames.includes(args.role) ? { ...item, roleNames: user.roleNames.filter((r) => r !== args.role) } : null;
    case "addTenant": {
      const tenants = user.userTenants.map((t) => ({ tenantId: t.tenantId, roleNames: t.roleNames }));
      const held = tenants.find((t) => t.tenantId === args.tenant);
      if (held) {
        const missing = args.roles.filter((r) => !held.roleNames.includes(r));
        if (missing.length === 0) return null;
        held.roleNames = [...held.roleNames, ...missing];
      } else {
        tenants.push({ tenantId: args.tenant, roleNames: args.roles });
      }
      return { ...item, userTenants: tenants };
    }
    case "removeTenant":
      if (!user.userTenants.some((t) => t.tenantId === args.tenant)) return null;
      return { ...item, userTenants: user.userTenants.filter((t) => t.tenantId !== args.tenant).map((t) => ({ tenantId: t.tenantId, roleNames: t.roleNames })) };
    case "attribute":
      return JSON.stringify(user.customAttributes[args.attribute] ?? null) === JSON.stringify(args.value) ? null : { ...item, customAttributes: { [args.attribute]: args.value } };
    default:
      return null;
  }
}

async function apply(kind, args, section) {
  const bar = h("progress", { max: 1, value: 0, "aria-labelledby": "progress-label" });
  const label = h("p", { id: "progress-label", "aria-live": "polite" }, "Finding the users…");
  const list = h("div", { class: "result-list" });
  section.hidden = false;
  fill(section, h("h2", { id: "results-h" }, "Results"), label, bar, list);
  section.scrollIntoView({ block: "nearest" });

  const ids = selection.query ? await matchingUserIds(selection.query, (done, total) => { label.textContent = `Finding the users: ${count(done)} of ${count(total)}…`; }) : [...selection.ids];
  bar.max = Math.max(ids.length, 1);
  const outcome = { changed: [], unchanged: [], failed: [] };
  for (let i = 0; i < ids.length; i += BATCH) {
    const chunk = ids.slice(i, i + BATCH);
    try {
      let users = await loadUsers(chunk);
      const found = new Set(users.map((u) => u.userId));
      for (const id of chunk) if (!found.has(id)) outcome.failed.push({ id, who: id, reason: "the user no longer exists" });
      // Each item carries the version its lists were computed from; a user changed
      // meanwhile fails with E998409, is read again and computed again (three tries).
      for (let attempt = 1; users.length > 0; attempt += 1) {
        const items = [];
        for (const u of users) {
          const item = itemFor(kind, args, u);
          if (item) items.push({ ...item, expectedVersion: u.version });
          else outcome.unchanged.push({ id: u.userId, who: u.loginIds[0] ?? u.userId });
        }
        if (items.length === 0) break;
        const answer = await patch("/v1/mgmt/user/patch/batch", { users: items });
        for (const u of answer.patchedUsers) outcome.changed.push({ id: u.userId, who: u.loginIds[0] ?? u.userId });
        const again = [];
        for (const f of answer.failedUsers) {
          const id = f.user.userId ?? f.user.loginIds?.[0];
          if (f.failure.startsWith("expectedVersion:") && attempt < 3) again.push(id);
          else outcome.failed.push({ id, who: f.user.loginIds?.[0] ?? f.user.userId, reason: f.failure });
        }
        for (const [where, reason] of Object.entries(answer.additionalErrors ?? {})) {
          outcome.failed.push({ id: where, who: where, reason });
        }
        users = again.length ? await loadUsers(again) : [];
      }
    } catch (e) {
      // Every user of the chunk without a result yet fails with the request's reason.
      const told = new Set([...outcome.changed, ...outcome.unchanged, ...outcome.failed].map((r) => r.id));
      for (const id of chunk) if (!told.has(id)) outcome.failed.push({ id, who: id, reason: e.message });
    }
    const done = Math.min(i + BATCH, ids.length);
    bar.value = done;
    label.textContent = `${count(done)} of ${count(ids.length)} users done: ${count(outcome.changed.length)} changed, ${count(outcome.unchanged.length)} already so, ${count(outcome.failed.length)} failed.`;
  }
  bar.value = bar.max;
  label.textContent = `Done. ${count(outcome.changed.length)} changed, ${count(outcome.unchanged.length)} already so, ${count(outcome.failed.length)} failed.`;
  toast(label.textContent, outcome.failed.length ? "error" : "ok");
  fill(list, resultTable(outcome));
}

function resultTable(outcome) {
  const rows = [
    ...outcome.failed.map((r) => ({ ...r, result: "failed" })),
    ...outcome.changed.map((r) => ({ ...r, result: "changed" })),
    ...outcome.unchanged.map((r) => ({ ...r, result: "unchanged" })),
  ];
  const shown = rows.slice(0, 5000);
  const blob = new Blob(rows.map((r) => `${JSON.stringify({ userId: r.id, loginId: r.who, result: r.result, reason: r.reason ?? "" })}\n`), { type: "application/x-ndjson" });
  return [
    h("p", {}, h("a", { class: "button secondary small", href: URL.createObjectURL(blob), download: "bulk-results.jsonl" }, "Download every result (JSON Lines)"), rows.length > shown.length ? ` The first ${count(shown.length)} of ${count(rows.length)} are listed, failures first.` : ""),
    h(
      "table",
      { class: "results" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "User"), h("th", { scope: "col" }, "Result"), h("th", { scope: "col" }, "Reason"))),
      h(
        "tbody",
        {},
        shown.map((r) =>
          h("tr", { class: r.result }, h("td", { "data-label": "User" }, r.id && !r.id.startsWith("users[") ? h("a", { href: href("user", r.id) }, r.who) : r.who), h("td", { "data-label": "Result" }, h("span", { class: `result ${r.result}` }, r.result)), h("td", { "data-label": "Reason" }, r.reason ?? "")),
        ),
      ),
    ),
  ];
}
