// The official Node SDK's `management.managementKey` against a real `roster serve`:
// create (the key answered once), load, search, update (status), delete, and a
// read-only key that reads and changes nothing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ok, fails } from './harness.js';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

test('management keys: create, use, load, search, update, delete', async () => {
  const project = await server.newProject();
  const m = project.client.management;
  const made = ok(
    await m.managementKey.create('ci', { companyRoles: ['Company Full Access'] }, 'for CI', 3600, ['127.0.0.1']),
  );
  assert.equal(made.key.name, 'ci');
  assert.equal(made.key.status, 'active');
  assert.deepEqual(made.key.permittedIps, ['127.0.0.1/32']);
  const ci = server.client(project.id, made.cleartext).management;
  ok(await ci.user.create('made-by-ci@example.com'));

  const reader = ok(
    await m.managementKey.create('reader', { projectRoles: [{ projectIds: [project.id], roles: ['Project Read Only'] }] }),
  );
  assert.equal(reader.key.readOnly, true);
  const r = server.client(project.id, reader.cleartext).management;
  assert.equal(ok(await r.user.search({})).total, 1);
  fails(await r.user.create('nope@example.com'), 403, 'E990403');

  assert.equal(ok(await m.managementKey.load(made.key.id)).name, 'ci');
  const names = ok(await m.managementKey.search()).map((k) => k.name).sort();
  assert.ok(names.includes('ci') && names.includes('reader'));
  const updated = ok(await m.managementKey.update(made.key.id, 'ci-2', 'renamed', 'inactive', []));
  assert.equal(updated.status, 'inactive');
  fails(await ci.user.search({}), 401, 'E990401');
  ok(await m.managementKey.update(made.key.id, 'ci-2', 'renamed', 'active', []));
  assert.equal(ok(await ci.user.search({})).total, 1);
  assert.equal(ok(await m.managementKey.delete([made.key.id])).total, 1);
  fails(await ci.user.search({}), 401, 'E990401');
  fails(await m.managementKey.load(made.key.id), 404, 'E996404');
});
