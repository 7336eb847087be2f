// Building the page: elements from plain data, never from HTML strings, so that no
// user's name or attribute can become markup.

/** An element: `h("button", {class: "primary", onclick: f}, "Save")`. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "value" || key === "checked" || key === "selected" || key === "indeterminate") {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace what `el` holds. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
/** A fresh element ID, for labels and descriptions. */
export function uid(prefix = "f") {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled input: `field("Email", input, {hint, error})`; the error slot is kept so
 * that showing an error does not move the layout below it. */
export function field(label, control, { hint, name } = {}) {
  const id = control.id || uid();
  control.id = id;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  control.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
  const wrap = h(
    "div",
    { class: "field", dataset: { field: name ?? "" } },
    h("label", { for: id }, label),
    control,
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("p", { class: "field-error", id: errorId, role: "alert" }),
  );
  return wrap;
}

/** Show `message` at the field named `name` inside `form`; true if there was one. */
export function showFieldError(form, name, message) {
  const wrap = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
  if (!wrap) return false;
  wrap.classList.add("invalid");
  wrap.querySelector(".field-error").textContent = message;
  wrap.querySelector("input, select, textarea, button")?.setAttribute("aria-invalid", "true");
  return true;
}

export function clearFieldErrors(form) {
  for (const wrap of form.querySelectorAll(".field.invalid")) {
    wrap.classList.remove("invalid");
    wrap.querySelector(".field-error").textContent = "";
    wrap.querySelector("[aria-invalid]")?.removeAttribute("aria-invalid");
  }
}

/** A short message at the bottom of the screen, read out by screen readers. */
export function toast(message, kind = "ok") {
  const box = document.getElementById("toast");
  const item = h("div", { class: `toast ${kind}` }, message);
  box.append(item);
  // At most three at once: the oldest goes first.
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 4000);
}

/** A modal dialog asking to confirm; resolves true when confirmed. */
export function confirmDialog({ title, body, confirm = "Confirm", danger = false }) {
  return new Promise((resolve) => {
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": "confirm-title" },
      h("h2", { id: "confirm-title" }, title),
      h("div", { class: "confirm-body" }, body),
      h(
        "form",
        { method: "dialog", class: "actions" },
        h("button", { value: "cancel", class: "secondary" }, "Cancel"),
        h("button", { value: "ok", class: danger ? "danger" : "primary" }, confirm),
      ),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "ok");
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** "1,234". */
export function count(n) {
  return Number(n).toLocaleString("en-US");
}

/** "1 row", "2 rows". */
export function plural(n, word) {
  return `${count(n)} ${word}${n === 1 ? "" : "s"}`;
}

/** A time in seconds or milliseconds, as local date and time. */
export function when(value, unit = "s") {
  if (!value) return "";
  const ms = unit === "s" ? value * 1000 : value;
  return new Date(ms).toLocaleString();
}

/** A placeholder shown while a screen loads; it holds the room the content will take. */
export function loading(text = "Loading…") {
  return h("div", { class: "loading", role: "status", "aria-live": "polite" }, text);
}

/** What a screen shows when there is nothing to show. */
export function empty(title, body) {
  return h("div", { class: "empty" }, h("p", { class: "empty-title" }, title), body ? h("p", {}, body) : null);
}
