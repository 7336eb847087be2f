// The official Node SDK against a real `roster serve`: users, tenants, roles,
// permissions, custom attributes.

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

const USER_FIELDS = [
  'loginIds', 'userId', 'name', 'givenName', 'middleName', 'familyName', 'email', 'phone',
  'verifiedEmail', 'verifiedPhone', 'roleNames', 'userTenants', 'status', 'externalIds',
  'picture', 'test', 'customAttributes', 'createdTime', 'TOTP', 'SAML', 'OAuth', 'webauthn',
  'password', 'ssoAppIds', 'editable', 'SCIM', 'push', 'permissions', 'OIDC', 'consentExpiration',
];

test('the licence handshake and the bootstrap credentials work', async () => {
  // The SDK calls GET /v1/mgmt/license when it starts (fire and forget); answer it as it would.
  const r = await fetch(`${server.url}/v1/mgmt/license`, {
    headers: { Authorization: `Bearer ${server.project}:${server.key}` },
  });
  assert.deepEqual(await r.json(), { rateLimitTier: 'tier4' });
  const m = server.client(server.project, server.key).management;
  assert.equal(ok(await m.user.search({})).total, 0);
});

test('create, load and every field', async () => {
  const m = (await server.newProject()).client.management;
  await seedCatalog(m);
  const user = ok(
    await m.user.create('ann@example.com', {
      email: 'ann@example.com',
      phone: '+1-555-555-5555',
      displayName: 'Ann Smith',
      roles: ['admin'],
      userTenants: [{ tenantId: 't1', roleNames: ['editor'] }],
      customAttributes: { age: 41, vip: true },
      additionalLoginIds: ['ann'],
    }),
  );
  for (const f of USER_FIELDS) assert.ok(f in user, `user has ${f}`);
  assert.deepEqual(user.loginIds, ['ann@example.com', 'ann']);
  assert.equal(user.name, 'Ann Smith');
  assert.equal(user.phone, '+15555555555');
  assert.equal(user.status, 'invited');
  assert.deepEqual(user.roleNames, ['admin']);
  assert.deepEqual(user.permissions, ['users.read', 'users.write']);
  assert.deepEqual(user.userTenants, [
    { tenantId: 't1', roleNames: ['editor'], tenantName: 'Tenant One', permissions: ['users.write'] },
  ]);
  assert.deepEqual(ok(await m.user.load('ann')), user);
  assert.deepEqual(ok(await m.user.loadByUserId(user.userId)), user);
  assert.deepEqual(ok(await m.user.load(user.userId)), user, 'load takes a user ID too');
  assert.deepEqual(ok(await m.user.loadUsers([user.userId])), [user]);
  fails(await m.user.load('nobody'), 404, 'E112102');
  fails(await m.user.create('ann@example.com'), 409, 'E990409');
  const bad = fails(await m.user.create('x@example.com', { roles: ['ghost'] }), 400, 'E011003');
  assert.match(bad.errorMessage, /^roleNames: role "ghost" does not exist/);
});

test('test users, batches, search and delete', async () => {
  const m = (await server.newProject()).client.management;
  await seedCatalog(m);
  const t = ok(await m.user.createTestUser('tester@example.com', { email: 'tester@example.com' }));
  assert.equal(t.test, true);
  const batch = ok(
    await m.user.createBatch([
      { loginIdOrUserId: 'a@example.com', roles: ['admin'], status: 'enabled' },
      { loginId: 'b@example.com', userTenants: [{ tenantId: 't2', roleNames: [] }] },
      { loginIdOrUserId: 'a@example.com' },
    ]),
  );
  assert.deepEqual(batch.createdUsers.map((u) => u.loginIds[0]), ['a@example.com', 'b@example.com']);
  assert.equal(batch.createdUsers[0].status, 'enabled');
  assert.equal(batch.failedUsers.length, 1);
  assert.deepEqual(batch.failedUsers[0].user.loginIds, ['a@example.com']);
  const invited = ok(await m.user.inviteBatch([{ loginIdOrUserId: 'c@example.com' }], 'https://x/invite', false));
  assert.equal(invited.createdUsers[0].status, 'invited');

  const all = ok(await m.user.search({}));
  assert.equal(all.total, 3, 'test users are left out');
  const page = ok(await m.user.search({ limit: 2, page: 1 }));
  assert.equal(page.users.length, 1);
  assert.equal(page.total, 3);
  assert.deepEqual(ok(await m.user.search({ roles: ['admin'] })).users.map((u) => u.loginIds[0]), ['a@example.com']);
  assert.deepEqual(ok(await m.user.search({ tenantIds: ['t2'] })).users.map((u) => u.loginIds[0]), ['b@example.com']);
  assert.deepEqual(ok(await m.user.search({ statuses: ['enabled'] })).users.map((u) => u.loginIds[0]), ['a@example.com']);
  assert.deepEqual(ok(await m.user.search({ text: 'c@exa' })).users.map((u) => u.loginIds[0]), ['c@example.com']);
  assert.equal(ok(await m.user.search({ fromCreatedTime: Date.now() - 60_000 })).total, 3);
  assert.equal(ok(await m.user.search({ withTestUser: true })).total, 4);
  assert.deepEqual(ok(await m.user.searchTestUsers({})).users.map((u) => u.loginIds[0]), ['tester@example.com']);

  ok(await m.user.delete('a@example.com'));
  const b = ok(await m.user.load('b@example.com'));
  ok(await m.user.deleteByUserId(b.userId));
  const c = ok(await m.user.load('c@example.com'));
  ok(await m.user.deleteBatch([c.userId]));
  ok(await m.user.deleteAllTestUsers());
  assert.equal(ok(await m.user.search({ withTestUser: true })).total, 0);
  fails(await m.user.delete('a@example.com'), 404, 'E112102');
});

test('a wrong key and a second project', async () => {
  const mine = await server.newProject();
  ok(await mine.client.management.user.create('mine@example.com'));
  const wrong = server.client(mine.id, `RK${'0'.repeat(64)}`).management;
  fails(await wrong.user.load('mine@example.com'), 401, 'E990401');
  const other = await server.newProject();
  fails(await other.client.management.user.load('mine@example.com'), 404, 'E112102');
  assert.equal(ok(await other.client.management.user.search({})).total, 0);
  const crossed = server.client(other.id, mine.key).management;
  fails(await crossed.user.search({}), 401, 'E990401');
});

test('tenants', async () => {
  const m = (await server.newProject()).client.management;
  const { id } = ok(await m.tenant.create('Acme', ['acme.com'], { tier: 'gold' }));
  assert.match(id, /^T[A-Za-z0-9]{27}$/);
  ok(await m.tenant.createWithId('globex', 'Globex'));
  const acme = ok(await m.tenant.load(id));
  assert.equal(acme.name, 'Acme');
  assert.deepEqual(acme.selfProvisioningDomains, ['acme.com']);
  assert.deepEqual(acme.customAttributes, { tier: 'gold' });
  fails(await m.tenant.createWithId('globex', 'Again'), 409, 'E990409');
  fails(await m.tenant.load('nope'), 404, 'E991404');
  assert.equal(ok(await m.tenant.loadAll()).length, 2);
  assert.deepEqual(ok(await m.tenant.searchAll(undefined, ['Globex'])).map((t) => t.id), ['globex']);
  ok(await m.tenant.update('globex', 'Globex Corp', [], {}, true, false));
  assert.equal(ok(await m.tenant.load('globex')).enforceSSO, true);
  ok(await m.tenant.delete('globex'));
  assert.deepEqual(ok(await m.tenant.loadAll()).map((t) => t.id), [id]);
});

test('roles and permissions', async () => {
  const m = (await server.newProject()).client.management;
  ok(await m.permission.create('p1', 'one'));
  ok(await m.permission.createBatch([{ name: 'p2' }, { name: 'p3', description: 'three' }]));
  ok(await m.permission.update('p1', 'p1b', 'renamed'));
  assert.deepEqual(
    ok(await m.permission.loadAll()).map((p) => [p.name, p.description]),
    [['p1b', 'renamed'], ['p2', ''], ['p3', 'three']],
  );
  fails(await m.permission.create('p2'), 409, 'E990409');
  ok(await m.role.create('r1', 'first', ['p1b', 'p2']));
  ok(await m.tenant.createWithId('t', 'T'));
  ok(await m.role.create('r1', 'tenant one', ['p3'], 't'));
  const batch = ok(await m.role.createBatch([{ name: 'r2', permissionNames: ['p2'] }]));
  assert.deepEqual(batch.map((r) => r.name), ['r2']);
  const roles = ok(await m.role.loadAll());
  assert.equal(roles.length, 3);
  assert.deepEqual(ok(await m.role.search({ tenantIds: ['t'] })).map((r) => r.tenantId), ['t']);
  ok(await m.role.update('r2', 'r2b', 'renamed', ['p3']));
  assert.deepEqual(ok(await m.role.search({ roleNames: ['r2b'] }))[0].permissionNames, ['p3']);
  ok(await m.permission.delete('p3'));
  assert.deepEqual(ok(await m.role.search({ roleNames: ['r2b'] }))[0].permissionNames, []);
  ok(await m.role.delete('r1', 't'));
  ok(await m.role.deleteBatch(['r2b']));
  assert.deepEqual(ok(await m.role.loadAll()).map((r) => r.name), ['r1']);
  fails(await m.role.delete('r2b'), 404, 'E992404');
  ok(await m.permission.deleteBatch(['p1b', 'p2']));
  assert.deepEqual(ok(await m.permission.loadAll()), []);
});

test('custom attribute definitions', async () => {
  const m = (await server.newProject()).client.management;
  const defs = ok(
    await m.user.createCustomAttributes([
      { name: 'plan', type: 4, displayName: 'Plan', options: [{ value: 'gold', label: 'Gold' }] },
      { name: 'joined', type: 6 },
    ]),
  );
  assert.deepEqual(defs.map((d) => [d.name, d.type]), [['plan', 4], ['joined', 6]]);
  assert.deepEqual(defs[0].options, [{ value: 'gold', label: 'Gold' }]);
  ok(await m.user.create('u@example.com', { customAttributes: { plan: 'gold', joined: '2026-11-26' } }));
  fails(await m.user.create('v@example.com', { customAttributes: { plan: 'tin' } }), 400, 'E011003');
  assert.deepEqual(ok(await m.user.deleteCustomAttributes(['plan'])).map((d) => d.name), ['joined']);
  assert.deepEqual(ok(await m.user.load('u@example.com')).customAttributes, { joined: '2026-11-26' });
  assert.deepEqual(ok(await m.user.getCustomAttributes()).map((d) => d.name), ['joined']);
});
