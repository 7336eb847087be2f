// Custom attribute definitions: list, create (name, display name, type, options),
// change (display name and options, through Roster's own `customattribute/update`: the
// type stays, and an option users hold cannot go), and delete, after saying what the
// deletion removes from users.

import { ATTRIBUTE_TYPES, get, post, readOnly } from "../api.js";
import { clearFieldErrors, confirmDialog, count, empty, field, fill, h, showFieldError, toast } from "../dom.js";

/** The type names the API takes, with the codes it answers. */
const TYPES = [
  ["string", 1],
  ["number", 2],
  ["boolean", 3],
  ["singleselect", 4],
  ["multiselect", 5],
  ["date", 6],
  ["monthday", 7],
];

export async function render(main, { isCurrent }) {
  const { data } = await get("/v1/mgmt/user/customattributes");
  if (!isCurrent()) return;
  const redraw = () => render(main, { isCurrent });
  const editor = h("div");
  const locked = readOnly();
  fill(
    main,
    h("div", { class: "screen-head" }, h("h1", {}, "Custom attributes"), h("p", { class: "summary" }, `${count(data.length)} defined`)),
    locked ? null : h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: () => { fill(editor, createForm(redraw, () => fill(editor))); editor.querySelector("input")?.focus(); } }, "New attribute")),
    editor,
    data.length === 0
      ? empty("No custom attributes yet.", "A user's customAttributes may only hold the attributes defined here.")
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            {},
            h("thead", {}, h("tr", {}, ["Name", "Display name", "Type", "Options", ""].map((c) => h("th", { scope: "col" }, c)))),
            h(
              "tbody",
              {},
              data.map((a) =>
                h(
                  "tr",
                  {},
                  h("td", { "data-label": "Name" }, h("code", {}, a.name)),
                  h("td", { "data-label": "Display name" }, a.displayName),
                  h("td", { "data-label": "Type" }, ATTRIBUTE_TYPES[a.type] ?? a.type),
                  h("td", { "data-label": "Options" }, a.options.map((o) => (o.label && o.label !== o.value ? `${o.value} (${o.label})` : o.value)).join(", ")),
                  h(
                    "td",
                    { class: "row-actions" },
                    locked
                      ? null
                      : [
                          h("button", { type: "button", class: "link", "aria-label": `Edit attribute ${a.name}`, onclick: () => { fill(editor, editForm(a, redraw, () => fill(editor))); editor.querySelector("input:not([readonly])")?.focus(); } }, "Edit"),
                          h("button", { type: "button", class: "link danger", "aria-label": `Delete attribute ${a.name}`, onclick: () => remove(a, redraw) }, "Delete"),
                        ],
                  ),
                ),
              ),
            ),
          ),
        ),
  );
}

function createForm(done, cancel) {
  const name = h("input", { required: true, spellcheck: "false" });
  const displayName = h("input", {});
  const type = h("select", {}, TYPES.map(([n, code]) => h("option", { value: n }, ATTRIBUTE_TYPES[code])));
  const options = h("textarea", { rows: 3, placeholder: "gold\nsilver: Silver tier" });
  const optionsField = field("Options", options, { name: "options", hint: "For select types: one a line, as value or value: label." });
  const showOptions = () => {
    optionsField.hidden = !type.value.endsWith("select");
  };
  type.addEventListener("change", showOptions);
  showOptions();
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    {
      class: "card",
      "aria-label": "New attribute",
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        error.textContent = "";
        const opts = type.value.endsWith("select") ? readOptions(options.value) : [];
        try {
          await post("/v1/mgmt/user/customattribute/create", { attributes: [{ name: name.value.trim(), displayName: displayName.value.trim() || name.value.trim(), type: type.value, options: opts }] });
          toast(`Attribute ${name.value.trim()} created.`);
          done();
        } catch (err) {
          const at = (err.field ?? "").replace(/^attributes\[\d+\]\./, "");
          if (!showFieldError(form, at, err.reason) && !showFieldError(form, at.split(/[.[]/)[0], err.reason)) error.textContent = err.message;
        }
      },
    },
    h("h2", {}, "New attribute"),
    h("div", { class: "grid2" }, field("Name", name, { name: "name", hint: "The key in customAttributes." }), field("Display name", displayName, { name: "displayName" }), field("Type", type, { name: "type" })),
    optionsField,
    error,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create attribute"), h("button", { type: "button", class: "secondary", onclick: cancel }, "Cancel")),
  );
  return form;
}

/** Options as the textarea holds them: a line each, `value` or `value: label`. */
function readOptions(text) {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [value, ...label] = l.split(":");
      return { value: value.trim(), label: label.join(":").trim() || value.trim() };
    });
}

function writeOptions(options) {
  return options.map((o) => (o.label && o.label !== o.value ? `${o.value}: ${o.label}` : o.value)).join("\n");
}

function editForm(attribute, done, cancel) {
  const name = h("input", { value: attribute.name, readonly: true });
  const type = h("input", { value: ATTRIBUTE_TYPES[attribute.type] ?? String(attribute.type), readonly: true });
  const displayName = h("input", { value: attribute.displayName });
  const select = attribute.type === 4 || attribute.type === 5;
  const options = h("textarea", { rows: 4 }, writeOptions(attribute.options));
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h(
    "form",
    {
      class: "card",
      "aria-label": `Edit attribute ${attribute.name}`,
      onsubmit: async (e) => {
        e.preventDefault();
        clearFieldErrors(form);
        error.textContent = "";
        try {
          // A definition is replaced whole: the parts this form does not show go back
          // as they are.
          await post("/v1/mgmt/user/customattribute/update", {
            attributes: [
              {
                name: attribute.name,
                type: attribute.type,
                displayName: displayName.value.trim() || attribute.name,
                options: select ? readOptions(options.value) : attribute.options,
                defaultValue: attribute.defaultValue,
                viewPermissions: attribute.viewPermissions,
                editPermissions: attribute.editPermissions,
                required: attribute.required,
              },
            ],
          });
          toast(`Attribute ${attribute.name} saved.`);
          done();
        } catch (err) {
          const at = (err.field ?? "").replace(/^attributes\[\d+\]\./, "");
          if (!showFieldError(form, at, err.reason) && !showFieldError(form, at.split(/[.[]/)[0], err.reason)) error.textContent = err.message;
        }
      },
    },
    h("h2", {}, `Edit attribute ${attribute.name}`),
    h(
      "div",
      { class: "grid2" },
      field("Name", name, { name: "name", hint: "A name cannot change." }),
      field("Type", type, { name: "type", hint: "A type cannot change." }),
      field("Display name", displayName, { name: "displayName" }),
    ),
    select ? field("Options", options, { name: "options", hint: "One a line, as value or value: label. An option users hold cannot be taken out." }) : null,
    error,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save attribute"), h("button", { type: "button", class: "secondary", onclick: cancel }, "Cancel")),
  );
  return form;
}

async function remove(attribute, redraw) {
  const ok = await confirmDialog({
    title: `Delete the attribute ${attribute.name}?`,
    body: h("p", {}, `Every user's value of ${attribute.name} is removed with it, and those users' version moves. This cannot be undone.`),
    confirm: "Delete attribute",
    danger: true,
  });
  if (!ok) return;
  try {
    await post("/v1/mgmt/user/customattribute/delete", { names: [attribute.name] });
    toast(`Attribute ${attribute.name} deleted.`);
    redraw();
  } catch (e) {
    toast(e.message, "error");
  }
}
