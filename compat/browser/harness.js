// A real Roster and a real Chromium for the console's tests.
//
// The server is `roster serve` (ROSTER_BIN, default target/debug/roster) on a temporary
// SQLite file, with a known project and key; a read-only key is made with `roster key
// create --read-only` against the same file. The browser is Debian's Chromium
// (ROSTER_CHROMIUM, default /usr/bin/chromium), headless, driven by playwright-core;
// Playwright never downloads a browser of its own. The console acts only through the
// management API, so these tests check its effects through the API too (`api`).

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.ROSTER_BIN || join(repo, 'target', 'debug', 'roster');
export const CHROMIUM = process.env.ROSTER_CHROMIUM || '/usr/bin/chromium';
export const PROJECT = 'P2RosterConsoleTests00000001';
export const KEY = 'console-tests-key-0123456789abcdef';

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

/** Start `roster serve` on a fresh SQLite file: `{url, databaseUrl, stop, logText}`. */
export async function startRoster() {
  const dir = mkdtempSync(join(tmpdir(), 'roster-console-'));
  const databaseUrl = `sqlite://${join(dir, 'roster.db')}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logPath = join(dir, 'server.log');
  const log = openSync(logPath, 'w');
  const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--database-url', databaseUrl], {
    env: { ...process.env, ROSTER_PROJECT_ID: PROJECT, ROSTER_MANAGEMENT_KEY: KEY },
    stdio: ['ignore', log, log],
  });
  const logText = () => readFileSync(logPath, 'utf8');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/health/ready`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill();
      throw new Error(`roster serve did not start:\n${logText()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    databaseUrl,
    logText,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new read-only key of the project, made by the command line. */
export function readOnlyKey(databaseUrl) {
  const out = execFileSync(BIN, ['key', 'create', '--project', PROJECT, '--name', 'viewer', '--read-only', '--database-url', databaseUrl], { encoding: 'utf8' });
  const key = out.trim().split(/\s+/).pop();
  if (!key) throw new Error(`no key in: ${out}`);
  return key;
}

/** A management API client with the project's key, to set up and to check. */
export function api(base, key = KEY) {
  const call = async (method, path, body) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${PROJECT}:${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body ?? {}),
    patch: (path, body) => call('PATCH', path, body ?? {}),
    user: async (id) => (await call('GET', `/v1/mgmt/user?userId=${encodeURIComponent(id)}`)).user,
    byLogin: async (loginId) => (await call('GET', `/v1/mgmt/user?loginId=${encodeURIComponent(loginId)}`)).user,
    search: (body) => call('POST', '/v2/mgmt/user/search', body),
  };
}

/** Headless Debian Chromium, with the flags a closed network needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** A page of a fresh browser context (its own sessionStorage), failing the test on any
 * console error or failed request of the page. */
export async function newPage(browser, { viewport = { width: 1280, height: 860 } } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true, colorScheme: 'light' });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // The browser logs every 4xx answer; the console shows those itself (the tests
    // check where). Anything else logged as an error is a problem.
    if (m.type() === 'error' && !/the server responded with a status of 4\d\d/.test(m.text())) page.problems.push(`console: ${m.text()}`);
  });
  return page;
}

/** A new project and a key of it, made by the command line: `{project, key}`. */
export function newProject(databaseUrl) {
  const project = execFileSync(BIN, ['project', 'create', '--name', 'other', '--database-url', databaseUrl], { encoding: 'utf8' }).trim();
  const key = execFileSync(BIN, ['key', 'create', '--project', project, '--database-url', databaseUrl], { encoding: 'utf8' }).trim();
  return { project, key };
}

/** Sign in through the form. */
export async function signIn(page, url, key = KEY, project = PROJECT) {
  await page.goto(`${url}/console/`);
  await page.getByLabel('Project ID').fill(project);
  await page.getByLabel('Management key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
}

/** Where screenshots go (ROSTER_SCREENSHOTS), if anywhere. */
export const SCREENSHOTS = process.env.ROSTER_SCREENSHOTS || '';
