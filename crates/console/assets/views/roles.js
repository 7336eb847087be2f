// Roles and permissions: list, create, edit (a role's update replaces it, so the form
// sends every field), and delete after showing who holds the role or which roles use
// the permission.

import { get, post, readOnly } from "../api.js";
import { clearFieldErrors, confirmDialog, count, empty, field, fill, h, showFieldError, toast } from "../dom.js";

export async function render(main, { isCurrent }) {
  const [{ roles }, { permissions }, { tenants }] = await Promise.all([get("/v1/mgmt/role/all"), get("/v1/mgmt/permission/all"), get("/v1/mgmt/tenant/all")]);
  if (!isCurrent()) return;
  const redraw = () => render(main, { isCurrent });
  const editor = h("div");
  const open = (form) => {
    fill(editor, form);
    editor.querySelector("input")?.focus();
  };
  const close = () => fill(editor);
  const tenantName = (id) => tenants.find((t) => t.id === id)?.name || id;
  const locked = readOnly();
  fill(
    main,
    h("div", { class: "screen-head" }, h("h1", {}, "Roles and permissions"), h("p", { class: "summary" }, `${count(roles.length)} roles, ${count(permissions.length)} permissions`)),
    locked
      ? null
      : h(
          "div",
          { class: "actions" },
          h("button", { type: "button", class: "primary", onclick: () => open(roleForm(null, permissions, tenants, redraw, close)) }, "New role"),
          h("button", { type: "button", class: "secondary", onclick: () => open(permissionForm(null, redraw, close)) }, "New permission"),
        ),
    editor,
    h("h2", {}, "Roles"),
    roles.length === 0
      ? empty("No roles yet.")
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            {},
            h("thead", {}, h("tr", {}, ["Name", "Tenant", "Description", "Permissions", ""].map((c) => h("th", { scope: "col" }, c)))),
            h(
              "tbody",
              {},
              roles.map((r) =>
                h(
                  "tr",
                  {},
                  h("td", { "data-label": "Name" }, r.tenantId ? r.name : h("a", { href: `#/users?role=${encodeURIComponent(r.name)}` }, r.name)),
                  h("td", { "data-label": "Tenant" }, r.tenantId ? tenantName(r.tenantId) : h("span", { class: "muted" }, "project")),
                  h("td", { "data-label": "Description" }, r.description),
                  h("td", { "data-label": "Permissions" }, r.permissionNames.join(", ")),
                  h(
                    "td",
                    { class: "row-actions" },
                    locked
                      ? null
                      : [
                          h("button", { type: "button", class: "link", "aria-label": `Edit role ${r.name}`, onclick: () => open(roleForm(r, permissions, tenants, redraw, close)) }, "Edit"),
                          h("button", { type: "button", class: "link danger", "aria-label": `Delete role ${r.name}`, onclick: () => removeRole(r, tenantName, redraw) }, "Delete"),
                        ],
                  ),
                ),
              ),
            ),
          ),
        ),
    h("h2", {}, "Permissions"),
    permissions.length === 0
      ? empty("No permissions yet.")
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            {},
            h("thead", {}, h("tr", {}, ["Name", "Description", "Used by", ""].map((c) => h("th", { scope: "col" }, c)))),
            h(
              "tbody",
              {},
              permissions.map((p) => {
                const users = roles.filter((r) => r.permissionNames.includes(p.name));
                return h(
                  "tr",
                  {},
                  h("td", { "data-label": "Name" }, p.name),
                  h("td", { "data-label": "Description" }, p.description),
                  h("td", { "data-label": "Used by" }, users.map((r) => r.name).join(", ")),
                  h(
                    "td",
                    { class: "row-actions" },
                    locked || p.systemDefault
                      ? null
                      : [
                          h("button", { type: "button", class: "link", "aria-label": `Edit permission ${p.name}`, onclick: () => open(permissionForm(p, redraw, close)) }, "Edit"),
                          h("button", { type: "button", class: "link danger", "aria-label": `Delete permission ${p.name}`, onclick: () => removePermission(p, users, redraw) }, "Delete"),
                        ],
                  ),
                );
              }),
            ),
          ),
        ),
  );
}

function roleForm(role, permissions, tenants, done, cancel) {
  const name = h("input", { value: role?.name ?? "", required: true });
  const description = h("input", { value: role?.description ?? "" });
  const tenant = h("select", { disabled: Boolean(role) }, h("option", { value: "" }, "The whole project"), tenants.map((t) => h("option", { value: t.id, selected: role?.tenantId === t.id }, t.name || t.id)));
  const boxes = permissions.map((p) => h("input", { type: "checkbox", value: p.name, checked: role?.permissionNames.includes(p.name) }));
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    {
      class: "card",
      "aria-label": role ? `Edit role ${role.name}` : "New role",
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        error.textContent = "";
        const permissionNames = boxes.filter((b) => b.checked).map((b) => b.value);
        try {
          if (role) {
            await post("/v1/mgmt/role/update", { name: role.name, tenantId: role.tenantId || undefined, newName: name.value.trim(), description: description.value, permissionNames, default: role.default, private: role.private });
          } else {
            await post("/v1/mgmt/role/create", { name: name.value.trim(), description: description.value, permissionNames, tenantId: tenant.value || undefined });
          }
          toast(`Role ${name.value.trim()} saved.`);
          done();
        } catch (err) {
          const at = err.field === "newName" ? "name" : err.field ?? "";
          if (!showFieldError(form, at, err.reason)) error.textContent = err.message;
        }
      },
    },
    h("h2", {}, role ? `Edit role ${role.name}` : "New role"),
    h("div", { class: "grid2" }, field("Name", name, { name: "name" }), field("Description", description, { name: "description" }), field("Tenant", tenant, { name: "tenantId", hint: role ? "A role's tenant is set when it is created." : "A tenant's own role, or one for the whole project." })),
    h("fieldset", { class: "field checks", dataset: { field: "permissionNames" } }, h("legend", {}, "Permissions"), boxes.length ? boxes.map((b) => h("label", { class: "check" }, b, ` ${b.value}`)) : h("p", { class: "muted" }, "No permissions defined."), h("p", { class: "field-error", role: "alert" })),
    error,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, role ? "Save role" : "Create role"), h("button", { type: "button", class: "secondary", onclick: cancel }, "Cancel")),
  );
  return form;
}

function permissionForm(permission, done, cancel) {
  const name = h("input", { value: permission?.name ?? "", required: true });
  const description = h("input", { value: permission?.description ?? "" });
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    {
      class: "card",
      "aria-label": permission ? `Edit permission ${permission.name}` : "New permission",
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        error.textContent = "";
        try {
          if (permission) {
            await post("/v1/mgmt/permission/update", { name: permission.name, newName: name.value.trim(), description: description.value });
          } else {
            await post("/v1/mgmt/permission/create", { name: name.value.trim(), description: description.value });
          }
          toast(`Permission ${name.value.trim()} saved.`);
          done();
        } catch (err) {
          const at = err.field === "newName" ? "name" : err.field ?? "";
          if (!showFieldError(form, at, err.reason)) error.textContent = err.message;
        }
      },
    },
    h("h2", {}, permission ? `Edit permission ${permission.name}` : "New permission"),
    h("div", { class: "grid2" }, field("Name", name, { name: "name" }), field("Description", description, { name: "description" })),
    error,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, permission ? "Save permission" : "Create permission"), h("button", { type: "button", class: "secondary", onclick: cancel }, "Cancel")),
  );
  return form;
}

async function removeRole(role, tenantName, redraw) {
  const query = role.tenantId ? { tenantRoleNames: { [role.tenantId]: { values: [role.name] } } } : { roleNames: [role.name] };
  const holders = await post("/v2/mgmt/user/search", { ...query, withTestUser: true, limit: 1 });
  const ok = await confirmDialog({
    title: `Delete the role ${role.name}?`,
    body: h("p", {}, `${count(holders.total)} users hold it${role.tenantId ? ` in ${tenantName(role.tenantId)}` : ""}; they lose it, and their version moves.`),
    confirm: "Delete role",
    danger: true,
  });
  if (!ok) return;
  try {
    await post("/v1/mgmt/role/delete", { name: role.name, tenantId: role.tenantId || undefined });
    toast(`Role ${role.name} deleted.`);
    redraw();
  } catch (e) {
    toast(e.message, "error");
  }
}

async function removePermission(permission, roles, redraw) {
  const ok = await confirmDialog({
    title: `Delete the permission ${permission.name}?`,
    body: h("p", {}, roles.length ? `${count(roles.length)} roles use it and lose it: ${roles.map((r) => r.name).join(", ")}.` : "No role uses it."),
    confirm: "Delete permission",
    danger: true,
  });
  if (!ok) return;
  try {
    await post("/v1/mgmt/permission/delete", { name: permission.name });
    toast(`Permission ${permission.name} deleted.`);
    redraw();
  } catch (e) {
    toast(e.message, "error");
  }
}
