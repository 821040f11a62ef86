'use strict';
// H2: hub invocations are rate-limited per connection and per principal
// (hub_invocations_per_second 20, burst 60; per principal 40, burst 120),
// with at most hub_max_in_flight (32) outstanding per connection. Over the
// budget a caller gets error completions ("rate limit…") and then the close
// `{"type":7,"error":"too many invocations"}`. Acceptance point 2 of the
// issue: 20 anonymous visitors bursting at once disconnect no bystander and
// do not break the running conversation; each stores at most 300 messages.

const { describe, test } = require('node:test');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

const ATTACKERS = 20;
const FRAMES = 6;
const PER_FRAME = 500;
const STORED_BUDGET = 300;

// What one raw attacker connection got: completions (ok / error), rate-limit
// errors, the close message, whether the socket ended.
function tally(ws) {
  const done = ws.messages.filter((m) => m.type === 3);
  const errors = done.filter((m) => m.error !== undefined);
  const close = ws.messages.find((m) => m.type === 7);
  return {
    ok: done.length - errors.length,
    errors: errors.length,
    rateLimited: errors.filter((m) => /rate limit/i.test(m.error)).length,
    firstError: errors.length ? errors[0].error : null,
    close: close || null,
    closed: ws.ended || !!ws.closeFrame || !!close,
    ended: ws.ended,
  };
}

// Writes `frames` frames of `perFrame` invocations at once (without waiting
// for the server to read them: a server that stops reading must not stall
// the test); stops when the socket is gone.
function flood(ws, target, argsOf, frames, perFrame) {
  let sent = 0;
  for (let f = 0; f < frames; f++) {
    if (ws.ended || ws.sock.destroyed) break;
    ws.sock.write(hub.wsFrame(hub.OP.TEXT, atk.invocations(target, argsOf, perFrame, f * perFrame + 1)));
    sent += perFrame;
  }
  return sent;
}

// Waits until every connection is closed or has all `expected` completions.
async function settle(conns, expected, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (conns.every((ws) => { const k = tally(ws); return k.closed || k.ok + k.errors >= expected; })) return;
    await h.sleep(50);
  }
}

function checkAttacker(p, who, k) {
  p.check(k.rateLimited > 0, `${who}: no error completion containing "rate limit" (${k.ok} ok, ${k.errors} errors${k.firstError ? `, e.g. "${k.firstError}"` : ''})`);
  p.check(k.closed, `${who}: not closed over budget (${k.ok} invocations succeeded)`);
  if (k.close) p.check(/too many invocations/.test(k.close.error || ''), `${who}: close message ${JSON.stringify(k.close)} (expected "too many invocations")`);
}

describe('H2 hub invocation flood', () => {
  test(`${ATTACKERS} anonymous visitors × ${FRAMES * PER_FRAME} SendMessage at once: rate-limited, closed, ≤ ${STORED_BUDGET} stored each; bystanders unharmed`, async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    const attackers = [];
    for (let i = 0; i < ATTACKERS; i++) {
      const addr = atk.ip(2 + i);
      const s = await atk.widgetSession(srv, by.a.guid, addr);
      const ws = await atk.rawHubFrom(srv, s.visitorToken, addr);
      attackers.push({ addr, s, ws });
    }
    t.after(() => { for (const a of attackers) a.ws.destroy(); });

    by.start();
    const t0 = Date.now();
    for (const a of attackers) flood(a.ws, 'SendMessage', (id) => [null, `flood ${id}`], FRAMES, PER_FRAME);
    await settle(attackers.map((a) => a.ws), FRAMES * PER_FRAME, 30000);
    const settled = Date.now() - t0;
    await by.stop();

    const ks = attackers.map((a) => tally(a.ws));
    attackers.forEach((a, i) => checkAttacker(p, `attacker ${a.addr}`, ks[i]));
    t.diagnostic(`attackers settled in ${settled} ms: ok ${ks.map((k) => k.ok).join(',')}; rate-limit errors ${ks.reduce((s, k) => s + k.rateLimited, 0)}; `
      + `closed ${ks.filter((k) => k.closed).length}/${ATTACKERS}`);

    await by.verify(t, p, { hwmMiB: 64, rssMiB: 64 });

    const chats = (await by.chatsA()).items;
    const stored = attackers.map((a) => chats.filter((c) => c.client.id === a.s.clientId).reduce((s, c) => s + c.lastSeq, 0));
    stored.forEach((n, i) => p.check(n <= STORED_BUDGET, `attacker ${attackers[i].addr} stored ${n} messages (budget ${STORED_BUDGET})`));
    t.diagnostic(`stored per attacker: ${stored.join(',')} (total ${stored.reduce((s, n) => s + n, 0)})`);
    p.assertNone('H2 expectations');
  });

  test('20,000 Sync from one visitor connection: closed over budget; bystanders answer', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    const addr = atk.ip(2);
    const s = await atk.widgetSession(srv, by.a.guid, addr);
    const ws = await atk.rawHubFrom(srv, s.visitorToken, addr);
    t.after(() => ws.destroy());

    by.start();
    const t0 = Date.now();
    const sent = flood(ws, 'Sync', () => [{ chats: {} }], 40, 500);
    await settle([ws], 20000, 30000);
    const settled = Date.now() - t0;
    await by.stop();

    const k = tally(ws);
    checkAttacker(p, `Sync flooder ${addr}`, k);
    t.diagnostic(`Sync flood: ${sent} sent, ${k.ok} answered, ${k.errors} errors (${k.rateLimited} rate limit), closed ${k.closed} after ${settled} ms`);
    await by.verify(t, p, { hwmMiB: 64, rssMiB: 64 });
    p.assertNone('H2 expectations');
  });
});
