'use strict';
// H1: unauthenticated JSON memory/CPU amplification. A body of `[{},{},…]`
// costs ~70 bytes of parser heap per byte when it is parsed; a caller must
// not make the server parse (or even buffer) more than the caller is
// allowed to cost. Unauthenticated routes have a small body limit
// (max_anonymous_body_bytes, 16 KiB), a signed inbound delivery may be large
// but bodies buffered at once are bounded server-wide (body_memory_max; over
// it → 503 5003), and one body holds at most max_json_values JSON values
// (over → 400 1001).

const { describe, test } = require('node:test');
const crypto = require('node:crypto');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

const MiB = 1024 * 1024;
const ENV = { CHATHUB_BODY_MEMORY_MAX: String(32 * MiB) };

// 413 (code 1005), or the connection closed by the server without a full answer.
function refusedTooLarge(r) {
  if (r.status === 413) return !r.json || r.json.code === 1005;
  return r.status === 0 && r.error !== 'timeout';
}

// Attacker i of a parallel attack speaks from 127.0.0.(2 + i).
function parallel(n, fn) {
  return Promise.all(Array.from({ length: n }, (_, i) => fn(i, atk.ip(2 + i))));
}

async function chatCount(by) {
  return (await by.chatsA()).total;
}

describe('H1 body amplification', () => {
  test('4 unsigned 13 MiB inbound bodies to an unknown guid: refused unread, peak memory +32 MiB at most', async (t) => {
    const { srv, by } = await stage(t, { env: ENV });
    const p = new Problems();
    const body = atk.arrayBomb(13 * MiB);
    const chats0 = await chatCount(by);
    by.start();
    const rs = await parallel(4, (i, localAddress) => atk.request(srv.port, {
      path: `/api/channel/${crypto.randomUUID()}/inbound`, body, localAddress,
    }));
    await by.stop();
    for (const r of rs) p.check(refusedTooLarge(r), `unsigned 13 MiB inbound: expected 413 (1005) or a close, got ${atk.describe(r)} after ${r.ms} ms`);
    t.diagnostic(`answers: ${rs.map((r) => `${r.status || r.error} in ${r.ms} ms`).join(', ')}`);
    await by.verify(t, p, { hwmMiB: 32, rssMiB: 32 });
    p.check((await chatCount(by)) === chats0, 'an inbound attack body created a chat');
    p.assertNone('H1 expectations');
  });

  test('4 13 MiB bodies with a wrong signature to an unknown guid (body_memory_max 32 MiB): never 200, peak ≤ budget + 32 MiB', async (t) => {
    const { srv, by } = await stage(t, { env: ENV });
    const p = new Problems();
    const body = atk.arrayBomb(13 * MiB);
    const chats0 = await chatCount(by);
    by.start();
    const rs = await parallel(4, (i, localAddress) => atk.request(srv.port, {
      path: `/api/channel/${crypto.randomUUID()}/inbound`, body, localAddress,
      headers: { 'X-ChatHub-Signature': `sha256=${crypto.randomBytes(32).toString('hex')}` },
    }));
    await by.stop();
    for (const r of rs) {
      p.check([401, 404, 503].includes(r.status) || (r.status === 0 && r.error && r.error !== 'timeout'),
        `signed-looking 13 MiB inbound to an unknown guid: expected 404/401/503, got ${atk.describe(r)}`);
    }
    t.diagnostic(`answers: ${rs.map((r) => `${r.status || r.error} in ${r.ms} ms`).join(', ')}`);
    await by.verify(t, p, { hwmMiB: 32 + 32, rssMiB: 32 });
    p.check((await chatCount(by)) === chats0, 'an inbound attack body created a chat');
    p.assertNone('H1 expectations');
  });

  test('an 8 MiB JSON-value bomb with a valid visitor token: 400 (1001), peak +64 MiB at most, nothing stored', async (t) => {
    const { srv, by } = await stage(t, { env: ENV });
    const p = new Problems();
    const localAddress = atk.ip(2);
    const s = await atk.widgetSession(srv, by.a.guid, localAddress);
    const body = atk.paddedObject({ textMessage: 'x' }, 8 * MiB);
    by.start();
    const r = await atk.request(srv.port, {
      path: `/api/widget/${by.a.guid}/message`, body, localAddress, headers: { Authorization: `Bearer ${s.visitorToken}` },
    });
    await by.stop();
    p.check(r.status === 400 && r.json && r.json.code === 1001, `8 MiB value bomb: expected 400 (1001), got ${atk.describe(r)} after ${r.ms} ms`);
    t.diagnostic(`answer: ${r.status || r.error} in ${r.ms} ms`);
    await by.verify(t, p, { hwmMiB: 64, rssMiB: 64 });
    const mine = (await by.chatsA()).items.filter((c) => c.client.id === s.clientId);
    p.check(mine.length === 0, `the bomb was stored: the attacker's chat ${mine.map((c) => `${c.id} (${c.lastSeq} messages)`).join(', ')}`);
    p.assertNone('H1 expectations');
  });

  test('12 parallel 1 MiB bodies to company/get-token and 1 MiB to widget session: 413, small growth', async (t) => {
    const { srv, by } = await stage(t, { env: ENV });
    const p = new Problems();
    const login = atk.paddedObject({ login: by.a.login, password: 'wrong password' }, 1048000);
    const session = atk.paddedObject({ name: 'x' }, 1048000);
    const chats0 = await chatCount(by);
    by.start();
    const rs = await parallel(12, (i, localAddress) => atk.request(srv.port, { path: '/api/company/get-token', body: login, localAddress }));
    const rw = await atk.request(srv.port, { path: `/api/widget/${by.a.guid}/session`, body: session, localAddress: atk.ip(20) });
    await by.stop();
    for (const r of rs) p.check(refusedTooLarge(r), `1 MiB get-token body: expected 413 (1005), got ${atk.describe(r)}`);
    p.check(refusedTooLarge(rw), `1 MiB widget session body: expected 413 (1005), got ${atk.describe(rw)}`);
    t.diagnostic(`get-token answers: ${rs.map((r) => r.status || r.error).join(',')} (max ${Math.max(...rs.map((r) => r.ms))} ms); session: ${rw.status || rw.error}`);
    await by.verify(t, p, { hwmMiB: 32, rssMiB: 32 });
    p.check((await chatCount(by)) === chats0, 'an attack body created a chat');
    p.assertNone('H1 expectations');
  });
});
