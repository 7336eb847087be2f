// The README's Node snippet, run as a new user would run it: a server started with the
// README's ROSTER_PROJECT_ID and ROSTER_MANAGEMENT_KEY, on a free port instead of 8080;
// the snippet's base URL is the only text changed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join, dirname, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BIN } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(resolve(here, '..', '..', 'README.md'), 'utf8');

test('the README Node snippet works', async () => {
  const snippet = readme.match(/```js\n([\s\S]*?)```/)[1];
  const project = readme.match(/ROSTER_PROJECT_ID=(\S+)/)[1];
  const key = readme.match(/ROSTER_MANAGEMENT_KEY=(\S+)/)[1];
  const port = await new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => ok(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'roster-readme-'));
  const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--database-url', `sqlite://${join(dir, 'r.db')}`], {
    env: { ...process.env, ROSTER_PROJECT_ID: project, ROSTER_MANAGEMENT_KEY: key },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`${url}/health/ready`)).status === 200) break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const file = join(here, '.readme-snippet.mjs');
    writeFileSync(file, snippet.replaceAll('http://127.0.0.1:8080', url));
    try {
      const out = execFileSync(process.execPath, [file], { encoding: 'utf8' });
      assert.equal(out.trim(), 'Bob');
    } finally {
      rmSync(file, { force: true });
    }
  } finally {
    proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});
