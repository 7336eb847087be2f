// The users: search (text, status, tenant, role, a custom attribute, test users),
// sorting, pages with the total, and picking users for a bulk change. The search lives
// in the address, so that back, forward and reload keep it.

import { ATTRIBUTE_TYPES, catalog, post } from "../api.js";
import { count, empty, field, fill, h, when } from "../dom.js";
import { go, href } from "../app.js";
import { selection } from "../selection.js";

const SIZES = [25, 50, 100, 200];
const COLUMNS = [
  { key: "name", label: "Name", sort: "name" },
  { key: "loginIds", label: "Login ID", sort: "loginId" },
  { key: "email", label: "Email", sort: "email" },
  { key: "status", label: "Status", sort: "status" },
  { key: "roleNames", label: "Roles" },
  { key: "userTenants", label: "Tenants" },
  { key: "createdTime", label: "Created", sort: "createdTime" },
];

/** The search body that the address's parameters describe. */
export function searchBody(params, attributes) {
  const body = {};
  const text = params.get("text");
  if (text) body.text = text;
  if (params.get("status")) body.statuses = [params.get("status")];
  if (params.get("tenant")) body.tenantIds = [params.get("tenant")];
  if (params.get("role")) body.roleNames = [params.get("role")];
  const attr = params.get("attr");
  if (attr && params.has("value")) {
    const def = attributes.find((a) => a.name === attr);
    body.customAttributes = { [attr]: attributeFilterValue(def, params.get("value")) };
  }
  if (params.get("test") === "1") body.withTestUser = true;
  const sort = params.get("sort");
  if (sort) body.sort = [{ field: sort, desc: params.get("desc") === "1" }];
  return body;
}

function attributeFilterValue(def, raw) {
  switch (def?.type) {
    case 2: {
      const n = Number(raw);
      return Number.isFinite(n) && raw.trim() !== "" ? n : raw;
    }
    case 3:
      return raw === "true" ? true : raw === "false" ? false : raw;
    default:
      return raw;
  }
}

export async function render(main, { params, isCurrent }) {
  const cat = await catalog();
  if (!isCurrent()) return;
  const page = Math.max(0, Number(params.get("page") || 0));
  const size = SIZES.includes(Number(params.get("size"))) ? Number(params.get("size")) : 50;
  const query = searchBody(params, cat.attributes);

  const heading = h("h1", {}, "Users");
  const summary = h("p", { class: "summary", "aria-live": "polite" }, "Searching…");
  const form = searchForm(params, cat);
  const bar = h("div", { class: "selection-bar", "aria-live": "polite" });
  const table = h("div", { class: "table-wrap" }, h("div", { class: "loading tall" }, "Searching…"));
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  fill(main, h("div", { class: "screen-head" }, heading, summary), form, bar, table, pager);

  let answer;
  try {
    answer = await post("/v2/mgmt/user/search", { ...query, page, limit: size });
  } catch (e) {
    fill(table, h("p", { class: "form-error", role: "alert" }, e.message));
    fill(summary, "");
    return;
  }
  if (!isCurrent()) return;
  const { users, total } = answer;
  const first = page * size;
  const filtered = Object.keys(query).some((k) => k !== "sort");
  fill(summary, total === 0 ? (filtered ? "No users match." : "No users yet.") : `${count(first + 1)}–${count(first + users.length)} of ${count(total)}`);

  const drawBar = () => {
    const n = selection.size();
    fill(
      bar,
      n === 0
        ? h("span", { class: "muted" }, "Select users to change them together.")
        : [
            h("strong", {}, selection.query ? `All ${count(n)} users that match the search are selected.` : `${count(n)} selected.`),
            !selection.query && total > n
              ? h("button", { type: "button", class: "link", onclick: () => { selection.matching(query, total); redraw(); } }, `Select all ${count(total)} that match`)
              : null,
            h("a", { class: "button primary small", href: href("bulk") }, "Change selected…"),
            h("button", { type: "button", class: "link", onclick: () => { selection.clear(); redraw(); } }, "Clear selection"),
          ],
    );
  };
  const redraw = () => {
    for (const box of table.querySelectorAll("input[data-user]")) {
      box.checked = Boolean(selection.query) || selection.ids.has(box.dataset.user);
      box.disabled = Boolean(selection.query);
    }
    const all = table.querySelector("input.all");
    if (all) {
      const boxes = [...table.querySelectorAll("input[data-user]")];
      all.checked = boxes.length > 0 && boxes.every((b) => b.checked);
      all.indeterminate = !all.checked && boxes.some((b) => b.checked);
      all.disabled = Boolean(selection.query);
    }
    drawBar();
  };

  if (users.length === 0) {
    fill(
      table,
      empty(
        total === 0 && !filtered ? "This project has no users yet." : "No users match this search.",
        total === 0 && !filtered ? h("span", {}, "Create some through the API, or ", h("a", { href: href("transfer") }, "import a file"), ".") : "Try fewer filters.",
      ),
    );
  } else {
    fill(table, usersTable(users, params, redraw));
  }
  redraw();
  drawPager(pager, params, page, size, total);
}

function sortHeader(column, params) {
  if (!column.sort) return h("th", { scope: "col" }, column.label);
  const current = params.get("sort") === column.sort;
  const desc = current && params.get("desc") === "1";
  const next = new URLSearchParams(params);
  next.set("sort", column.sort);
  next.set("desc", current && !desc ? "1" : "0");
  next.delete("page");
  return h(
    "th",
    { scope: "col", "aria-sort": current ? (desc ? "descending" : "ascending") : "none" },
    h("a", { href: `#/users?${next}`, class: "sort" }, column.label, h("span", { class: "arrow", "aria-hidden": "true" }, current ? (desc ? " ↓" : " ↑") : "")),
  );
}

function usersTable(users, params, redraw) {
  const all = h("input", {
    type: "checkbox",
    class: "all",
    "aria-label": "Select every user on this page",
    onchange: (e) => {
      for (const u of users) {
        if (e.target.checked) selection.ids.add(u.userId);
        else selection.ids.delete(u.userId);
      }
      redraw();
    },
  });
  return h(
    "table",
    { class: "users" },
    h("thead", {}, h("tr", {}, h("th", { class: "pick" }, all), COLUMNS.map((c) => sortHeader(c, params)))),
    h(
      "tbody",
      {},
      users.map((u) =>
        h(
          "tr",
          {},
          h(
            "td",
            { class: "pick" },
            h("input", {
              type: "checkbox",
              dataset: { user: u.userId },
              "aria-label": `Select ${u.name || u.loginIds[0] || u.userId}`,
              onchange: (e) => {
                if (e.target.checked) selection.ids.add(u.userId);
                else selection.ids.delete(u.userId);
                redraw();
              },
            }),
          ),
          h("td", { "data-label": "Name" }, h("a", { href: href("user", u.userId) }, u.name || h("span", { class: "muted" }, "(no name)")), u.test ? h("span", { class: "badge" }, "test") : null),
          h("td", { "data-label": "Login ID" }, u.loginIds[0] ?? ""),
          h("td", { "data-label": "Email" }, u.email),
          h("td", { "data-label": "Status" }, h("span", { class: `status ${u.status}` }, u.status)),
          h("td", { "data-label": "Roles" }, u.roleNames.join(", ")),
          h("td", { "data-label": "Tenants" }, u.userTenants.map((t) => t.tenantName || t.tenantId).join(", ")),
          h("td", { "data-label": "Created" }, when(u.createdTime)),
        ),
      ),
    ),
  );
}

function drawPager(pager, params, page, size, total) {
  const pages = Math.max(1, Math.ceil(total / size));
  const to = (p) => {
    const next = new URLSearchParams(params);
    next.set("page", String(p));
    return `#/users?${next}`;
  };
  const sizeSelect = h(
    "select",
    {
      onchange: (e) => {
        const next = new URLSearchParams(params);
        next.set("size", e.target.value);
        next.delete("page");
        go("users", "", next);
      },
    },
    SIZES.map((s) => h("option", { value: s, selected: s === size }, `${s} a page`)),
  );
  fill(
    pager,
    page > 0 ? h("a", { class: "button secondary small", href: to(page - 1), rel: "prev" }, "← Previous") : h("span", { class: "button secondary small disabled", "aria-disabled": "true" }, "← Previous"),
    h("span", { class: "page-of" }, `Page ${count(page + 1)} of ${count(pages)}`),
    page + 1 < pages ? h("a", { class: "button secondary small", href: to(page + 1), rel: "next" }, "Next →") : h("span", { class: "button secondary small disabled", "aria-disabled": "true" }, "Next →"),
    h("label", { class: "size" }, h("span", { class: "visually-hidden" }, "Users per page"), sizeSelect),
  );
}

function searchForm(params, cat) {
  const text = h("input", { type: "search", name: "text", value: params.get("text") ?? "", placeholder: "Name, email, phone or login ID" });
  const status = h(
    "select",
    { name: "status" },
    h("option", { value: "" }, "Any status"),
    ["enabled", "disabled", "invited", "expired"].map((s) => h("option", { value: s, selected: params.get("status") === s }, s)),
  );
  const tenant = h(
    "select",
    { name: "tenant" },
    h("option", { value: "" }, "Any tenant"),
    cat.tenants.map((t) => h("option", { value: t.id, selected: params.get("tenant") === t.id }, t.name || t.id)),
  );
  const role = h(
    "select",
    { name: "role" },
    h("option", { value: "" }, "Any role"),
    cat.roles.filter((r) => !r.tenantId).map((r) => h("option", { value: r.name, selected: params.get("role") === r.name }, r.name)),
  );
  const attr = h(
    "select",
    { name: "attr" },
    h("option", { value: "" }, "Any attribute"),
    cat.attributes.map((a) => h("option", { value: a.name, selected: params.get("attr") === a.name }, `${a.displayName || a.name} (${ATTRIBUTE_TYPES[a.type] ?? a.type})`)),
  );
  const value = h("input", { name: "value", value: params.get("value") ?? "", placeholder: "Value" });
  const test = h("input", { type: "checkbox", name: "test", checked: params.get("test") === "1" });
  return h(
    "form",
    {
      class: "search",
      role: "search",
      onsubmit: (e) => {
        e.preventDefault();
        const next = new URLSearchParams();
        for (const [k, v] of [["text", text.value.trim()], ["status", status.value], ["tenant", tenant.value], ["role", role.value], ["attr", attr.value]]) {
          if (v) next.set(k, v);
        }
        if (attr.value) next.set("value", value.value);
        if (test.checked) next.set("test", "1");
        for (const k of ["sort", "desc", "size"]) if (params.get(k)) next.set(k, params.get(k));
        if (selection.query) selection.clear();
        go("users", "", next);
      },
    },
    field("Search", text, { name: "text" }),
    field("Status", status),
    field("Tenant", tenant),
    field("Role", role),
    field("Custom attribute", attr),
    field("Attribute value", value),
    h("label", { class: "check" }, test, " Include test users"),
    h("button", { class: "primary", type: "submit" }, "Search"),
  );
}
