// A real Roster for the Node SDK tests.
//
// ROSTER_COMPAT_BACKEND chooses the store:
// - `sqlite` (the default): one `roster serve` on a temporary SQLite file;
// - `postgres`: two `roster serve` nodes on one PostgreSQL database (a fresh schema of
//   the server ROSTER_TEST_POSTGRES_URL names, dropped afterwards), behind a
//   round-robin HTTP balancer, so that consecutive requests go to different nodes.
//
// The binary is ROSTER_BIN (default: target/debug/roster of this repository). Each test
// gets a fresh project, made with `roster project create` and `roster key create`
// against the same database while the server runs.

import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import DescopeClient from '@descope/node-sdk';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.ROSTER_BIN || join(repo, 'target', 'debug', 'roster');

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const BACKEND = process.env.ROSTER_COMPAT_BACKEND || 'sqlite';
const PROJECT = 'P2RosterCompatNode0000000001';
const KEY = 'compat-node-bootstrap-key';

/** Start `roster serve` on a free port; resolves to { proc, url }. */
async function startNode(databaseUrl, extraEnv = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--database-url', databaseUrl], {
    env: { ...process.env, ROSTER_PROJECT_ID: PROJECT, ROSTER_MANAGEMENT_KEY: KEY, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/health/ready`);
      if (r.status === 200) return { proc, url };
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill();
      throw new Error(`roster serve did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopNode({ proc }) {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

/** A round-robin HTTP balancer: each request goes to the next node in turn. */
async function startBalancer(nodeUrls) {
  let next = 0;
  const server = createHttpServer((req, res) => {
    const target = new URL(nodeUrls[next++ % nodeUrls.length]);
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(upstream);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

/** A fresh schema (created by Roster when it starts) of ROSTER_TEST_POSTGRES_URL. */
function postgresSchemaUrl() {
  const base = process.env.ROSTER_TEST_POSTGRES_URL;
  if (!base) throw new Error('ROSTER_COMPAT_BACKEND=postgres needs ROSTER_TEST_POSTGRES_URL');
  const schema = `compat_node_${randomBytes(6).toString('hex')}`;
  const sep = base.includes('?') ? '&' : '?';
  return { base, schema, databaseUrl: `${base}${sep}options=-csearch_path%3D${schema}` };
}

async function dropSchema(base, schema) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A Roster as ROSTER_COMPAT_BACKEND says; `extraEnv` goes to every node. */
export async function startServer(extraEnv = {}) {
  let url;
  let databaseUrl;
  let stop;
  if (BACKEND === 'postgres') {
    const pgTarget = postgresSchemaUrl();
    databaseUrl = pgTarget.databaseUrl;
    const nodes = [];
    for (let i = 0; i < 2; i++) nodes.push(await startNode(databaseUrl, extraEnv));
    const balancer = await startBalancer(nodes.map((n) => n.url));
    url = balancer.url;
    stop = async () => {
      await balancer.close();
      for (const n of nodes) await stopNode(n);
      await dropSchema(pgTarget.base, pgTarget.schema);
    };
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'roster-node-'));
    databaseUrl = `sqlite://${join(dir, 'roster.db')}`;
    const node = await startNode(databaseUrl, extraEnv);
    url = node.url;
    stop = async () => {
      await stopNode(node);
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const roster = (...args) =>
    execFileSync(BIN, [...args, '--database-url', databaseUrl], { encoding: 'utf8' }).trim();
  return {
    url,
    project: PROJECT,
    key: KEY,
    roster,
    client: (projectId, managementKey) => DescopeClient({ projectId, managementKey, baseUrl: url }),
    async newProject() {
      const id = roster('project', 'create', '--name', 'node compat');
      const k = roster('key', 'create', '--project', id);
      return { id, key: k, client: DescopeClient({ projectId: id, managementKey: k, baseUrl: url }) };
    },
    stop,
  };
}

/** The data of a successful SDK response; fails the test with the error otherwise. */
export function ok(resp) {
  assert.equal(resp.ok, true, `expected success, got ${JSON.stringify(resp.error)} (${resp.code})`);
  return resp.data;
}

/** Assert an SDK response failed with this HTTP status and error code. */
export function fails(resp, status, errorCode) {
  assert.equal(resp.ok, false, `expected a failure, got ${JSON.stringify(resp.data)}`);
  assert.equal(resp.code, status);
  assert.equal(resp.error.errorCode, errorCode);
  assert.ok(resp.error.errorDescription);
  assert.ok(resp.error.errorMessage);
  return resp.error;
}

/** Roles, tenants and attributes the user tests refer to. */
export async function seedCatalog(m) {
  ok(await m.permission.create('users.read', 'read users'));
  ok(await m.permission.create('users.write'));
  ok(await m.role.create('admin', 'administrators', ['users.write', 'users.read']));
  ok(await m.role.create('viewer', '', ['users.read']));
  ok(await m.tenant.createWithId('t1', 'Tenant One'));
  ok(await m.tenant.createWithId('t2', 'Tenant Two'));
  ok(await m.role.create('editor', '', ['users.write'], 't1'));
  ok(
    await m.user.createCustomAttributes([
      { name: 'age', type: 2, displayName: 'Age' },
      { name: 'nick', type: 1, displayName: 'Nickname' },
      { name: 'vip', type: 3, displayName: 'VIP' },
    ]),
  );
}
