'use strict';
// H3: an operator's revocation (Inactive or Deleted) reaches its hub
// connections in every state: before the handshake (a withheld handshake is
// re-checked when it completes, and cannot be held open: the handshake has a
// deadline, hub_handshake_timeout, not extended by partial bytes), at the
// upgrade (a revoked token gets 401 before it), on a live connection (closed
// with "token revoked"), and in the middle of invocations (nothing is stored
// for the operator once the revocation was acknowledged).

const { describe, test } = require('node:test');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

const ENV = { CHATHUB_HUB_HANDSHAKE_TIMEOUT: '3' };
const ADDR = atk.ip(2);
const HANDSHAKE = `{"protocol":"json","version":1}${hub.RS}`;

const gotHandshake = (ws) => ws.messages.some((m) => m && typeof m === 'object' && !Array.isArray(m) && Object.keys(m).length === 0);

async function openRaw(srv, token) {
  const r = await hub.rawUpgrade(srv.port, `/chathub?access_token=${encodeURIComponent(token)}`, { localAddress: ADDR });
  return r;
}

// (a) the handshake is withheld across the revocation, then completed
// (within the 3 s handshake deadline).
async function withheldHandshake(t, p, srv, by, op, status) {
  const r = await openRaw(srv, op.token);
  if (!p.check(r.status === 101, `(a) upgrade before the revocation: HTTP ${r.status} ${r.body || ''}`)) return;
  const ws = r.ws;
  t.after(() => ws.destroy());
  const head = '{"p';
  for (const ch of head) { await ws.sendText(ch); await h.sleep(500); }
  await h.setStatus(srv, by.a.token, op.id, status);
  await ws.sendText(HANDSHAKE.slice(head.length));
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && !ws.ended && !ws.closeFrame && !gotHandshake(ws) && !ws.messages.some((m) => m.error)) await h.sleep(20);
  const answer = JSON.stringify(ws.messages).slice(0, 200);
  p.check(!gotHandshake(ws), `(a) status ${status}: a handshake withheld across the revocation was answered {} (messages ${answer})`);
  p.check(ws.ended || ws.closeFrame || ws.messages.some((m) => m.error),
    `(a) status ${status}: no {"error":…} and no close after the revoked operator's handshake (messages ${answer})`);
  if (!ws.ended) {
    await ws.sendMsg({ type: 1, invocationId: '1', target: 'Sync', arguments: [{ chats: {} }] });
    let res = null;
    try { res = await ws.completion(1, 2000); } catch { /* no completion: good */ }
    p.check(!res || res.result === undefined, `(a) status ${status}: the revoked operator's Sync got a result: ${JSON.stringify(res).slice(0, 200)}`);
  }
  t.diagnostic(`(a) status ${status}, withheld handshake: messages ${answer}; close ${JSON.stringify(ws.closeFrame)}; ended ${ws.ended}`);
}

// (b) one handshake byte per second: closed by the deadline, not kept alive.
async function trickle(t, p, srv, op) {
  const r = await openRaw(srv, op.token);
  if (!p.check(r.status === 101, `(b) upgrade: HTTP ${r.status}`)) return;
  const ws = r.ws;
  t.after(() => ws.destroy());
  const t0 = Date.now();
  for (let i = 0; i < 6 && !ws.ended && !ws.closeFrame; i++) {
    await ws.sendText(HANDSHAKE[i]);
    await h.sleep(1000);
  }
  const closed = ws.ended || !!ws.closeFrame;
  p.check(closed, '(b) a connection trickling its handshake one byte per second was still open after 6 s');
  t.diagnostic(`(b) trickled handshake: closed ${closed} after ${Date.now() - t0} ms`);
}

// (e) SendMessage every few ms while the company revokes the operator.
async function midInvocation(t, p, srv, by, op, chatId, status) {
  const ws = await atk.rawHubFrom(srv, op.token, ADDR);
  t.after(() => ws.destroy());
  let id = 0;
  let sending = true;
  const sender = (async () => {
    while (sending && !ws.ended) {
      id++;
      await ws.sendMsg({ type: 1, invocationId: String(id), target: 'SendMessage', arguments: [chatId, `op ${op.id} #${id}`, `rev-${op.id}-${id}`] });
      await h.sleep(15);
    }
  })();
  await h.sleep(300);
  const res = await h.api(srv.base, 'POST', '/api/operator/status', { token: by.a.token, body: { id: op.id, status } });
  const count = async () => (await hub.allMessages(srv, by.a.token, chatId)).filter((m) => m.operator && m.operator.id === op.id).length;
  const n1 = await count();
  await h.sleep(300);
  sending = false;
  await sender;
  await h.sleep(1000);
  const n2 = await count();
  p.check(res.status === 200, `(e) status ${status}: HTTP ${res.status}`);
  p.check(n2 === n1, `(e) status ${status}: ${n2 - n1} messages of the operator were stored after the revocation was acknowledged (${n1} → ${n2})`);
  const ok = ws.messages.filter((m) => m.type === 3 && m.result !== undefined).length;
  t.diagnostic(`(e) status ${status}: ${id} SendMessage sent, ${ok} succeeded; stored at the 200: ${n1}, 1 s later: ${n2}`);
}

describe('H3 revocation bypass', () => {
  test('revocation reaches a withheld handshake, a trickle, an upgrade, a live connection, invocations in flight', async (t) => {
    const { srv, by } = await stage(t, { env: ENV, extraOperators: 8 });
    const p = new Problems();
    const [, , opA1, opA2, opB, opD1, opD2, opE1, opE2] = by.a.ops;
    const v = await hub.visitorChat(srv, by.a.guid, 'a chat for the revoked operators', { name: 'H3 visitor' });
    by.start();

    const trickling = trickle(t, p, srv, opB);
    await Promise.all([withheldHandshake(t, p, srv, by, opA1, 1), withheldHandshake(t, p, srv, by, opA2, 2)]);

    // (c) a revoked token is refused before the upgrade
    for (const [op, status] of [[opA1, 1], [opA2, 2]]) {
      const c = await openRaw(srv, op.token);
      if (c.ws) c.ws.destroy();
      p.check(c.status === 401, `(c) status ${status}: upgrade with a revoked token: expected 401 before the upgrade, got HTTP ${c.status}`);
    }

    // (d) a live connection is closed with "token revoked"
    for (const [op, status] of [[opD1, 1], [opD2, 2]]) {
      const live = await atk.rawHubFrom(srv, op.token, ADDR);
      t.after(() => live.destroy());
      await h.setStatus(srv, by.a.token, op.id, status);
      let close = null;
      try { close = await live.nextMessage((m) => m.type === 7, 3000); } catch { /* none */ }
      p.check(close && close.error === 'token revoked', `(d) status ${status}: live connection after the revocation: ${JSON.stringify(close)}, ended ${live.ended}`);
    }

    await midInvocation(t, p, srv, by, opE1, v.chatId, 1);
    await midInvocation(t, p, srv, by, opE2, v.chatId, 2);
    await trickling;
    await v.stop();

    await by.verify(t, p);
    p.assertNone('H3 expectations');
  });
});
