// The official Node SDK against a real `roster serve`: every one-purpose user change of
// `management.user`, the tenant changes of `management.tenant`, and the methods Roster
// deliberately does not serve.

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

/** A fresh project with the catalog, and Ann in it. */
async function withAnn() {
  const m = (await server.newProject()).client.management;
  await seedCatalog(m);
  const ann = ok(await m.user.create('ann@example.com', { email: 'ann@example.com', displayName: 'Ann' }));
  return { m, ann };
}

const tenantOf = (user, id) => user.userTenants.find((t) => t.tenantId === id);

test('activate, deactivate and an unknown user', async () => {
  const { m, ann } = await withAnn();
  const user = ok(await m.user.activate('ann@example.com'));
  assert.equal(user.status, 'enabled');
  assert.equal(user.version, ann.version + 1);
  assert.equal(ok(await m.user.deactivate(ann.userId)).status, 'disabled');
  fails(await m.user.activate('nobody@example.com'), 404, 'E112102');
});

test('updateLoginId renames, removes, and refuses a conflict', async () => {
  const { m, ann } = await withAnn();
  const user = ok(await m.user.updateLoginId('ann@example.com', 'ann@new.io'));
  assert.deepEqual(user.loginIds, ['ann@new.io']);
  assert.equal(ok(await m.user.load('ann@new.io')).userId, ann.userId);
  fails(await m.user.load('ann@example.com'), 404, 'E112102');
  const e = fails(await m.user.updateLoginId('ann@new.io'), 400, 'E011003');
  assert.match(e.errorMessage, /at least one login ID/);
  ok(await m.user.create('dee@example.com', { additionalLoginIds: ['dee'] }));
  assert.deepEqual(ok(await m.user.updateLoginId('dee@example.com')).loginIds, ['dee']);
  fails(await m.user.updateLoginId('ann@new.io', 'dee'), 409, 'E990409');
});

test('updateEmail and updatePhone, with failOnConflict', async () => {
  const { m } = await withAnn();
  let user = ok(await m.user.updateEmail('ann@example.com', 'ann@work.io', true));
  assert.equal(user.email, 'ann@work.io');
  assert.equal(user.verifiedEmail, true);
  user = ok(await m.user.updatePhone('ann@example.com', '+1 555 010 0000', true));
  assert.equal(user.phone, '+15550100000');
  fails(await m.user.updatePhone('ann@example.com', 'no phone'), 400, 'E011003');
  ok(await m.user.create('bob@example.com'));
  fails(await m.user.updateEmail('ann@example.com', 'bob@example.com', false, true), 409, 'E990409');
  assert.equal(ok(await m.user.updateEmail('ann@example.com', 'bob@example.com')).email, 'bob@example.com');
});

test('names, picture and a custom attribute', async () => {
  const { m } = await withAnn();
  let user = ok(await m.user.updateDisplayName('ann@example.com', 'Ann B', 'Ann', undefined, 'B'));
  assert.deepEqual([user.name, user.givenName, user.familyName], ['Ann B', 'Ann', 'B']);
  user = ok(await m.user.updateUserNames('ann@example.com', 'Anna', 'Q', 'Bee'));
  assert.deepEqual([user.name, user.givenName, user.middleName, user.familyName], ['Ann B', 'Anna', 'Q', 'Bee']);
  user = ok(await m.user.updatePicture('ann@example.com', 'https://x.io/a.png'));
  assert.equal(user.picture, 'https://x.io/a.png');
  user = ok(await m.user.updateCustomAttribute('ann@example.com', 'age', 42));
  assert.deepEqual(user.customAttributes, { age: 42 });
  fails(await m.user.updateCustomAttribute('ann@example.com', 'age', 'old'), 400, 'E011003');
  fails(await m.user.updateCustomAttribute('ann@example.com', 'ghost', 1), 400, 'E011003');
});

test('project roles: set, add, remove, and a missing role', async () => {
  const { m } = await withAnn();
  assert.deepEqual(ok(await m.user.setRoles('ann@example.com', ['viewer'])).roleNames, ['viewer']);
  assert.deepEqual(ok(await m.user.addRoles('ann@example.com', ['admin'])).roleNames, ['viewer', 'admin']);
  assert.deepEqual(ok(await m.user.removeRoles('ann@example.com', ['viewer'])).roleNames, ['admin']);
  const e = fails(await m.user.addRoles('ann@example.com', ['ghost']), 400, 'E011003');
  assert.match(e.errorMessage, /ghost/);
});

test('tenants and tenant roles, and a missing tenant', async () => {
  const { m } = await withAnn();
  let user = ok(await m.user.addTenant('ann@example.com', 't2'));
  assert.deepEqual(user.userTenants.map((t) => t.tenantId), ['t2']);
  user = ok(await m.user.addTenantRoles('ann@example.com', 't1', ['editor']));
  assert.deepEqual(tenantOf(user, 't1').roleNames, ['editor']);
  user = ok(await m.user.setTenantRoles('ann@example.com', 't1', ['viewer', 'editor']));
  assert.deepEqual(tenantOf(user, 't1').roleNames, ['viewer', 'editor']);
  user = ok(await m.user.removeTenantRoles('ann@example.com', 't1', ['viewer']));
  assert.deepEqual(tenantOf(user, 't1').roleNames, ['editor']);
  user = ok(await m.user.removeTenant('ann@example.com', 't2'));
  assert.deepEqual(user.userTenants.map((t) => t.tenantId), ['t1']);
  fails(await m.user.addTenant('ann@example.com', 'nope'), 400, 'E011003');
});

test('SSO apps: set, add, remove', async () => {
  const { m } = await withAnn();
  assert.deepEqual(ok(await m.user.setSSOapps('ann@example.com', ['a', 'b'])).ssoAppIds, ['a', 'b']);
  assert.deepEqual(ok(await m.user.addSSOapps('ann@example.com', ['c'])).ssoAppIds, ['a', 'b', 'c']);
  assert.deepEqual(ok(await m.user.removeSSOapps('ann@example.com', ['a'])).ssoAppIds, ['b', 'c']);
});

test('recovery email and phone', async () => {
  const { m } = await withAnn();
  let user = ok(await m.user.updateRecoveryEmail('ann@example.com', 'r@x.io', true));
  assert.equal(user.recoveryEmail, 'r@x.io');
  assert.equal(user.verifiedRecoveryEmail, true);
  user = ok(await m.user.updateRecoveryPhone('ann@example.com', '+15550100'));
  assert.equal(user.recoveryPhone, '+15550100');
  fails(await m.user.updateRecoveryEmail('ann@example.com', 'bad'), 400, 'E011003');
});

test('passwords are set, kept hashed, and expired', async () => {
  const { m, ann } = await withAnn();
  ok(await m.user.setTemporaryPassword('ann@example.com', 'Temp-pass-1'));
  let user = ok(await m.user.load('ann@example.com'));
  assert.equal(user.password, true);
  assert.equal(user.version, ann.version + 1);
  assert.ok(!JSON.stringify(user).includes('Temp-pass-1'));
  ok(await m.user.setActivePassword('ann@example.com', 'Active-pass-2'));
  ok(await m.user.setPassword('ann@example.com', 'Old-api-3'));
  ok(await m.user.expirePassword('ann@example.com'));
  fails(await m.user.setActivePassword('ann@example.com', ''), 400, 'E011002');
  fails(await m.user.expirePassword('nobody'), 404, 'E112102');
});

test('sign-in factors Roster does not hold', async () => {
  const { m, ann } = await withAnn();
  ok(await m.user.removeAllPasskeys('ann@example.com'));
  ok(await m.user.removePasskey('ann@example.com', 'cred-1'));
  ok(await m.user.removeTOTPSeed('ann@example.com'));
  ok(await m.user.logoutUser('ann@example.com'));
  ok(await m.user.logoutUserByUserId(ann.userId));
  assert.deepEqual(ok(await m.user.listPasskeys('ann@example.com')), []);
  assert.deepEqual(ok(await m.user.listTrustedDevices(['ann@example.com'])), []);
  ok(await m.user.removeTrustedDevices('ann@example.com', ['d1']));
  assert.deepEqual(ok(await m.user.history([ann.userId])), []);
  for (const r of [
    await m.user.removeAllPasskeys('nobody'),
    await m.user.removePasskey('nobody', 'c'),
    await m.user.removeTOTPSeed('nobody'),
    await m.user.logoutUser('nobody'),
    await m.user.logoutUserByUserId('U-nobody'),
    await m.user.listPasskeys('nobody'),
    await m.user.listTrustedDevices(['nobody']),
    await m.user.removeTrustedDevices('nobody', ['d1']),
  ]) {
    fails(r, 404, 'E112102');
  }
});

test('update is a full replace', async () => {
  const { m } = await withAnn();
  ok(
    await m.user.create('cy@example.com', {
      email: 'cy@example.com',
      phone: '+15550100',
      displayName: 'Cy',
      roles: ['admin'],
      customAttributes: { age: 3, nick: 'c' },
    }),
  );
  const user = ok(await m.user.update('cy@example.com', { email: 'cy@new.io', customAttributes: { nick: 'cyrus' } }));
  assert.equal(user.email, 'cy@new.io');
  assert.equal(user.phone, '');
  assert.equal(user.name, '');
  assert.deepEqual(user.roleNames, []);
  assert.deepEqual(user.customAttributes, { nick: 'cyrus' });
  fails(await m.user.update('cy@example.com', { roles: ['ghost'] }), 400, 'E011003');
  fails(await m.user.update('nobody@example.com', { email: 'n@x.io' }), 404, 'E112102');
});

test('what Roster does not do says so', async () => {
  const { m, ann } = await withAnn();
  for (const r of [
    await m.user.generateOTPForTestUser('email', 'ann@example.com'),
    await m.user.generateMagicLinkForTestUser('email', 'ann@example.com', 'https://x.io'),
    await m.user.generateEnchantedLinkForTestUser('ann@example.com', 'https://x.io'),
    await m.user.generateEmbeddedLink('ann@example.com'),
    await m.user.generateSignUpEmbeddedLink('ann@example.com'),
    await m.user.getProviderToken('ann@example.com', 'google'),
    await m.user.import('auth0', 'W10=', undefined, true),
    await m.tenant.generateSSOConfigurationLink('t1', 60),
    await m.tenant.revokeSSOConfigurationLink('t1'),
  ]) {
    const e = fails(r, 501, 'E990501');
    assert.match(e.errorMessage, /not supported by Roster/);
  }
  assert.equal(ok(await m.user.load('ann@example.com')).version, ann.version);
});

test('tenant default roles and settings', async () => {
  const { m } = await withAnn();
  ok(await m.tenant.updateDefaultRoles('t1', ['viewer']));
  assert.deepEqual(ok(await m.tenant.load('t1')).defaultRoles, ['viewer']);
  fails(await m.tenant.updateDefaultRoles('nope', ['viewer']), 404, 'E991404');
  ok(
    await m.tenant.configureSettings('t1', {
      selfProvisioningDomains: ['acme.io'],
      domains: ['sso.acme.io'],
      enabled: true,
      sessionTokenExpiration: 30,
      sessionTokenExpirationUnit: 'minutes',
      JITDisabled: true,
    }),
  );
  const s = ok(await m.tenant.getSettings('t1'));
  assert.deepEqual(s.selfProvisioningDomains, ['acme.io']);
  assert.deepEqual(s.domains, ['sso.acme.io']);
  assert.equal(s.enabled, true);
  assert.equal(s.sessionTokenExpiration, 30);
  assert.equal(s.JITDisabled, true);
  const t = ok(await m.tenant.load('t1'));
  assert.equal(t.name, 'Tenant One');
  assert.deepEqual(t.selfProvisioningDomains, ['acme.io']);
  fails(await m.tenant.configureSettings('t1', { sessionTokenExpirationUnit: 'fortnights' }), 400, 'E011003');
  fails(await m.tenant.getSettings('nope'), 404, 'E991404');
});

test('invite creates the user; searchAll filters by the positional arguments', async () => {
  const { m } = await withAnn();
  const invited = ok(await m.user.invite('ivy@example.com', 'ivy@example.com', undefined, 'Ivy', ['viewer']));
  assert.equal(invited.status, 'invited');
  assert.deepEqual(invited.roleNames, ['viewer']);
  fails(await m.user.invite('ivy@example.com', 'ivy@example.com'), 409, 'E990409');
  const viewers = ok(await m.user.searchAll(undefined, ['viewer']));
  assert.deepEqual(viewers.map((u) => u.loginIds[0]), ['ivy@example.com']);
  const byEmail = ok(await m.user.searchAll(undefined, undefined, 10, 0, false, false, undefined, undefined, ['ann@example.com']));
  assert.deepEqual(byEmail.map((u) => u.loginIds[0]), ['ann@example.com']);
});
