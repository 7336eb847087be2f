// One user: every field of the user object, a form to change it (sent as one
// `PATCH /v1/mgmt/user/patch` holding only what changed, so the server's rules decide,
// with the version the page was loaded at, so that no one else's change is overwritten),
// the login IDs, and the user's audit trail. An error is shown at the field it names.

import { catalog, get, patch, post, readOnly } from "../api.js";
import { clearFieldErrors, count, field, fill, h, showFieldError, toast, when } from "../dom.js";
import { href } from "../app.js";

const STATUSES = ["enabled", "disabled", "invited", "expired"];
const NAME_FIELDS = [
  ["name", "Display name"],
  ["givenName", "Given name"],
  ["middleName", "Middle name"],
  ["familyName", "Family name"],
];

export async function render(main, { arg, isCurrent }) {
  const [cat, answer] = await Promise.all([catalog(), get(`/v1/mgmt/user?userId=${encodeURIComponent(arg)}`)]);
  if (!isCurrent()) return;
  draw(main, cat, answer.user);
}

function draw(main, cat, user) {
  const locked = readOnly();
  const title = user.name || user.loginIds[0] || user.userId;
  const edit = editForm(cat, user, locked, (updated) => draw(main, cat, updated));
  const audit = h("section", { class: "card", "aria-labelledby": "audit-h" }, h("h2", { id: "audit-h" }, "Audit trail"), h("div", { class: "loading" }, "Loading the audit trail…"));
  fill(
    main,
    h("p", { class: "crumbs" }, h("a", { href: href("users") }, "← Users")),
    h(
      "div",
      { class: "screen-head" },
      h("h1", {}, title),
      h("p", { class: "summary" }, h("span", { class: `status ${user.status}` }, user.status), ` · ${user.userId} · version ${user.version ?? ""}`),
    ),
    h("div", { class: "columns" }, edit, h("div", {}, loginIdsCard(user, locked, (updated) => draw(main, cat, updated)), everyField(user))),
    audit,
  );
  loadAudit(audit, user);
}

/** Inputs for one custom attribute, fitting its type; `read()` gives the value to send
 * (null clears it). */
function attributeInput(def, value) {
  const label = def.displayName || def.name;
  const name = `customAttributes.${def.name}`;
  const options = def.options ?? [];
  switch (def.type) {
    case 2: {
      const input = h("input", { type: "number", step: "any", value: value ?? "" });
      return { el: field(label, input, { name }), read: () => (input.value === "" ? null : Number(input.value)) };
    }
    case 3: {
      const select = h("select", {}, h("option", { value: "" }, "(not set)"), h("option", { value: "true", selected: value === true }, "true"), h("option", { value: "false", selected: value === false }, "false"));
      return { el: field(label, select, { name }), read: () => (select.value === "" ? null : select.value === "true") };
    }
    case 4:
      if (options.length) {
        const select = h("select", {}, h("option", { value: "" }, "(not set)"), options.map((o) => h("option", { value: o.value, selected: value === o.value }, o.label || o.value)));
        return { el: field(label, select, { name }), read: () => (select.value === "" ? null : select.value) };
      }
      break;
    case 5: {
      const held = Array.isArray(value) ? value : [];
      if (options.length) {
        const boxes = options.map((o) => h("input", { type: "checkbox", value: o.value, checked: held.includes(o.value) }));
        const group = h("fieldset", { class: "checks", dataset: { field: name } }, h("legend", {}, label), boxes.map((b, i) => h("label", { class: "check" }, b, ` ${options[i].label || options[i].value}`)), h("p", { class: "field-error", role: "alert" }));
        group.classList.add("field");
        return { el: group, read: () => { const v = boxes.filter((b) => b.checked).map((b) => b.value); return v.length ? v : null; } };
      }
      const area = h("textarea", { rows: 3 }, held.join("\n"));
      return { el: field(label, area, { name, hint: "One value a line." }), read: () => { const v = area.value.split("\n").map((s) => s.trim()).filter(Boolean); return v.length ? v : null; } };
    }
    case 6: {
      const iso = typeof value === "number" ? new Date(value).toISOString().slice(0, 10) : typeof value === "string" ? value.slice(0, 10) : "";
      const input = h("input", { type: "date", value: iso });
      return { el: field(label, input, { name }), read: () => (input.value === "" ? null : input.value === iso ? value : input.value) };
    }
    case 7: {
      const input = h("input", { value: value ?? "", placeholder: "MM-DD", pattern: "\\d{2}-\\d{2}" });
      return { el: field(label, input, { name, hint: "Month and day, as MM-DD." }), read: () => (input.value === "" ? null : input.value) };
    }
    default:
      break;
  }
  const input = h("input", { value: value ?? "" });
  return { el: field(label, input, { name }), read: () => (input.value === "" ? null : input.value) };
}

function roleChecks(roles, held, legend, name) {
  const boxes = roles.map((r) => h("input", { type: "checkbox", value: r.name, checked: held.includes(r.name) }));
  const el = h(
    "fieldset",
    { class: "field checks", dataset: { field: name } },
    h("legend", {}, legend),
    roles.length ? boxes.map((b, i) => h("label", { class: "check" }, b, ` ${roles[i].name}`)) : h("p", { class: "muted" }, "No roles defined."),
    h("p", { class: "field-error", role: "alert" }),
  );
  return { el, read: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function editForm(cat, user, locked, redraw) {
  const inputs = {};
  const text = (key, attrs = {}) => {
    inputs[key] = h("input", { value: user[key] ?? "", ...attrs });
    return inputs[key];
  };
  const projectRoles = cat.roles.filter((r) => !r.tenantId);
  const roles = roleChecks(projectRoles, user.roleNames, "Project roles", "roleNames");

  // Tenants: one row each, with the roles that tenant may hold.
  let tenants = user.userTenants.map((t) => ({ tenantId: t.tenantId, roleNames: [...t.roleNames] }));
  const tenantBox = h("div", { class: "tenants" });
  const tenantRoles = (id) => cat.roles.filter((r) => !r.tenantId || r.tenantId === id);
  const tenantName = (id) => cat.tenants.find((t) => t.id === id)?.name || id;
  const addSelect = h("select", { "aria-label": "Tenant to add" });
  const drawTenants = () => {
    fill(
      tenantBox,
      tenants.length === 0 ? h("p", { class: "muted" }, "In no tenant.") : null,
      tenants.map((t, i) => {
        const checks = tenantRoles(t.tenantId).map((r) =>
          h("label", { class: "check" }, h("input", { type: "checkbox", checked: t.roleNames.includes(r.name), disabled: locked, onchange: (e) => { t.roleNames = e.target.checked ? [...t.roleNames, r.name] : t.roleNames.filter((n) => n !== r.name); } }), ` ${r.name}`),
        );
        return h(
          "fieldset",
          { class: "tenant" },
          h("legend", {}, tenantName(t.tenantId)),
          checks.length ? checks : h("span", { class: "muted" }, "No roles defined."),
          h("button", { type: "button", class: "link", disabled: locked, onclick: () => { tenants.splice(i, 1); drawTenants(); }, "aria-label": `Remove from ${tenantName(t.tenantId)}` }, "Remove"),
        );
      }),
    );
    fill(addSelect, h("option", { value: "" }, "Add to a tenant…"), cat.tenants.filter((t) => !tenants.some((x) => x.tenantId === t.id)).map((t) => h("option", { value: t.id }, t.name || t.id)));
  };
  addSelect.addEventListener("change", () => {
    if (!addSelect.value) return;
    tenants.push({ tenantId: addSelect.value, roleNames: [] });
    drawTenants();
  });
  drawTenants();

  const attrs = cat.attributes.map((def) => ({ def, ...attributeInput(def, user.customAttributes[def.name]) }));
  const status = h("select", {}, STATUSES.map((s) => h("option", { value: s, selected: user.status === s }, s)));
  const verifiedEmail = h("input", { type: "checkbox", checked: user.verifiedEmail });
  const verifiedPhone = h("input", { type: "checkbox", checked: user.verifiedPhone });
  const additional = h("textarea", { rows: 2 }, user.loginIds.slice(1).join("\n"));
  const formError = h("p", { class: "form-error", role: "alert" });
  const save = h("button", { class: "primary", type: "submit" }, "Save changes");

  /** The fields that differ from the stored user, as the patch body. */
  const changes = () => {
    const body = {};
    for (const key of ["name", "givenName", "middleName", "familyName", "email", "phone", "picture"]) {
      if (inputs[key].value !== (user[key] ?? "")) body[key] = inputs[key].value.trim();
    }
    if (verifiedEmail.checked !== user.verifiedEmail) body.verifiedEmail = verifiedEmail.checked;
    if (verifiedPhone.checked !== user.verifiedPhone) body.verifiedPhone = verifiedPhone.checked;
    if (status.value !== user.status) body.status = status.value;
    const r = roles.read();
    if (!same([...r].sort(), [...user.roleNames].sort())) body.roleNames = r;
    const before = user.userTenants.map((t) => ({ tenantId: t.tenantId, roleNames: [...t.roleNames].sort() }));
    const after = tenants.map((t) => ({ tenantId: t.tenantId, roleNames: [...t.roleNames].sort() }));
    if (!same(before, after)) body.userTenants = tenants;
    const custom = {};
    for (const a of attrs) {
      const v = a.read();
      const old = user.customAttributes[a.def.name] ?? null;
      if (!same(v, old)) custom[a.def.name] = v;
    }
    if (Object.keys(custom).length) body.customAttributes = custom;
    const extra = additional.value.split("\n").map((s) => s.trim()).filter(Boolean);
    if (!same(extra, user.loginIds.slice(1))) body.additionalIdentifiers = extra;
    return body;
  };

  const form = h(
    "form",
    {
      class: "card edit",
      "aria-labelledby": "edit-h",
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        formError.textContent = "";
        const body = changes();
        if (Object.keys(body).length === 0) {
          toast("Nothing changed.");
          return;
        }
        save.disabled = true;
        try {
          // expectedVersion: a change made by someone else since this page loaded is
          // not overwritten (the lists are sent whole).
          const answer = await patch("/v1/mgmt/user/patch", { loginId: user.userId, expectedVersion: user.version, ...body });
          toast(`Saved ${Object.keys(body).length === 1 ? Object.keys(body)[0] : `${Object.keys(body).length} changes`}.`);
          redraw(answer.user);
        } catch (err) {
          if (err.code === "E998409") {
            fill(
              formError,
              "Someone changed this user since this page loaded, so nothing was saved. ",
              h("button", { type: "button", class: "link", onclick: () => location.reload() }, "Load the user again"),
            );
            return;
          }
          const at = err.field ?? "";
          const shown =
            showFieldError(form, at, err.reason) ||
            showFieldError(form, at.replace(/\[\d+\].*$/, ""), err.reason) ||
            showFieldError(form, at.split(".")[0], err.reason);
          if (!shown) formError.textContent = err.message;
          form.querySelector(".invalid input, .invalid select, .invalid textarea")?.focus();
        } finally {
          save.disabled = false;
        }
      },
    },
    h("h2", { id: "edit-h" }, "Details"),
    h(
      "fieldset",
      { disabled: locked, class: "plain" },
      locked ? h("p", { class: "notice" }, "This key is read-only: you can look, not change.") : null,
      h("div", { class: "grid2" }, NAME_FIELDS.map(([key, label]) => field(label, text(key), { name: key }))),
      h("div", { class: "grid2" },
        h("div", {}, field("Email", text("email", { type: "email", autocomplete: "off" }), { name: "email" }), h("label", { class: "check" }, verifiedEmail, " Verified email")),
        h("div", {}, field("Phone", text("phone", { type: "tel", autocomplete: "off" }), { name: "phone", hint: "International form, e.g. +14155550100." }), h("label", { class: "check" }, verifiedPhone, " Verified phone")),
      ),
      h("div", { class: "grid2" }, field("Status", status, { name: "status" }), field("Picture URL", text("picture", { type: "url" }), { name: "picture" })),
      roles.el,
      h("fieldset", { class: "field", dataset: { field: "userTenants" } }, h("legend", {}, "Tenants and their roles"), tenantBox, addSelect, h("p", { class: "field-error", role: "alert" })),
      attrs.length ? h("fieldset", { class: "plain attributes" }, h("legend", {}, "Custom attributes"), h("div", { class: "grid2" }, attrs.map((a) => a.el))) : null,
      field("Additional login IDs", additional, { name: "additionalIdentifiers", hint: "One a line. The first login ID is changed below." }),
      formError,
      h("div", { class: "actions" }, save, h("button", { type: "reset", class: "secondary", onclick: (e) => { e.preventDefault(); redraw(user); } }, "Discard changes")),
    ),
  );
  return form;
}

function loginIdsCard(user, locked, redraw) {
  const input = h("input", { value: user.loginIds[0] ?? "", autocomplete: "off" });
  const form = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "login-h",
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        const next = input.value.trim();
        if (next === (user.loginIds[0] ?? "")) return;
        try {
          const answer = await post("/v1/mgmt/user/update/loginid", { loginId: user.userId, newLoginId: next });
          toast("Login ID changed.");
          redraw(answer.user);
        } catch (err) {
          showFieldError(form, "newLoginId", err.reason ?? err.message);
          input.focus();
        }
      },
    },
    h("h2", { id: "login-h" }, "Login ID"),
    h("fieldset", { disabled: locked, class: "plain" }, field("First login ID", input, { name: "newLoginId" }), h("button", { type: "submit", class: "secondary" }, "Rename")),
  );
  return form;
}

function show(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 1);
}

function everyField(user) {
  const times = new Set(["createdTime"]);
  return h(
    "section",
    { class: "card", "aria-labelledby": "all-h" },
    h("h2", { id: "all-h" }, "Every field"),
    h(
      "dl",
      { class: "fields" },
      Object.entries(user).map(([k, v]) => [
        h("dt", {}, k),
        h("dd", {}, times.has(k) ? `${v} (${when(v)})` : k === "modifiedTime" ? `${v} (${when(v, "ms")})` : typeof v === "object" ? h("pre", {}, show(v)) : show(v)),
      ]),
    ),
  );
}

async function loadAudit(section, user) {
  const list = h("div");
  try {
    const answer = await post("/v1/mgmt/audit/search", { userIds: [user.userId], limit: 50 });
    if (answer.audits.length === 0) {
      fill(list, h("p", { class: "muted" }, "No audit records for this user (the server may keep none: see --audit-retention)."));
    } else {
      fill(
        list,
        h("p", { class: "muted" }, `${count(answer.total)} records; the newest ${answer.audits.length} shown.`),
        h(
          "table",
          { class: "audit" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Action"), h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Changes"))),
          h(
            "tbody",
            {},
            answer.audits.map((a) =>
              h(
                "tr",
                {},
                h("td", { "data-label": "When" }, when(Number(a.occurred), "ms")),
                h("td", { "data-label": "Action" }, a.action),
                h("td", { "data-label": "Key" }, a.managementKeyId || a.actorId),
                h("td", { "data-label": "Changes" }, changesOf(a.data)),
              ),
            ),
          ),
        ),
      );
    }
  } catch (e) {
    fill(list, h("p", { class: "form-error" }, e.message));
  }
  fill(section, h("h2", { id: "audit-h" }, "Audit trail"), list);
}

function changesOf(data) {
  const changes = data?.changes;
  if (!changes) return Object.keys(data ?? {}).length ? h("code", {}, JSON.stringify(data)) : "";
  return h(
    "ul",
    { class: "changes" },
    Object.entries(changes).map(([k, c]) => h("li", {}, h("strong", {}, k), ": ", h("code", {}, JSON.stringify(c.old)), " → ", h("code", {}, JSON.stringify(c.new)))),
  );
}
