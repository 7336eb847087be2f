// The console's only way to act: Descope's management API, on the server that served
// the page, signed with the key the user gave. The key lives in this tab's
// sessionStorage: it goes when the tab closes or the user signs out.

const STORE = "roster.console.session";

/** An error answered by the API, in Descope's shape. */
export class ApiError extends Error {
  constructor(status, body) {
    const message = body?.errorMessage || body?.message || `The server answered ${status}.`;
    super(message);
    this.status = status;
    this.code = body?.errorCode ?? "";
    this.description = body?.errorDescription ?? "";
    // "email: not a valid address" → field "email"; "customAttributes.age: …" → that path.
    const match = /^([A-Za-z][\w.[\]-]*): (.*)$/s.exec(message);
    this.field = match ? match[1] : null;
    this.reason = match ? match[2] : message;
  }
}

/** The signed-in session: `{projectId, key, keyName, readOnly}`, or null. */
export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE));
  } catch {
    return null;
  }
}

/** Check a project ID and key against the server, and keep them for this tab. */
export async function signIn(projectId, key) {
  const creds = { projectId: projectId.trim(), key: key.trim() };
  const answer = await request("GET", "/v1/mgmt/managementkey/current", undefined, creds);
  const s = { ...creds, keyName: answer.key.name, keyId: answer.key.id, readOnly: answer.key.readOnly };
  sessionStorage.setItem(STORE, JSON.stringify(s));
  return s;
}

export function signOut() {
  sessionStorage.removeItem(STORE);
}

/** Whether the signed-in key may only read. */
export function readOnly() {
  return Boolean(session()?.readOnly);
}

async function request(method, path, body, creds) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        Authorization: `Bearer ${creds.projectId}:${creds.key}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (e) {
    throw new ApiError(0, { errorMessage: `The server cannot be reached (${e.message}).` });
  }
  let answer = {};
  const text = await response.text();
  if (text) {
    try {
      answer = JSON.parse(text);
    } catch {
      answer = { errorMessage: text.slice(0, 200) };
    }
  }
  if (!response.ok) {
    if (response.status === 401 && creds === session()) signOut();
    if (response.status === 429) {
      const wait = Number(response.headers.get("Retry-After") || 1);
      const error = new ApiError(429, answer);
      error.retryAfter = wait;
      throw error;
    }
    throw new ApiError(response.status, answer);
  }
  return answer;
}

/** One management call with the session's key. A 429 is waited out (as `Retry-After`
 * says) up to `retries` times. */
export async function call(method, path, body, { retries = 5 } = {}) {
  const creds = session();
  if (!creds) throw new ApiError(401, { errorMessage: "Signed out." });
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await request(method, path, body, creds);
    } catch (e) {
      if (e.status === 429 && attempt < retries) {
        await new Promise((r) => setTimeout(r, Math.min(e.retryAfter, 60) * 1000));
        continue;
      }
      throw e;
    }
  }
}

export const get = (path) => call("GET", path);
export const post = (path, body) => call("POST", path, body ?? {});
export const patch = (path, body) => call("PATCH", path, body ?? {});

/** The largest page a search answers at once (the server's limit). */
export const PAGE_MAX = 1000;

/** Every user matching `query` (a search body), page by page, as user IDs, calling
 * `progress(done, total)` as pages arrive. IDs are gathered first so that changing the
 * users afterwards cannot move them between pages. */
export async function matchingUserIds(query, progress = () => {}) {
  const ids = [];
  for (let page = 0; ; page += 1) {
    const answer = await post("/v2/mgmt/user/search", { ...query, page, limit: PAGE_MAX });
    for (const u of answer.users) ids.push(u.userId);
    progress(ids.length, answer.total);
    if (answer.users.length < PAGE_MAX || ids.length >= answer.total) return ids;
  }
}

/** Load users by ID, in pieces the server takes. */
export async function loadUsers(ids) {
  const users = [];
  for (let i = 0; i < ids.length; i += PAGE_MAX) {
    const answer = await post("/v1/mgmt/users/load", { userIds: ids.slice(i, i + PAGE_MAX) });
    users.push(...answer.users);
  }
  return users;
}

/** The project's catalog: roles, tenants, permissions and attribute definitions. */
export async function catalog() {
  const [roles, tenants, permissions, attributes] = await Promise.all([
    get("/v1/mgmt/role/all"),
    get("/v1/mgmt/tenant/all"),
    get("/v1/mgmt/permission/all"),
    get("/v1/mgmt/user/customattributes"),
  ]);
  return {
    roles: roles.roles,
    tenants: tenants.tenants,
    permissions: permissions.permissions,
    attributes: attributes.data,
  };
}

/** Attribute type codes, as the API answers them. */
export const ATTRIBUTE_TYPES = {
  1: "text",
  2: "number",
  3: "boolean",
  4: "single select",
  5: "multi select",
  6: "date",
  7: "month and day",
};
