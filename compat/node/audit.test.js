// The official Node SDK's `management.audit` against a real `roster serve`: a batch
// patch leaves one record per user with what changed, the SDK's filters and paging work,
// and `createEvent` records an application's own event.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ok, fails, seedCatalog } from './harness.js';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

test('audit: a batch patch is recorded user by user, and searched as the SDK asks', async () => {
  const project = await server.newProject();
  const m = project.client.management;
  await seedCatalog(m);
  const logins = ['a@example.com', 'b@example.com', 'c@example.com'];
  for (const l of logins) ok(await m.user.create(l, { displayName: 'Before' }));
  const since = Date.now() - 1;
  ok(await m.user.patchBatch(logins.map((loginId) => ({ loginId, displayName: 'After', roles: ['viewer'] }))));

  const modified = ok(await m.audit.search({ actions: ['UserModified'], from: since }));
  assert.equal(modified.length, 3);
  for (const r of modified) {
    assert.equal(typeof r.occurred, 'number');
    assert.ok(r.occurred >= since);
    assert.equal(r.loginIds.length, 1);
    assert.deepEqual(r.data.changes.name, { old: 'Before', new: 'After' });
    assert.deepEqual(r.data.changes.roleNames, { old: [], new: ['viewer'] });
    assert.equal(r.remoteAddress, '127.0.0.1');
  }
  assert.deepEqual(modified.map((r) => r.loginIds[0]).sort(), logins);

  const one = ok(await m.audit.search({ loginIds: ['b@example.com'] }));
  assert.deepEqual(one.map((r) => r.action), ['UserModified', 'UserCreated']);
  const all = ok(await m.audit.searchAll({ excludedActions: ['UserModified'], limit: 2, page: 1 }));
  assert.equal(all.audits.length, 2);
  assert.ok(all.total > 10, `${all.total}`);
  const roles = ok(await m.audit.search({ actions: ['RoleCreated'], tenants: ['t1'] }));
  assert.deepEqual(roles.map((r) => r.data.name), ['editor']);
  assert.deepEqual(ok(await m.audit.search({ geos: ['US'] })), []);
});

test('audit: createEvent records an application event; a bad one is refused', async () => {
  const project = await server.newProject();
  const m = project.client.management;
  ok(
    await m.audit.createEvent({
      action: 'InvoiceSent',
      type: 'info',
      actorId: 'billing',
      tenantId: 'acme',
      userId: 'U-1',
      data: { invoice: 42 },
    }),
  );
  const [event] = ok(await m.audit.search({ actions: ['InvoiceSent'] }));
  assert.equal(event.userId, 'U-1');
  assert.deepEqual(event.tenants, ['acme']);
  assert.deepEqual(event.data, { invoice: 42 });
  fails(await m.audit.createEvent({ action: 'InvoiceSent', type: 'info', actorId: 'billing' }), 400, 'E011002');
  fails(
    await m.audit.createEvent({ action: 'TenantDeleted', type: 'info', actorId: 'x', tenantId: 'acme' }),
    400,
    'E011003',
  );
  assert.equal(ok(await m.audit.search({ actions: ['InvoiceSent', 'TenantDeleted'] })).length, 1);
});
