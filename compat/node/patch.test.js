// The official Node SDK against a real `roster serve`: patch and patchBatch.

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

test('patch changes only the given fields, by login ID or user ID', async () => {
  const m = (await server.newProject()).client.management;
  await seedCatalog(m);
  const made = ok(
    await m.user.create('p@example.com', { displayName: 'Pat', roles: ['viewer'], customAttributes: { age: 1, nick: 'p' } }),
  );
  const p = ok(await m.user.patch('p@example.com', { familyName: 'Smith', customAttributes: { age: 2 } }));
  assert.equal(p.familyName, 'Smith');
  assert.equal(p.name, 'Pat');
  assert.deepEqual(p.roleNames, ['viewer']);
  assert.deepEqual(p.customAttributes, { age: 2, nick: 'p' });
  assert.equal(p.version, made.version + 1);
  const q = ok(await m.user.patch(made.userId, { displayName: 'Patricia', roles: [], scim: true, status: 'disabled' }));
  assert.equal(q.name, 'Patricia');
  assert.deepEqual(q.roleNames, []);
  assert.equal(q.SCIM, true, 'the scim flag marks the user');
  assert.equal(q.status, 'disabled');
  const r = ok(await m.user.patch('p@example.com', { additionalIdentifiers: ['pat', 'patricia'] }));
  assert.deepEqual(r.loginIds, ['p@example.com', 'pat', 'patricia']);
  assert.deepEqual(ok(await m.user.load('patricia')).userId, made.userId);
  fails(await m.user.patch('nobody', { displayName: 'x' }), 404, 'E112102');
  fails(await m.user.patch('p@example.com', { email: 'nope' }), 400, 'E011003');
  ok(await m.user.create('other@example.com'));
  fails(await m.user.patch('other@example.com', { additionalIdentifiers: ['pat'] }), 409, 'E990409');
});

test('patchBatch with loginIdOrUserId, the deprecated loginId, and mixed results', async () => {
  const m = (await server.newProject()).client.management;
  await seedCatalog(m);
  const a = ok(await m.user.create('a@example.com', { displayName: 'A' }));
  ok(await m.user.create('b@example.com', { displayName: 'B' }));
  const out = ok(
    await m.user.patchBatch([
      { loginIdOrUserId: 'a@example.com', givenName: 'First', roles: ['admin'] },
      { loginId: 'b@example.com', userTenants: [{ tenantId: 't1', roleNames: ['editor'] }], scim: true },
      { loginIdOrUserId: 'ghost@example.com', displayName: 'nobody' },
      { loginIdOrUserId: a.userId, familyName: 'Second', customAttributes: { vip: true } },
      { loginId: 'b@example.com', customAttributes: { age: 'old' }, displayName: 'never' },
    ]),
  );
  assert.deepEqual(out.patchedUsers.map((u) => [u.loginIds[0], u.givenName, u.familyName]), [
    ['a@example.com', 'First', ''],
    ['b@example.com', '', ''],
    ['a@example.com', 'First', 'Second'],
  ]);
  assert.equal(out.patchedUsers[1].SCIM, true);
  assert.deepEqual(out.patchedUsers[1].userTenants[0].tenantName, 'Tenant One');
  assert.deepEqual(out.patchedUsers[2].customAttributes, { vip: true });
  assert.deepEqual(out.failedUsers.map((f) => f.user.loginIds[0]), ['ghost@example.com', 'b@example.com']);
  assert.deepEqual(out.failedUsers[0].user, { loginIds: ['ghost@example.com'] });
  assert.match(out.failedUsers[1].failure, /^customAttributes\.age: expected a number/);
  assert.equal(out.failedUsers[1].user.name, 'B');
  assert.deepEqual(out.additionalErrors, {});
  assert.equal(ok(await m.user.load('b@example.com')).name, 'B');
});

test('patchBatch refuses items without an identifier before sending', async () => {
  const m = (await server.newProject()).client.management;
  await assert.rejects(m.user.patchBatch([{ displayName: 'x' }]), /loginIdOrUserId or loginId/);
});
