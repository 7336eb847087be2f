// Sign in: a project ID and a management key, checked against the server before they
// are kept (for this tab only).

import { signIn } from "../api.js";
import { field, fill, h } from "../dom.js";
import { go } from "../app.js";

export function render(main) {
  const project = h("input", { name: "project", autocomplete: "username", required: true, spellcheck: "false", placeholder: "P2…" });
  const key = h("input", { name: "key", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { class: "primary", type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      class: "signin",
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = "";
        submit.disabled = true;
        submit.textContent = "Signing in…";
        try {
          await signIn(project.value, key.value);
          go("users");
        } catch (e) {
          error.textContent =
            e.status === 401
              ? "This project ID and key do not match a key of this server."
              : e.message;
          key.select();
        } finally {
          submit.disabled = false;
          submit.textContent = "Sign in";
        }
      },
    },
    h("h1", {}, "Roster console"),
    h("p", { class: "lead" }, "Sign in with a project ID and one of its management keys. The key stays in this browser tab until you sign out or close it."),
    field("Project ID", project),
    field("Management key", key, { hint: "As printed by roster key create, or at the first start." }),
    error,
    submit,
  );
  fill(main, form);
  project.focus();
}
