// The console in a real Chromium against a real `roster serve`: sign-in (and a wrong
// key refused), search, a user opened and edited (the change seen through the API, a
// bad value shown at its field), a bulk change on 300 users with every result, a file
// exported and imported with its preview, the catalog screens, a read-only key, a
// phone-sized screen. With ROSTER_SCREENSHOTS=DIR, the main screens are saved there.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, KEY, launchBrowser, newPage, newProject, PROJECT, readOnlyKey, SCREENSHOTS, signIn, startRoster } from './harness.js';

let roster;
let browser;
let mgmt;
const BULK = 300;

async function shot(page, name) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    document.getElementById('toast').replaceChildren();
  });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

before(async () => {
  roster = await startRoster();
  browser = await launchBrowser();
  mgmt = api(roster.url);
  await mgmt.post('/v1/mgmt/permission/create', { name: 'users.read', description: 'Read users' });
  for (const name of ['admin', 'viewer', 'support']) {
    await mgmt.post('/v1/mgmt/role/create', { name, description: `The ${name}s`, permissionNames: name === 'viewer' ? ['users.read'] : [] });
  }
  await mgmt.post('/v1/mgmt/tenant/create', { id: 'acme', name: 'Acme', selfProvisioningDomains: ['acme.test'] });
  await mgmt.post('/v1/mgmt/tenant/create', { id: 'globex', name: 'Globex' });
  await mgmt.post('/v1/mgmt/user/customattribute/create', {
    attributes: [
      { name: 'plan', displayName: 'Plan', type: 'singleselect', options: [{ value: 'gold', label: 'Gold' }, { value: 'silver', label: 'Silver' }] },
      { name: 'age', displayName: 'Age', type: 'number' },
      { name: 'beta', displayName: 'Beta tester', type: 'boolean' },
    ],
  });
  await mgmt.post('/v1/mgmt/user/create', {
    loginId: 'ann@example.com', email: 'ann@example.com', name: 'Ann Example', roleNames: ['viewer'],
    userTenants: [{ tenantId: 'acme', roleNames: [] }], customAttributes: { plan: 'silver' },
  });
  const users = [];
  for (let i = 0; i < BULK; i += 1) {
    const n = String(i).padStart(3, '0');
    users.push({ loginId: `bulk-${n}@example.com`, email: `bulk-${n}@example.com`, name: `Bulk User ${n}` });
  }
  const created = await mgmt.post('/v1/mgmt/user/create/batch', { users });
  assert.equal(created.createdUsers.length, BULK);
});

after(async () => {
  await browser?.close();
  await roster?.stop();
});

test('the console is served by roster serve, from the binary, with a strict policy', async () => {
  const page = await fetch(`${roster.url}/console/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.match(page.headers.get('content-security-policy'), /script-src 'self'/);
  const html = await page.text();
  assert.match(html, /<script type="module" src="\/console\/app.js">/);
  const again = await fetch(`${roster.url}/console/app.js`, { headers: { 'If-None-Match': (await fetch(`${roster.url}/console/app.js`)).headers.get('etag') } });
  assert.equal(again.status, 304);
  assert.equal((await fetch(`${roster.url}/console`, { redirect: 'manual' })).status, 308);
  assert.equal((await fetch(`${roster.url}/console/nope.js`)).status, 404);
});

test('a wrong key is refused and nothing is kept', async () => {
  const page = await newPage(browser);
  await page.goto(`${roster.url}/console/`);
  await page.getByLabel('Project ID').fill(PROJECT);
  await page.getByLabel('Management key').fill('not-the-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('This project ID and key do not match a key of this server.').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.goto(`${roster.url}/console/#/users`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await shot(page, 'sign-in');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('sign in, search with the total, sort, page, and sign out', async () => {
  const page = await newPage(browser);
  await signIn(page, roster.url);
  await page.getByText(`1–50 of ${BULK + 1}`).waitFor();
  await shot(page, 'users');

  // (Text that a random user ID cannot hold.)
  await page.getByRole('searchbox', { name: 'Search' }).fill('ann@');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('1–1 of 1').waitFor();
  assert.equal(await page.locator('table.users tbody tr').count(), 1);

  await page.getByRole('searchbox', { name: 'Search' }).fill('');
  await page.getByLabel('Role').selectOption('viewer');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('1–1 of 1').waitFor();
  await page.getByLabel('Role').selectOption('');
  await page.getByLabel('Custom attribute').selectOption('plan');
  await page.getByLabel('Attribute value').fill('silver');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('1–1 of 1').waitFor();
  await page.getByRole('link', { name: 'Ann Example' }).waitFor();

  // Sorting by name, descending, then the next page.
  await page.goto(`${roster.url}/console/#/users?sort=name&desc=1`);
  await page.getByText(`1–50 of ${BULK + 1}`).waitFor();
  assert.equal(await page.locator('table.users tbody tr').first().locator('td').nth(1).innerText(), 'Bulk User 299');
  await page.getByRole('link', { name: 'Next →' }).click();
  await page.getByText(`51–100 of ${BULK + 1}`).waitFor();
  assert.equal(await page.locator('table.users tbody tr').first().locator('td').nth(1).innerText(), 'Bulk User 249');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a user is opened and edited; the change is seen through the API; a bad value is shown at its field; a change made meanwhile is not overwritten', async () => {
  const page = await newPage(browser);
  await signIn(page, roster.url);
  await page.getByRole('searchbox', { name: 'Search' }).fill('ann@example.com');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'Ann Example' }).click();
  await page.getByRole('heading', { name: 'Ann Example', level: 1 }).waitFor();
  const before = await mgmt.byLogin('ann@example.com');

  // A bad email: shown at the email field, and nothing changes.
  await page.getByLabel('Email', { exact: true }).fill('not-an-email');
  await page.getByLabel('Display name').fill('Ann Changed');
  await page.getByRole('button', { name: 'Save changes' }).click();
  const emailError = page.locator('[data-field="email"] .field-error');
  await emailError.waitFor();
  assert.match(await emailError.innerText(), /email|address/i);
  assert.equal((await mgmt.byLogin('ann@example.com')).version, before.version);

  await page.getByLabel('Email', { exact: true }).fill('ann@example.org');
  await page.getByLabel('Display name').fill('Ann Edited');
  await page.getByLabel('Status').selectOption('disabled');
  await page.getByRole('group', { name: 'Project roles' }).getByLabel('admin').check();
  await page.getByLabel('Tenant to add').selectOption('globex');
  await page.getByRole('group', { name: 'Globex' }).getByLabel('support').check();
  await page.getByLabel('Plan').selectOption('gold');
  await page.getByLabel('Age').fill('42');
  await page.getByLabel('Beta tester').selectOption('true');
  await page.getByLabel('Additional login IDs').fill('ann-alt');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('heading', { name: 'Ann Edited', level: 1 }).waitFor();
  await shot(page, 'user');

  const after = await mgmt.user(before.userId);
  assert.equal(after.name, 'Ann Edited');
  assert.equal(after.email, 'ann@example.org');
  assert.equal(after.status, 'disabled');
  assert.deepEqual([...after.roleNames].sort(), ['admin', 'viewer']);
  assert.deepEqual(after.userTenants.map((t) => [t.tenantId, t.roleNames]).sort(), [['acme', []], ['globex', ['support']]]);
  assert.deepEqual(after.customAttributes, { plan: 'gold', age: 42, beta: true });
  assert.deepEqual(after.loginIds, ['ann@example.com', 'ann-alt']);
  assert.equal(after.version, before.version + 1, 'one patch, one version');

  // The login ID renamed through its own form.
  await page.getByLabel('First login ID').fill('ann@example.net');
  await page.getByRole('button', { name: 'Rename' }).click();
  await page.getByText('Login ID changed.').waitFor();
  assert.deepEqual((await mgmt.user(before.userId)).loginIds, ['ann@example.net', 'ann-alt']);

  // The audit trail shows the change.
  await page.reload();
  await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
  await page.locator('table.audit').getByText('Ann Edited').first().waitFor();

  // Someone else changes the user while the page is open: saving does not overwrite
  // it (the page sends the version it loaded), and says so.
  await mgmt.post('/v1/mgmt/user/update/role/add', { loginId: 'ann@example.net', roleNames: ['support'] });
  await page.getByRole('group', { name: 'Project roles' }).getByLabel('admin').uncheck();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Someone changed this user since this page loaded, so nothing was saved.').waitFor();
  assert.deepEqual([...(await mgmt.user(before.userId)).roleNames].sort(), ['admin', 'support', 'viewer']);
  await page.getByRole('button', { name: 'Load the user again' }).click();
  await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
  assert.ok(await page.getByRole('group', { name: 'Project roles' }).getByLabel('support').isChecked());
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a bulk change on 300 users matching a search shows every result', async () => {
  const page = await newPage(browser);
  await signIn(page, roster.url);
  await page.getByRole('searchbox', { name: 'Search' }).fill('bulk-');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText(`1–50 of ${BULK}`).waitFor();
  await page.getByLabel('Select every user on this page').check();
  await page.getByText('50 selected.').waitFor();
  await page.getByRole('button', { name: `Select all ${BULK} that match` }).click();
  await page.getByText(`All ${BULK} users that match the search are selected.`).waitFor();
  await page.getByRole('link', { name: 'Change selected…' }).click();
  await page.getByRole('heading', { name: 'Bulk changes' }).waitFor();
  await page.getByLabel('Change').selectOption('addTenant');
  await page.getByLabel('Tenant', { exact: true }).selectOption('acme');
  await page.getByLabel('Roles in the tenant').fill('support');
  await page.getByRole('button', { name: 'Apply to the selected users' }).click();
  await page.getByText(`Done. ${BULK} changed, 0 already so, 0 failed.`).first().waitFor();
  assert.equal(await page.locator('table.results tbody tr.changed').count(), BULK);
  await shot(page, 'bulk');
  const inAcme = await mgmt.search({ tenantIds: ['acme'], text: 'bulk-', limit: 1 });
  assert.equal(inAcme.total, BULK);
  const one = await mgmt.byLogin('bulk-007@example.com');
  assert.deepEqual(one.userTenants.map((t) => [t.tenantId, t.roleNames]), [['acme', ['support']]]);

  // Again: every user is already so.
  await page.getByRole('button', { name: 'Apply to the selected users' }).click();
  await page.getByText(`Done. 0 changed, ${BULK} already so, 0 failed.`).first().waitFor();
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a bulk change on users picked by hand reports a failed user with its reason', async () => {
  const page = await newPage(browser);
  await signIn(page, roster.url);
  await page.getByRole('searchbox', { name: 'Search' }).fill('bulk-00');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('1–10 of 10').waitFor();
  for (const n of ['000', '001', '002']) await page.getByLabel(`Select Bulk User ${n}`).check();
  await page.getByText('3 selected.').waitFor();
  // One of them goes before the change runs.
  const gone = await mgmt.byLogin('bulk-002@example.com');
  await mgmt.post('/v1/mgmt/user/delete', { userId: gone.userId });
  await page.getByRole('link', { name: 'Change selected…' }).click();
  await page.getByLabel('Change').selectOption('attribute');
  await page.getByLabel('Attribute', { exact: true }).selectOption('age');
  await page.getByLabel('Value').fill('30');
  await page.getByRole('button', { name: 'Apply to the selected users' }).click();
  await page.getByText('Done. 2 changed, 0 already so, 1 failed.').first().waitFor();
  const failed = page.locator('table.results tbody tr.failed');
  assert.equal(await failed.count(), 1);
  assert.match(await failed.innerText(), /no longer exists/);
  assert.equal((await mgmt.byLogin('bulk-000@example.com')).customAttributes.age, 30);

  // A value the attribute's type refuses fails every user, each with the server's reason.
  await page.getByLabel('Value').fill('thirty');
  await page.getByRole('button', { name: 'Apply to the selected users' }).click();
  await page.getByText('Done. 0 changed, 0 already so, 3 failed.').first().waitFor();
  assert.equal(await page.locator('table.results tbody tr.failed').filter({ hasText: /customAttributes\.age: expected a number/ }).count(), 2);
  assert.equal((await mgmt.byLogin('bulk-000@example.com')).customAttributes.age, 30);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('export a CSV file, change it, import it with a preview of what changes', async () => {
  const page = await newPage(browser);
  await signIn(page, roster.url);
  await page.getByRole('link', { name: 'Import and export' }).click();
  await page.getByRole('heading', { name: 'Import and export' }).waitFor();
  await page.getByLabel('Format').selectOption('csv');
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export' }).click();
  const download = await downloading;
  const dir = mkdtempSync(join(tmpdir(), 'console-export-'));
  const file = join(dir, 'users.csv');
  await download.saveAs(file);
  const lines = readFileSync(file, 'utf8').trim().split(/\r\n/);
  assert.equal(lines[0].split(',')[0], 'userId');
  assert.equal(lines.length, 1 + BULK, 'a header and every user (one was deleted)');

  // Rename two users, leave the rest, add two new ones and a broken row.
  const edited = lines.map((l) => l.replace('Bulk User 010', 'Renamed 010').replace('Bulk User 011', 'Renamed 011'));
  edited.push(',"[""new-1@example.com""]",new-1@example.com,,New One,,,,enabled,,,,"[""viewer""]",,,,');
  edited.push(',"[""new-2@example.com""]",new-2@example.com,,New Two,,,,enabled,,,,,,"{""plan"":""gold""}",,');
  edited.push(',"[not json",,,,,,,,,,,,,,,');
  const upload = join(dir, 'changed.csv');
  writeFileSync(upload, `${edited.join('\r\n')}\r\n`);
  await page.getByLabel('File').setInputFiles(upload);
  await page.getByText('2 new users, 2 users with changes, ').waitFor();
  const summary = await page.locator('.preview .summary').innerText();
  assert.match(summary, /2 new users, 2 users with changes, 29\d unchanged, 1 row that cannot be read/);
  await page.getByText('Bulk User 010 → Renamed 010').waitFor();
  await shot(page, 'import');
  await page.getByRole('button', { name: 'Apply: create 2, change 2' }).click();
  await page.getByText('Done: 2 created, 2 changed, 0 failed.').first().waitFor();
  assert.equal((await mgmt.byLogin('bulk-010@example.com')).name, 'Renamed 010');
  const newOne = await mgmt.byLogin('new-1@example.com');
  assert.deepEqual(newOne.roleNames, ['viewer']);
  assert.equal((await mgmt.byLogin('new-2@example.com')).customAttributes.plan, 'gold');

  // JSON Lines too.
  await page.getByLabel('Format').selectOption('jsonl');
  const again = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export' }).click();
  const jsonl = join(dir, 'users.jsonl');
  await (await again).saveAs(jsonl);
  const rows = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, BULK + 2);
  assert.ok(rows.some((u) => u.name === 'Renamed 011'));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('tenants, roles, permissions and attributes: create, edit, and delete after seeing what it touches', async () => {
  const page = await newPage(browser);
  await signIn(page, roster.url);

  await page.getByRole('link', { name: 'Tenants' }).click();
  await page.getByRole('button', { name: 'New tenant' }).click();
  await page.getByLabel('Name').fill('Initech');
  await page.getByLabel('ID').fill('initech');
  await page.getByLabel('Self-provisioning domains').fill('initech.test, initech.example');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'initech.test, initech.example', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Edit Initech' }).click();
  await page.getByLabel('Name').fill('Initech Corp');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('link', { name: 'Initech Corp' }).waitFor();
  assert.equal((await mgmt.get('/v1/mgmt/tenant?id=initech')).name, 'Initech Corp');
  // A name taken by another tenant: the error is shown, nothing changes.
  await page.getByRole('button', { name: 'Edit Initech Corp' }).click();
  await page.getByLabel('Name').fill('Acme');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('form .form-error, form .field-error').filter({ hasText: /Acme|name/ }).first().waitFor();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await shot(page, 'tenants');
  await page.getByRole('button', { name: 'Delete Acme' }).click();
  // Ann and the 299 bulk users left.
  await page.getByText('300 users lose their membership of it').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Delete Initech Corp' }).click();
  await page.getByText('0 users lose their membership of it').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete tenant' }).click();
  await page.getByText('Tenant Initech Corp deleted.').waitFor();
  assert.ok(!(await mgmt.get('/v1/mgmt/tenant/all')).tenants.some((t) => t.id === 'initech'));

  await page.getByRole('link', { name: 'Roles and permissions' }).click();
  await page.getByRole('button', { name: 'New permission' }).click();
  await page.getByLabel('Name').fill('billing.write');
  await page.getByRole('button', { name: 'Create permission' }).click();
  await page.getByRole('cell', { name: 'billing.write', exact: true }).waitFor();
  await page.getByRole('button', { name: 'New role' }).click();
  await page.getByLabel('Name').fill('billing');
  await page.getByLabel('Description').fill('Pays the bills');
  await page.getByRole('group', { name: 'Permissions' }).getByLabel('billing.write').check();
  await page.getByRole('button', { name: 'Create role' }).click();
  await page.getByRole('cell', { name: 'Pays the bills', exact: true }).waitFor();
  const billing = (await mgmt.get('/v1/mgmt/role/all')).roles.find((r) => r.name === 'billing');
  assert.deepEqual(billing.permissionNames, ['billing.write']);
  await page.getByRole('button', { name: 'Edit role billing' }).click();
  await page.getByLabel('Name').fill('finance');
  await page.getByRole('button', { name: 'Save role' }).click();
  await page.getByRole('link', { name: 'finance' }).waitFor();
  await shot(page, 'roles');
  await page.getByRole('button', { name: 'Delete role viewer' }).click();
  await page.getByText('2 users hold it; they lose it').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Delete permission billing.write' }).click();
  await page.getByText('1 roles use it and lose it: finance.').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete permission' }).click();
  await page.getByText('Permission billing.write deleted.').waitFor();
  assert.deepEqual((await mgmt.get('/v1/mgmt/role/all')).roles.find((r) => r.name === 'finance').permissionNames, []);

  await page.getByRole('link', { name: 'Custom attributes' }).click();
  await page.getByRole('button', { name: 'New attribute' }).click();
  await page.getByLabel('Name', { exact: true }).fill('tier');
  await page.getByLabel('Type').selectOption('multiselect');
  await page.getByLabel('Options').fill('a: Tier A\nb');
  await page.getByRole('button', { name: 'Create attribute' }).click();
  await page.getByRole('cell', { name: 'a (Tier A), b', exact: true }).waitFor();
  // Changed: a new option and a display name; then an option users hold, refused at
  // its field.
  await page.getByRole('button', { name: 'Edit attribute plan' }).click();
  await page.getByLabel('Display name').fill('Plan tier');
  await page.getByLabel('Options').fill('gold: Gold\nsilver: Silver\nbronze');
  await page.getByRole('button', { name: 'Save attribute' }).click();
  await page.getByRole('cell', { name: 'Plan tier', exact: true }).waitFor();
  const plan = (await mgmt.get('/v1/mgmt/user/customattributes')).data.find((a) => a.name === 'plan');
  assert.deepEqual(plan.options.map((o) => o.value), ['gold', 'silver', 'bronze']);
  assert.equal(plan.type, 4);
  await page.getByRole('button', { name: 'Edit attribute plan' }).click();
  await page.getByLabel('Options').fill('silver: Silver\nbronze');
  await page.getByRole('button', { name: 'Save attribute' }).click();
  const optionsError = page.locator('[data-field="options"] .field-error');
  await optionsError.waitFor();
  assert.match(await optionsError.innerText(), /^2 users of this project hold "gold" of "plan"/);
  assert.equal((await mgmt.get('/v1/mgmt/user/customattributes')).data.find((a) => a.name === 'plan').options.length, 3);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await shot(page, 'attributes');
  const tier = (await mgmt.get('/v1/mgmt/user/customattributes')).data.find((a) => a.name === 'tier');
  assert.equal(tier.type, 5);
  await page.getByRole('button', { name: 'Delete attribute tier' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete attribute' }).click();
  await page.getByText('Attribute tier deleted.').waitFor();
  assert.ok(!(await mgmt.get('/v1/mgmt/user/customattributes')).data.some((a) => a.name === 'tier'));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a read-only key sees everything and changes nothing', async () => {
  const key = readOnlyKey(roster.databaseUrl);
  const page = await newPage(browser);
  await signIn(page, roster.url, key);
  await page.getByText('read-only').first().waitFor();
  await page.getByRole('searchbox', { name: 'Search' }).fill('ann@');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'Ann Edited' }).click();
  await page.getByText('This key is read-only: you can look, not change.').waitFor();
  assert.ok(await page.getByLabel('Display name').isDisabled());
  assert.ok(await page.getByRole('button', { name: 'Save changes' }).isDisabled());
  await page.getByRole('link', { name: 'Tenants' }).click();
  await page.getByRole('cell', { name: 'acme', exact: true }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'New tenant' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: /^Delete/ }).count(), 0);
  // Even a change sent by hand from the page is refused by the API.
  const status = await page.evaluate(async ([project, k]) => {
    const r = await fetch('/v1/mgmt/tenant/delete', { method: 'POST', headers: { Authorization: `Bearer ${project}:${k}` }, body: '{"id":"acme"}' });
    return r.status;
  }, [PROJECT, key]);
  assert.equal(status, 403);
  assert.ok((await mgmt.get('/v1/mgmt/tenant/all')).tenants.some((t) => t.id === 'acme'));
  await page.context().close();
});

test("another project's console is empty: one project never sees another's users or catalog", async () => {
  const other = newProject(roster.databaseUrl);
  const page = await newPage(browser);
  await signIn(page, roster.url, other.key, other.project);
  await page.getByText('This project has no users yet.').waitFor();
  assert.equal(await page.locator('.screen-head .summary').innerText(), 'No users yet.');
  // The first project's key does not open it, nor its key the first project.
  await page.getByRole('link', { name: 'Tenants' }).click();
  await page.getByText('No tenants yet.').waitFor();
  await page.getByRole('link', { name: 'Roles and permissions' }).click();
  await page.getByText('No roles yet.').waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Project ID').fill(other.project);
  await page.getByLabel('Management key').fill(KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('This project ID and key do not match a key of this server.').waitFor();
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('on a phone-sized screen the users list stays readable', async () => {
  const page = await newPage(browser, { viewport: { width: 390, height: 844 } });
  await signIn(page, roster.url);
  await page.getByText(`of ${BULK + 2}`).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await shot(page, 'users-phone');
  // Keyboard: a page loaded afresh starts with the skip link.
  await page.reload();
  await page.getByText(`of ${BULK + 2}`).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
