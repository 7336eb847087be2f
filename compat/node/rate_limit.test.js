// Rate limiting as Descope does it, seen through the official Node SDK: beyond a
// project's allowance (ROSTER_RATE_LIMIT), calls fail with status 429, Descope's error
// code E130429 and the Retry-After seconds, as the SDK reports a rate limit.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.js';

let server;
before(async () => {
  server = await startServer({ ROSTER_RATE_LIMIT: '5/60s' });
});
after(async () => {
  await server.stop();
});

test('beyond the limit the SDK reports a rate limit with Retry-After', async () => {
  const m = server.client(server.project, server.key).management;
  let limited;
  // Five calls per node are allowed (two nodes behind the balancer on PostgreSQL).
  for (let i = 0; i < 30 && !limited; i++) {
    const resp = await m.user.search({});
    if (!resp.ok) limited = resp;
  }
  assert.ok(limited, 'the limit was reached');
  assert.equal(limited.code, 429);
  assert.equal(limited.error.errorCode, 'E130429');
  assert.match(limited.error.errorMessage, /--rate-limit/);
  assert.ok(limited.error.retryAfter > 0 && limited.error.retryAfter <= 60, `${limited.error.retryAfter}`);
});
