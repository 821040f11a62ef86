'use strict';
// Acceptance 5: WebSocket and SignalR framing on raw sockets (node:net,
// hand-built frames). Bad upgrades, protocol violations (unmasked frames,
// invalid UTF-8, oversize messages, garbage JSON) end that connection with
// the right close code; fragmentation, interleaved pings, several messages
// per frame and messages split over frames work. Another client is served
// throughout.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const { OP, RS } = hub;
const SYNC = (id) => JSON.stringify({ type: 1, invocationId: String(id), target: 'Sync', arguments: [{ chats: {} }] }) + RS;

describe('conformance', () => {
  let srv;
  let fx;
  let keeper;    // an official client that must keep working
  let token;

  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    fx = await hub.makeOrgFixture(srv, 'confco', { operators: 2 });
    token = fx.ops[0].token;
    keeper = await hub.connectHub(srv.base, fx.ops[1].token, { label: 'keeper' });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
  });

  // The server still serves the other connection, the API and new connections.
  async function stillServing(what) {
    assert.equal(keeper.state, hub.signalR.HubConnectionState.Connected, `keeper still connected after ${what}`);
    const s = await keeper.invoke('Sync', { chats: {} });
    assert.ok(Array.isArray(s.chats), `keeper Sync after ${what}`);
    assert.equal((await h.api(srv.base, 'GET', '/healthz')).status, 200, `healthz after ${what}`);
  }

  // an upgrade request with a valid token (header), so only the upgrade itself can be wrong
  const upgrade = (opts = {}) => hub.rawUpgrade(srv.port, '/chathub',
    { ...opts, headers: { Authorization: `Bearer ${token}`, ...(opts.headers || {}) } });

  // The server closes with `code` (with allowDrop, dropping the TCP connection
  // without a close frame is accepted too: RFC 6455 only says it SHOULD send one).
  async function closeProblem(ws, code, what, { allowDrop = false } = {}) {
    const c = await ws.waitClose(3000);
    if (!c.closeFrame && !c.ended) return `${what}: the connection stays open`;
    if (!(allowDrop && !c.closeFrame) && c.code !== code) return `${what}: close code ${c.code === null ? 'none' : c.code}, expected ${code}`;
    // A server that sent its close frame may wait a while for the client's
    // close before ending TCP (RFC 6455 7.1.1); this client never answers, so
    // allow lws its close-acknowledgement timeout (5 s) and some slack.
    if (!(await ws.waitEnd(10000))) return `${what}: close frame sent but the TCP connection does not end`;
    return null;
  }
  async function expectClose(ws, code, what, opts) {
    const p = await closeProblem(ws, code, what, opts);
    ws.destroy();
    assert.equal(p, null, p);
  }

  test('bad upgrades answer 4xx (no 101)', async () => {
    const cases = [
      ['missing Sec-WebSocket-Key', { omit: ['Sec-WebSocket-Key'] }],
      ['Sec-WebSocket-Version 8', { version: '8' }],
      ['missing Sec-WebSocket-Version', { omit: ['Sec-WebSocket-Version'] }],
      ['missing Upgrade', { omit: ['Upgrade'], headers: { Connection: 'keep-alive' } }],
    ];
    const wrong = [];
    for (const [what, opts] of cases) {
      const r = await upgrade(opts);
      if (!(r.status >= 400 && r.status < 500)) wrong.push(`${what}: expected 4xx, got ${r.status || 'no answer'} ${r.head.split('\r\n')[0]}`);
      if (r.ws) r.ws.destroy();
      await stillServing(what);
    }
    assert.deepEqual(wrong, [], wrong.join('\n'));
    // and a correct one is accepted with the right Sec-WebSocket-Accept
    const ok = await upgrade();
    assert.equal(ok.status, 101, ok.head);
    assert.equal(ok.headers['sec-websocket-accept'], hub.wsAccept(ok.key));
    assert.match(ok.headers.upgrade || '', /websocket/i);
    ok.ws.destroy();
  });

  test('ping → pong with the same payload, before and after the SignalR handshake', async () => {
    const ws = await hub.rawHub(srv.port, token, { handshake: false });
    await ws.send(OP.PING, 'before-hs');
    assert.equal((await ws.controlFrame(OP.PONG)).payload.toString(), 'before-hs');
    await ws.handshake();
    assert.deepEqual(await ws.nextMessage(() => true), {});
    const bin = Buffer.from([0, 1, 2, 250, 251, 252, 253]);
    await ws.send(OP.PING, bin);
    assert.deepEqual((await ws.controlFrame(OP.PONG)).payload, bin);
    await ws.send(OP.PING, '');
    assert.equal((await ws.controlFrame(OP.PONG)).payload.length, 0);
    const c = await ws.invoke(1, 'Sync', [{ chats: {} }]);
    assert.ok(c.result && Array.isArray(c.result.chats), JSON.stringify(c));
    // a polite close is echoed
    await ws.send(OP.CLOSE, Buffer.from([0x03, 0xe8]));
    const cl = await ws.waitClose(5000);
    assert.ok(cl.closeFrame, 'the server answers a close frame');
    assert.ok(await ws.waitEnd(5000));
    await stillServing('ping/pong');
  });

  test('an unmasked client frame: close 1002', async () => {
    const ws = await hub.rawHub(srv.port, token);
    await ws.write(hub.wsFrame(OP.TEXT, SYNC(1), { mask: false }));
    await expectClose(ws, 1002, 'unmasked frame');
    await stillServing('unmasked frame');
  });

  test('other framing violations: close 1002', async () => {
    const cases = [
      ['RSV1 set without an extension', (ws) => ws.write(hub.wsFrame(OP.TEXT, SYNC(1), { rsv: 4 }))],
      ['continuation without a start', (ws) => ws.write(hub.wsFrame(OP.CONT, SYNC(1)))],
      ['a fragmented ping', (ws) => ws.write(hub.wsFrame(OP.PING, 'abc', { fin: false }))],
      ['a ping of 126 bytes', (ws) => ws.write(hub.wsFrame(OP.PING, Buffer.alloc(126, 97)))],
      ['unknown opcode 3', (ws) => ws.write(hub.wsFrame(3, 'x'))],
      ['a new text frame inside a fragmented message', async (ws) => {
        await ws.write(hub.wsFrame(OP.TEXT, '{"type":1,', { fin: false }));
        await ws.write(hub.wsFrame(OP.TEXT, '"x":1}' + RS));
      }],
    ];
    const wrong = [];
    for (const [what, send] of cases) {
      const ws = await hub.rawHub(srv.port, token);
      await send(ws);
      const p = await closeProblem(ws, 1002, what, { allowDrop: true });
      ws.destroy();
      if (p) wrong.push(p);
      await stillServing(what);
    }
    assert.deepEqual(wrong, [], wrong.join('\n'));
  });

  test('invalid UTF-8 in a text frame: close 1007', async () => {
    const ws = await hub.rawHub(srv.port, token);
    const bad = Buffer.concat([Buffer.from('{"type":1,"invocationId":"1","target":"Sync","arguments":[{"chats":{"'),
      Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('":0}}]}' + RS)]);
    await ws.send(OP.TEXT, bad);
    await expectClose(ws, 1007, 'invalid UTF-8');
    await stillServing('invalid UTF-8');
    // also when the bad sequence is split over fragments
    const ws2 = await hub.rawHub(srv.port, token);
    await ws2.write(hub.wsFrame(OP.TEXT, Buffer.from([0x7b, 0x22, 0xed]), { fin: false })); // starts a surrogate encoding
    await ws2.write(hub.wsFrame(OP.CONT, Buffer.from([0xa0, 0x80, 0x22, 0x7d, 0x1e])));
    await expectClose(ws2, 1007, 'invalid UTF-8 across fragments');
    await stillServing('invalid UTF-8 across fragments');
  });

  test('a message over 64 KiB: close 1009; a large one under the limit is fine', async () => {
    const ws = await hub.rawHub(srv.port, token);
    const big = JSON.stringify({ type: 1, invocationId: '1', target: 'Sync', arguments: [{ chats: {}, pad: 'x'.repeat(70 * 1024) }] }) + RS;
    await ws.send(OP.TEXT, big);
    await expectClose(ws, 1009, 'single 70 KiB frame');
    await stillServing('oversize message');

    const ws2 = await hub.rawHub(srv.port, token);
    await ws2.write(hub.wsFrame(OP.TEXT, 'x'.repeat(40 * 1024), { fin: false }));
    await ws2.write(hub.wsFrame(OP.CONT, 'x'.repeat(40 * 1024)));
    await expectClose(ws2, 1009, 'fragmented 80 KiB message');
    await stillServing('oversize fragmented message');

    // 60 KiB: answered (with a result or an error), the connection stays
    const ws3 = await hub.rawHub(srv.port, token);
    const ok = JSON.stringify({ type: 1, invocationId: '9', target: 'SendMessage', arguments: [99999999, 'y'.repeat(60 * 1024)] }) + RS;
    await ws3.send(OP.TEXT, ok);
    const c = await ws3.completion('9');
    assert.equal(c.type, 3);
    assert.ok(c.error, `an invalid SendMessage gets an error completion: ${JSON.stringify(c).slice(0, 200)}`);
    const c2 = await ws3.invoke(10, 'Sync', [{ chats: {} }]);
    assert.ok(c2.result, 'still usable');
    ws3.destroy();
  });

  test('unparsable JSON or a non-object message: a close message with an error, then the connection ends', async () => {
    const wrong = [];
    for (const bad of ['{"type":1,"invocationId":"1","target":"Sync","arguments":[' + RS, 'not json at all' + RS, '[1,2,3]' + RS]) {
      const ws = await hub.rawHub(srv.port, token);
      await ws.sendText(bad);
      const m = await ws.nextMessage((x) => x.type === 7, 5000);
      assert.equal(typeof m.error, 'string', JSON.stringify(m));
      assert.ok(m.error.length > 0);
      if (!(await ws.waitEnd(3000))) wrong.push(`after ${JSON.stringify(bad)}: ${JSON.stringify(m)} sent but the connection stays open`);
      ws.destroy();
      await stillServing(`garbage ${bad}`);
    }
    assert.deepEqual(wrong, [], wrong.join('\n'));
  });

  test('a fragmented handshake with a ping in between, then a fragmented invocation', async () => {
    const ws = await hub.rawHub(srv.port, token, { handshake: false });
    await ws.write(hub.wsFrame(OP.TEXT, '{"protocol":', { fin: false }));
    await h.sleep(30);
    await ws.write(hub.wsFrame(OP.PING, 'mid'));
    await h.sleep(30);
    await ws.write(hub.wsFrame(OP.CONT, '"json","vers', { fin: false }));
    await h.sleep(30);
    await ws.write(hub.wsFrame(OP.CONT, `ion":1}${RS}`));
    assert.equal((await ws.controlFrame(OP.PONG)).payload.toString(), 'mid');
    assert.deepEqual(await ws.nextMessage(() => true), {});
    // an invocation in three fragments, a ping between
    const inv = SYNC(2);
    await ws.write(hub.wsFrame(OP.TEXT, inv.slice(0, 10), { fin: false }));
    await ws.write(hub.wsFrame(OP.PING, 'p2'));
    await ws.write(hub.wsFrame(OP.CONT, inv.slice(10, 30), { fin: false }));
    await ws.write(hub.wsFrame(OP.CONT, inv.slice(30)));
    assert.equal((await ws.controlFrame(OP.PONG)).payload.toString(), 'p2');
    const c = await ws.completion('2');
    assert.ok(c.result && Array.isArray(c.result.chats), JSON.stringify(c));
    // a multi-byte character split between fragments is fine
    const txt = JSON.stringify({ type: 1, invocationId: '3', target: 'GetMessages', arguments: [99999999, null, 10], note: 'Zürich' }) + RS;
    const bytes = Buffer.from(txt);
    const cut = bytes.indexOf(Buffer.from('ü')) + 1;
    await ws.write(hub.wsFrame(OP.TEXT, bytes.subarray(0, cut), { fin: false }));
    await ws.write(hub.wsFrame(OP.CONT, bytes.subarray(cut)));
    const c3 = await ws.completion('3');
    assert.equal(c3.type, 3);
    ws.destroy();
    await stillServing('fragmented handshake');
  });

  test('several SignalR messages in one frame, and one message split over frames', async () => {
    const ws = await hub.rawHub(srv.port, token, { handshake: false });
    // the handshake and an invocation in the same frame
    await ws.sendText(`{"protocol":"json","version":1}${RS}${SYNC(1)}`);
    assert.deepEqual(await ws.nextMessage(() => true), {});
    assert.ok((await ws.completion('1')).result);
    // three invocations and a ping message in one frame
    await ws.sendText(SYNC(2) + '{"type":6}' + RS + SYNC(3) + SYNC(4));
    for (const id of ['2', '3', '4']) assert.ok((await ws.completion(id)).result, `completion ${id}`);
    // one message over three separate (whole) text frames
    const inv = SYNC(5);
    await ws.sendText(inv.slice(0, 7));
    await h.sleep(20);
    await ws.sendText(inv.slice(7, 40));
    await h.sleep(20);
    await ws.sendText(inv.slice(40));
    assert.ok((await ws.completion('5')).result, 'completion 5');
    // the end of one message and the start of the next in one frame
    const a = SYNC(6);
    const b = SYNC(7);
    await ws.sendText(a.slice(0, 20));
    await ws.sendText(a.slice(20) + b.slice(0, 15));
    await ws.sendText(b.slice(15));
    assert.ok((await ws.completion('6')).result, 'completion 6');
    assert.ok((await ws.completion('7')).result, 'completion 7');
    // non-blocking invocation (no invocationId): no completion, still fine
    await ws.sendText(JSON.stringify({ type: 1, target: 'Typing', arguments: [99999999] }) + RS + SYNC(8));
    assert.ok((await ws.completion('8')).result);
    ws.destroy();
    await stillServing('batched and split messages');
  });

  test('keep-alive: the server sends {"type":6} within 20 s', async () => {
    const ws = await hub.rawHub(srv.port, token);
    const ping = await ws.nextMessage((m) => m.type === 6, 20000);
    assert.deepEqual(ping, { type: 6 });
    ws.destroy();
    await stillServing('keep-alive');
  });
});
