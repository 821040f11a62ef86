'use strict';
// L7: a channel delivery that is given up (its organization's outboundUrl was
// cleared after a failed attempt) frees its body: LeakSanitizer reports
// nothing when the server exits. Meaningful under the ASan build only; under
// the normal build there is no leak checker and the test passes vacuously.

const { describe, test } = require('node:test');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const proc = require('./lib/proc');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');
const { listen } = require('./lib/listener');
const { channelOrg, inbound } = require('./lib/channel');

const SECRET = 'l7-channel-secret-0123456789';

describe('L7 outbound delivery leak', () => {
  test('a delivery that failed once and was given up leaks nothing at exit', async (t) => {
    // the target accepts and drops every connection: the delivery fails ("read failed")
    const target = await listen({ mode: 'reset' });
    t.after(() => target.close());
    const { srv, by } = await stage(t, { env: { CHATHUB_OUTBOUND_ALLOW_PRIVATE: 'true' } });
    const p = new Problems();
    if (!proc.ASAN) t.diagnostic('normal build: no LeakSanitizer, this test is vacuous here (it means something under build-asan)');
    const org = await channelOrg(srv, by.a, 'Channel org', SECRET, { operators: 1, outboundUrl: `http://127.0.0.1:${target.port}/hook` });

    by.start();
    const inb = await inbound(srv, org.guid, { externalUserId: 'l7-user', text: 'hi', externalMessageId: 'l7-1', source: 2 }, SECRET);
    p.check(inb.status === 200, `signed inbound: HTTP ${inb.status} ${inb.body}`);
    if (inb.status === 200) await hub.postMessage(srv, org.ops[0].token, inb.json.chatId, { textMessage: 'a reply that cannot be delivered' });
    await hub.pollUntil(() => target.got.length >= 1, { ms: 10000, what: 'the first delivery attempt' }).catch((e) => p.add(e.message));
    await hub.putOrg(srv, by.a.token, org.orgId, { outboundUrl: '' });
    await h.sleep(2500); // the retry (after 1 s) finds no URL and gives the delivery up
    await by.stop();
    t.diagnostic(`delivery attempts: ${target.got.length}`);
    await by.verify(t, p);
    await by.close();

    let stopError = null;
    try { await srv.stop(); } catch (e) { stopError = e; }
    const leak = /LeakSanitizer[\s\S]{0,2000}/.exec(srv.stderr());
    p.check(!leak, () => `LeakSanitizer report at exit: ${leak[0].split('\n').slice(0, 12).join(' | ')}`);
    p.check(!stopError || leak, () => `server stop: ${stopError.message.split('\n')[0]}`);
    p.assertNone('L7 expectations');
  });
});
