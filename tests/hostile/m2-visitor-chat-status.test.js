'use strict';
// M2: `SetChatStatus` is a staff operation. A visitor calling it over the
// hub gets error completions; its chat keeps its status (and its place in
// the queue, so an operator's `TakeChat` still succeeds); the operators see
// no `ChatStatusChanged` from the visitor's calls.

const { describe, test } = require('node:test');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

const ADDR = atk.ip(2);
const TOGGLES = 200;

describe('M2 visitor SetChatStatus', () => {
  test('a visitor cannot open, close or toggle its chat; the chat stays in the queue', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    // an organization whose only operator is away: a new chat waits in its queue
    const org = await hub.addOrg(srv, by.a, 'Queue org', { operators: 1 });
    const op = await hub.connectHub(srv.base, org.ops[0].token, { label: 'queue org operator' });
    await op.invoke('SetPresence', 'away');
    const s = await atk.widgetSession(srv, org.guid, ADDR);
    const ws = await atk.rawHubFrom(srv, s.visitorToken, ADDR);
    t.after(() => ws.destroy());
    const first = await ws.invoke('first', 'SendMessage', [null, 'I need help']);
    const chatId = first.result && first.result.chatId;
    if (!chatId) throw new Error(`the visitor's first message: ${JSON.stringify(first)}`);
    const status0 = await hub.getChat(srv, by.a.token, chatId);
    p.check(status0 && status0.chatStatus === 0 && status0.operator === null, `the chat starts New and queued: ${JSON.stringify(status0)}`);
    const markOp = op.mark();
    const markCo = by.companyA.mark();

    by.start();
    const open = await ws.invoke('open', 'SetChatStatus', [chatId, 1]);
    p.check(open.error !== undefined, `visitor SetChatStatus(chat, 1) succeeded: ${JSON.stringify(open).slice(0, 200)}`);
    const opened = await hub.getChat(srv, by.a.token, chatId);
    p.check(opened && opened.chatStatus === 0 && opened.operator === null,
      `after the visitor's SetChatStatus(chat, 1) the chat is ${JSON.stringify(opened && { chatStatus: opened.chatStatus, operator: opened.operator })} over REST (expected New, unassigned)`);
    let frame = '';
    for (let i = 0; i < TOGGLES; i++) {
      frame += JSON.stringify({ type: 1, invocationId: `t${i}`, target: 'SetChatStatus', arguments: [chatId, i % 2 ? 0 : 4] }) + hub.RS;
    }
    await ws.sendText(frame);
    const deadline = Date.now() + 10000;
    const done = () => ws.messages.filter((m) => m.type === 3 && /^t\d+$/.test(m.invocationId));
    while (Date.now() < deadline && !ws.ended && done().length < TOGGLES) await h.sleep(50);
    await by.stop();

    const answers = done();
    const ok = answers.filter((m) => m.result !== undefined).length;
    p.check(ok === 0, `${ok} of the visitor's ${TOGGLES} SetChatStatus toggles succeeded`);
    t.diagnostic(`toggles: ${answers.length} answered (${ok} ok, ${answers.length - ok} errors, e.g. ${JSON.stringify((answers.find((m) => m.error) || {}).error)}); connection ended ${ws.ended}`);

    const after = await hub.getChat(srv, by.a.token, chatId);
    p.check(after && after.chatStatus === 0 && after.operator === null, `the chat's status changed: ${JSON.stringify(after && { chatStatus: after.chatStatus, operator: after.operator })}`);
    await h.sleep(200);
    const changedOp = op.all('ChatStatusChanged', (id) => id === chatId, markOp).length;
    const changedCo = by.companyA.all('ChatStatusChanged', (id) => id === chatId, markCo).length;
    p.check(changedOp === 0 && changedCo === 0, `the staff received ChatStatusChanged from the visitor's calls: operator ${changedOp}, company ${changedCo}`);
    try {
      const taken = await op.invoke('TakeChat', chatId);
      p.check(taken && taken.operator && taken.operator.id === org.ops[0].id, `TakeChat: ${JSON.stringify(taken)}`);
    } catch (e) {
      p.add(`the operator's TakeChat of the visitor's chat failed: ${e.message}`);
    }
    await op.stop();
    await by.verify(t, p);
    p.assertNone('M2 expectations');
  });
});
