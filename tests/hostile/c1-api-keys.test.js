'use strict';
// C1: company API keys and the other credentials of the compatibility work.
// A key is a bearer secret that never expires, so: made-up keys (well-formed
// or not), the guide's development token on a server without --demo, and
// forged JWTs are refused without effect; a company's keys are bounded in
// number and size; one company's key reaches nothing of another's, cannot
// mint keys, and another company cannot revoke it. The bystanders keep
// working throughout.

const { describe, test } = require('node:test');
const crypto = require('node:crypto');
const h = require('../e2e/lib/harness');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

const FLOOD = 1500;
const PARALLEL = 20;

function madeUpCredential(i) {
  switch (i % 4) {
    case 0: return `chk_${crypto.randomBytes(32).toString('base64url')}`; // the right shape
    case 1: return `chk_${crypto.randomBytes(40).toString('base64url')}`; // too long
    case 2: return 'test-token-for-development'; // no --demo here
    default: return `${crypto.randomBytes(20).toString('base64url')}.${crypto.randomBytes(40).toString('base64url')}.${crypto.randomBytes(32).toString('base64url')}`;
  }
}

describe('C1 company API keys', () => {
  test('made-up credentials are refused, keys are bounded and scoped to their company', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    const mallory = await h.makeCompany(srv, 'c1-mallory');
    by.start();

    // 1. a flood of made-up credentials from another address
    const statuses = new Map();
    let next = 0;
    const worker = async () => {
      while (next < FLOOD) {
        const i = next++;
        const r = await atk.api(srv, 'GET', i % 2 ? '/api/company/organization' : '/api/chat/chats',
          { token: madeUpCredential(i) });
        statuses.set(r.status, (statuses.get(r.status) || 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    p.check([...statuses.keys()].every((s) => s === 401 || s === 429),
      `made-up credentials answered ${JSON.stringify([...statuses])} (only 401 and 429 are fine)`);
    // all 429 would say nothing about the credentials themselves
    p.check(statuses.get(401) > 0, `no made-up credential reached the check: ${JSON.stringify([...statuses])}`);

    // 2. a company's keys are bounded: 100, names of at most 128 bytes
    let made = 0;
    let over;
    for (let i = 0; i < 105; i++) {
      const r = await atk.api(srv, 'POST', '/api/company/api-keys', { token: mallory.token, body: { name: 'n'.repeat(128) }, localAddress: atk.ip(3) });
      if (r.status === 201) made++;
      else { over = r; break; }
    }
    p.check(made === 100 && over && over.status === 409, `keys a company could create: ${made}, then ${over && atk.describe(over)}`);
    const long = await atk.api(srv, 'POST', '/api/company/api-keys', { token: by.a.token, body: { name: 'n'.repeat(129) } });
    p.check(long.status === 400, `a 129-byte key name: ${atk.describe(long)}`);
    const list = await atk.api(srv, 'GET', '/api/company/api-keys', { token: mallory.token });
    p.check(list.status === 200 && Array.isArray(list.json) && list.json.length === 100, `the list: ${atk.describe(list)}`);
    p.check(list.json.every((k) => !('key' in k)), 'the list never shows a key');

    // 3. scope: another company's key reaches nothing of company A, and cannot touch A's keys
    const aKey = await h.api(srv.base, 'POST', '/api/company/api-keys', { token: by.a.token, body: { name: 'A backend' } });
    p.check(aKey.status === 201, `company A's key: ${h.describeRes(aKey)}`);
    // on a cluster the other processes learn a new key by their poll of the database, within about a second
    if (h.TEST_CLUSTER) await h.sleep(2000);
    const mKey = list.json[0] && list.json[0].id;
    const del = await atk.api(srv, 'DELETE', `/api/company/api-keys/${aKey.json.id}`, { token: mallory.token });
    p.check(del.status === 404, `mallory revoking A's key: ${atk.describe(del)}`);
    const org = await atk.api(srv, 'GET', `/api/company/organization/${by.a.orgId}`, { token: mallory.token });
    p.check(org.status === 404, `mallory reading A's organization: ${atk.describe(org)}`);
    const mine = await h.api(srv.base, 'DELETE', `/api/company/api-keys/${mKey}`, { token: mallory.token });
    p.check(mine.status === 200, `mallory revoking her own key: ${h.describeRes(mine)}`);
    const still = await h.api(srv.base, 'GET', '/api/company/organization', { token: aKey.json.key });
    p.check(still.status === 200, `company A's key after all that: ${h.describeRes(still)}`);
    const mint = await atk.api(srv, 'POST', '/api/company/api-keys', { token: aKey.json.key, body: { name: 'child' } });
    p.check(mint.status === 403, `a key minting a key: ${atk.describe(mint)}`);

    await by.stop();
    t.diagnostic(`made-up credentials: ${JSON.stringify([...statuses])}; keys created by one company: ${made}`);
    await by.verify(t, p);
    p.assertNone('C1 expectations');
  });
});
