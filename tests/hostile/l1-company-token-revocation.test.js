'use strict';
// L1: company tokens can be revoked. `chathub company passwd` and
// `chathub company revoke-tokens --login L` make every company token issued
// before answer 401 (2003) and close the company's hub connections with
// "token revoked"; a fresh login works.

const { describe, test } = require('node:test');
const h = require('../e2e/lib/harness');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

// The new password from stdin and CHATHUB_COMPANY_PASSWORD; a CLI that
// accepts it only as --password gets that.
async function passwd(srv, login, password) {
  let r = await h.cli(['company', 'passwd', '--login', login], { dataDir: srv.dataDir, env: { CHATHUB_COMPANY_PASSWORD: password }, input: `${password}\n` });
  if (r.code !== 0) r = await h.cli(['company', 'passwd', '--login', login, '--password', password], { dataDir: srv.dataDir });
  return r;
}

// Polls until the token answers 401 on a company route (up to 3 s).
async function revokedWithin(srv, token, ms = 3000) {
  const deadline = Date.now() + ms;
  let r;
  for (;;) {
    r = await atk.api(srv, 'GET', '/api/company/organization', { token });
    if (r.status === 401 || Date.now() > deadline) return r;
    await h.sleep(100);
  }
}

async function closedWithRevoked(ws, ms = 3000) {
  try { return await ws.nextMessage((m) => m.type === 7, ms); } catch { return { none: true, ended: ws.ended }; }
}

describe('L1 company token revocation', () => {
  test('passwd and revoke-tokens revoke the company\'s earlier tokens and close its hub connections', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    const co = await h.createCompany(srv, 'l1co', 'first password');
    const t1 = await h.companyToken(srv.base, co.login, co.password);
    const ws1 = await atk.rawHubFrom(srv, t1, atk.ip(2));
    t.after(() => ws1.destroy());

    by.start();
    const pw = await passwd(srv, co.login, 'second password');
    p.check(pw.code === 0, `company passwd: exit ${pw.code} ${pw.stderr.trim()}`);
    const r1 = await revokedWithin(srv, t1);
    p.check(r1.status === 401 && r1.json && r1.json.code === 2003, `the company token issued before passwd: expected 401 (2003) within 3 s, got ${atk.describe(r1)}`);
    const c1 = await closedWithRevoked(ws1);
    p.check(c1.error === 'token revoked', `the company hub connection after passwd: ${JSON.stringify(c1)}`);
    const fresh = await h.api(srv.base, 'POST', '/api/company/get-token', { body: { login: co.login, password: 'second password' } });
    p.check(fresh.status === 200, `login with the new password: ${h.describeRes(fresh)}`);

    const t2 = fresh.status === 200 ? fresh.text.trim() : await h.companyToken(srv.base, co.login, co.password);
    const ws2 = await atk.rawHubFrom(srv, t2, atk.ip(2));
    t.after(() => ws2.destroy());
    const rv = await h.cli(['company', 'revoke-tokens', '--login', co.login], { dataDir: srv.dataDir });
    p.check(rv.code === 0, `company revoke-tokens: exit ${rv.code} ${rv.stderr.trim()}`);
    const r2 = await revokedWithin(srv, t2);
    p.check(r2.status === 401 && r2.json && r2.json.code === 2003, `the company token issued before revoke-tokens: expected 401 (2003) within 3 s, got ${atk.describe(r2)}`);
    const c2 = await closedWithRevoked(ws2);
    p.check(c2.error === 'token revoked', `the company hub connection after revoke-tokens: ${JSON.stringify(c2)}`);
    const fresh2 = await h.api(srv.base, 'POST', '/api/company/get-token', { body: { login: co.login, password: fresh.status === 200 ? 'second password' : co.password } });
    p.check(fresh2.status === 200, `login after revoke-tokens: ${h.describeRes(fresh2)}`);
    await by.stop();

    t.diagnostic(`passwd exit ${pw.code}: old token ${r1.status}, hub ${c1.error || 'open'}; revoke-tokens exit ${rv.code}: token ${r2.status}, hub ${c2.error || 'open'}`);
    await by.verify(t, p);
    p.assertNone('L1 expectations');
  });
});
