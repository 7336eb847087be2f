// Tenants: list, create, rename and change their self-provisioning domains (through
// `PATCH /v1/mgmt/tenant/patch`, which leaves every other field alone), and delete,
// after showing how many members, child tenants and tenant roles the deletion touches.

import { get, patch, post, readOnly } from "../api.js";
import { clearFieldErrors, confirmDialog, count, empty, field, fill, h, showFieldError, toast, when } from "../dom.js";

export async function render(main, { isCurrent }) {
  const [{ tenants }, { roles }] = await Promise.all([get("/v1/mgmt/tenant/all"), get("/v1/mgmt/role/all")]);
  if (!isCurrent()) return;
  const redraw = () => render(main, { isCurrent });
  const editor = h("div");
  const openEditor = (tenant) => {
    fill(editor, tenantForm(tenant, redraw, () => fill(editor)));
    editor.querySelector("input")?.focus();
  };
  fill(
    main,
    h("div", { class: "screen-head" }, h("h1", {}, "Tenants"), h("p", { class: "summary" }, `${count(tenants.length)} tenants`)),
    readOnly() ? null : h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: () => openEditor(null) }, "New tenant")),
    editor,
    tenants.length === 0
      ? empty("No tenants yet.", readOnly() ? null : "Create one with New tenant.")
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            {},
            h("thead", {}, h("tr", {}, ["Name", "ID", "Domains", "Parent", "Created", ""].map((c) => h("th", { scope: "col" }, c)))),
            h(
              "tbody",
              {},
              tenants.map((t) =>
                h(
                  "tr",
                  {},
                  h("td", { "data-label": "Name" }, h("a", { href: `#/users?tenant=${encodeURIComponent(t.id)}` }, t.name || t.id)),
                  h("td", { "data-label": "ID" }, h("code", {}, t.id)),
                  h("td", { "data-label": "Domains" }, t.selfProvisioningDomains.join(", ")),
                  h("td", { "data-label": "Parent" }, t.parent ? tenants.find((p) => p.id === t.parent)?.name || t.parent : ""),
                  h("td", { "data-label": "Created" }, when(t.createdTime)),
                  h(
                    "td",
                    { class: "row-actions" },
                    readOnly()
                      ? null
                      : [
                          h("button", { type: "button", class: "link", onclick: () => openEditor(t), "aria-label": `Edit ${t.name || t.id}` }, "Edit"),
                          h("button", { type: "button", class: "link danger", onclick: () => remove(t, tenants, roles, redraw), "aria-label": `Delete ${t.name || t.id}` }, "Delete"),
                        ],
                  ),
                ),
              ),
            ),
          ),
        ),
  );
}

function tenantForm(tenant, done, cancel) {
  const name = h("input", { value: tenant?.name ?? "", required: true });
  const id = h("input", { value: "", placeholder: "Generated when empty", spellcheck: "false" });
  const domains = h("input", { value: tenant?.selfProvisioningDomains.join(", ") ?? "", placeholder: "example.com, example.org" });
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    {
      class: "card",
      "aria-label": tenant ? `Edit ${tenant.name}` : "New tenant",
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        error.textContent = "";
        const list = domains.value.split(",").map((s) => s.trim()).filter(Boolean);
        try {
          if (tenant) {
            await patch("/v1/mgmt/tenant/patch", { id: tenant.id, name: name.value.trim(), selfProvisioningDomains: list });
            toast(`Tenant ${name.value.trim()} saved.`);
          } else {
            const body = { name: name.value.trim(), selfProvisioningDomains: list };
            if (id.value.trim()) body.id = id.value.trim();
            await post("/v1/mgmt/tenant/create", body);
            toast(`Tenant ${body.name} created.`);
          }
          done();
        } catch (err) {
          if (!showFieldError(form, err.field ?? "", err.reason)) error.textContent = err.message;
        }
      },
    },
    h("h2", {}, tenant ? `Edit ${tenant.name || tenant.id}` : "New tenant"),
    h("div", { class: "grid2" }, field("Name", name, { name: "name" }), tenant ? null : field("ID", id, { name: "id" }), field("Self-provisioning domains", domains, { name: "selfProvisioningDomains", hint: "Comma-separated." })),
    error,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, tenant ? "Save" : "Create"), h("button", { type: "button", class: "secondary", onclick: cancel }, "Cancel")),
  );
  return form;
}

async function remove(tenant, tenants, roles, redraw) {
  const members = await post("/v2/mgmt/user/search", { tenantIds: [tenant.id], withTestUser: true, limit: 1 });
  const children = tenants.filter((t) => t.parent === tenant.id);
  const own = roles.filter((r) => r.tenantId === tenant.id);
  const cascade = h("input", { type: "checkbox" });
  const ok = await confirmDialog({
    title: `Delete the tenant ${tenant.name || tenant.id}?`,
    body: [
      h(
        "ul",
        {},
        h("li", {}, `${count(members.total)} users lose their membership of it (their version moves).`),
        h("li", {}, `${count(own.length)} roles of this tenant are deleted${own.length ? `: ${own.map((r) => r.name).join(", ")}` : ""}.`),
        h("li", {}, `${count(children.length)} child tenants lose their parent${children.length ? `: ${children.map((c) => c.name).join(", ")}` : ""}.`),
      ),
      h("label", { class: "check" }, cascade, " Also delete the users whose only tenant this is"),
    ],
    confirm: "Delete tenant",
    danger: true,
  });
  if (!ok) return;
  try {
    await post("/v1/mgmt/tenant/delete", { id: tenant.id, cascade: cascade.checked });
    toast(`Tenant ${tenant.name || tenant.id} deleted.`);
    redraw();
  } catch (e) {
    toast(e.message, "error");
  }
}
