// The console's shell: which screen the address names (`#/users`, `#/user/U2…`,
// `#/bulk`, …), the navigation, and signing in and out. Each screen is a module of
// `views/` exporting `render(main, params)`.

import { session, signOut } from "./api.js";
import { fill, h, loading } from "./dom.js";

const SCREENS = {
  users: { title: "Users", load: () => import("./views/users.js") },
  user: { title: "User", load: () => import("./views/user.js") },
  bulk: { title: "Bulk changes", load: () => import("./views/bulk.js") },
  transfer: { title: "Import and export", load: () => import("./views/transfer.js") },
  tenants: { title: "Tenants", load: () => import("./views/tenants.js") },
  roles: { title: "Roles and permissions", load: () => import("./views/roles.js") },
  attributes: { title: "Custom attributes", load: () => import("./views/attributes.js") },
  signin: { title: "Sign in", load: () => import("./views/signin.js") },
};

const NAV = ["users", "bulk", "transfer", "tenants", "roles", "attributes"];

/** Where the address points: `{screen, arg, params}`. */
function route() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [screen = "", ...rest] = path.split("/");
  return {
    screen: SCREENS[screen] ? screen : "users",
    arg: rest.map(decodeURIComponent).join("/"),
    params: new URLSearchParams(query),
  };
}

/** Go to a screen: `go("user", id)`, `go("users", "", params)`. */
export function go(screen, arg = "", params) {
  const query = params && String(params) ? `?${params}` : "";
  location.hash = `#/${screen}${arg ? `/${encodeURIComponent(arg)}` : ""}${query}`;
}

/** The address of a screen, for links. */
export function href(screen, arg = "") {
  return `#/${screen}${arg ? `/${encodeURIComponent(arg)}` : ""}`;
}

function header(current) {
  const s = session();
  const nav = h(
    "nav",
    { "aria-label": "Sections" },
    h(
      "ul",
      {},
      NAV.map((name) =>
        h(
          "li",
          {},
          h(
            "a",
            { href: href(name), "aria-current": name === current || (current === "user" && name === "users") ? "page" : null },
            SCREENS[name].title,
          ),
        ),
      ),
    ),
  );
  return [
    h("a", { class: "brand", href: href("users") }, "Roster"),
    nav,
    h(
      "div",
      { class: "who" },
      h("span", { class: "project", title: "Project ID" }, s.projectId),
      s.readOnly ? h("span", { class: "badge", title: "This key reads everything and changes nothing" }, "read-only") : null,
      h(
        "button",
        {
          class: "secondary small",
          type: "button",
          onclick: () => {
            signOut();
            go("signin");
          },
        },
        "Sign out",
      ),
    ),
  ];
}

let rendering = 0;

async function show() {
  const main = document.getElementById("main");
  const top = document.getElementById("top");
  let { screen, arg, params } = route();
  if (!session() && screen !== "signin") {
    go("signin");
    return;
  }
  if (session() && screen === "signin") screen = "users";
  const turn = ++rendering;
  top.hidden = screen === "signin";
  if (!top.hidden) fill(top, header(screen));
  document.body.dataset.screen = screen;
  document.title = `${SCREENS[screen].title} · Roster`;
  fill(main, loading());
  try {
    const view = await SCREENS[screen].load();
    if (turn !== rendering) return;
    await view.render(main, { arg, params, isCurrent: () => turn === rendering });
  } catch (e) {
    if (turn !== rendering) return;
    if (e.status === 401) {
      signOut();
      go("signin");
      return;
    }
    fill(main, h("div", { class: "error-page", role: "alert" }, h("h1", {}, "Something went wrong"), h("p", {}, e.message)));
  }
  // After a move between screens, focus goes to the new screen's heading, so keyboard
  // and screen-reader users land on it (not on the first load: the page starts at the
  // top, skip link first).
  if (turn > 1 && turn === rendering && !main.contains(document.activeElement)) {
    const heading = main.querySelector("h1");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }
}

window.addEventListener("hashchange", show);
show();
