'use strict';
// L8: `/metrics` (every tenant's request counts and gauges) is not public
// when metrics_token is set — no token or a wrong one → 401, the token as
// `Authorization: Bearer` → 200 — and never readable cross-origin.

const { describe, test } = require('node:test');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

const TOKEN = 's3cret-metrics-token-0123456789';
const EVIL = 'https://evil.example';

describe('L8 metrics exposure', () => {
  test('with metrics_token: 401 without it or with a wrong one, 200 with it; no CORS grant', async (t) => {
    const { srv, by } = await stage(t, { env: { CHATHUB_METRICS_TOKEN: TOKEN } });
    const p = new Problems();
    by.start();
    const none = await atk.api(srv, 'GET', '/metrics', { headers: { Origin: EVIL } });
    const wrong = await atk.api(srv, 'GET', '/metrics', { token: 'not-the-token', headers: { Origin: EVIL } });
    const right = await atk.api(srv, 'GET', '/metrics', { token: TOKEN, headers: { Origin: EVIL } });
    await by.stop();
    p.check(none.status === 401, `/metrics without a token: HTTP ${none.status}`);
    p.check(wrong.status === 401, `/metrics with a wrong token: HTTP ${wrong.status}`);
    p.check(right.status === 200 && /chathub_/.test(right.body), `/metrics with the token: ${atk.describe(right)}`);
    for (const [what, r] of [['no token', none], ['wrong token', wrong], ['the token', right]]) {
      const acao = r.headers['access-control-allow-origin'];
      p.check(!acao, `/metrics (${what}) with Origin ${EVIL}: Access-Control-Allow-Origin ${acao}`);
    }
    t.diagnostic(`no token ${none.status}, wrong ${wrong.status}, right ${right.status}; ACAO ${none.headers['access-control-allow-origin'] || '-'}`);
    await by.verify(t, p);
    p.assertNone('L8 expectations');
  });
});
