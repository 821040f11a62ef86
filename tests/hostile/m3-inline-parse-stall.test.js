'use strict';
// M3: a tenant cannot stall the network thread. `validate-token` is
// answered on the network thread only for small bodies; a large body gets
// 413 (1005) without being parsed there. Company B posts 1 MiB
// `{"token":"x","pad":[{},…]}` bodies, 4 at a time for 3 s (paced below the
// per-token rate limit); company A's hub `Sync` and `/healthz` keep
// answering (their latencies are printed).

const { describe, test } = require('node:test');
const h = require('../e2e/lib/harness');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

const PARALLEL = 4;
const SECONDS = 3;
const BODY_BYTES = 1048000; // just under max_body_bytes (1 MiB)

describe('M3 inline parse stall', () => {
  test('company B\'s 1 MiB validate-token bodies, 4 at a time for 3 s: all 413; company A keeps being served', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    const body = atk.paddedObject({ token: 'x' }, BODY_BYTES);
    const answers = [];
    by.start();
    const end = Date.now() + SECONDS * 1000;
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (Date.now() < end) {
        const t0 = Date.now();
        answers.push(await atk.api(srv, 'POST', '/api/operator/validate-token', { token: by.b.token, body, localAddress: atk.ip(2) }));
        await h.sleep(Math.max(0, 50 - (Date.now() - t0))); // ≤ 80 requests/s in all
      }
    }));
    await by.stop();

    const counts = {};
    for (const r of answers) counts[r.status || r.error] = (counts[r.status || r.error] || 0) + 1;
    const bad = answers.filter((r) => !(r.status === 413 && (!r.json || r.json.code === 1005)) && !(r.status === 0 && r.error && r.error !== 'timeout'));
    p.check(bad.length === 0, () => `${bad.length} of ${answers.length} validate-token answers were not 413 (1005): ${atk.describe(bad[0])}`);
    t.diagnostic(`${answers.length} requests: ${JSON.stringify(counts)}; max ${Math.max(...answers.map((r) => r.ms))} ms`);
    await by.verify(t, p);
    p.assertNone('M3 expectations');
  });
});
