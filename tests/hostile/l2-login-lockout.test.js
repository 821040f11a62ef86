'use strict';
// L2: nobody can lock the real admin out. With login_rate_per_minute 10,
// failed logins are limited per (login, IP) — plus all attempts per IP, and
// 10× the rate per login across all IPs — so 10 wrong passwords from
// another address do not stop the right password from 127.0.0.1.

const { describe, test } = require('node:test');
const h = require('../e2e/lib/harness');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

describe('L2 login lockout', () => {
  // on a cluster too: the balancer names each client's address in a PROXY header (proxy_protocol_from)
  test('10 wrong passwords from 127.0.0.2, then the right one from 127.0.0.1: 200', async (t) => {
    const { srv, by } = await stage(t, { env: { CHATHUB_LOGIN_RATE_PER_MINUTE: '10' } });
    const p = new Problems();
    const co = await h.createCompany(srv, 'l2co', 'the right password');
    by.start();
    const wrong = [];
    for (let i = 0; i < 10; i++) {
      wrong.push(await atk.api(srv, 'POST', '/api/company/get-token', { body: { login: co.login, password: `wrong ${i}` }, localAddress: atk.ip(2) }));
    }
    const right = await h.api(srv.base, 'POST', '/api/company/get-token', { body: { login: co.login, password: co.password } });
    await by.stop();
    p.check(wrong.every((r) => r.status === 401 || r.status === 429), `wrong passwords: ${wrong.map((r) => r.status).join(',')}`);
    p.check(right.status === 200, `the right password from 127.0.0.1 after 10 wrong ones from 127.0.0.2: ${h.describeRes(right)}`);
    t.diagnostic(`wrong: ${wrong.map((r) => r.status).join(',')}; right: ${right.status}`);
    await by.verify(t, p);
    p.assertNone('L2 expectations');
  });
});
