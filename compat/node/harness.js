// A real `roster serve` for the Node SDK tests, on a temporary SQLite file.
//
// The binary is ROSTER_BIN (default: target/debug/roster of this repository). Each test
// gets a fresh project, made with `roster project create` and `roster key create`
// against the same database while the server runs.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'roster-node-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const databaseUrl = `sqlite://${join(dir, 'roster.db')}`;
  const project = 'P2RosterCompatNode0000000001';
  const key = 'compat-node-bootstrap-key';
  const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--database-url', databaseUrl], {
    env: { ...process.env, ROSTER_PROJECT_ID: project, ROSTER_MANAGEMENT_KEY: key },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/health/ready`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      throw new Error(`roster serve did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const roster = (...args) =>
    execFileSync(BIN, [...args, '--database-url', databaseUrl], { encoding: 'utf8' }).trim();
  return {
    url,
    project,
    key,
    roster,
    client: (projectId, managementKey) => DescopeClient({ projectId, managementKey, baseUrl: url }),
    async newProject() {
      const id = roster('project', 'create', '--name', 'node compat');
      const k = roster('key', 'create', '--project', id);
      return { id, key: k, client: DescopeClient({ projectId: id, managementKey: k, baseUrl: url }) };
    },
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
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
