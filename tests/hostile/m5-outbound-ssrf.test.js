'use strict';
// M5: a tenant's `outboundUrl` cannot reach the server's own network.
// Loopback, private, link-local (metadata) literal addresses are refused
// when set (400 1003); a host name that resolves to such an address is
// accepted when set but never connected to (outbound_allow_private false):
// an operator reply in a channel chat never reaches the local listener.

const { describe, test } = require('node:test');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');
const { listen } = require('./lib/listener');
const { channelOrg, inbound } = require('./lib/channel');

const SECRET = 'm5-channel-secret-0123456789';

describe('M5 outbound SSRF', () => {
  test('private outbound URLs are refused; a name resolving to loopback is never connected to', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    const target = await listen();
    t.after(() => target.close());
    const org = await channelOrg(srv, by.a, 'Channel org', SECRET, { operators: 1 });
    const put = (outboundUrl) => atk.api(srv, 'PUT', `/api/company/organization/${org.orgId}`, { token: by.a.token, body: { outboundUrl } });

    by.start();
    for (const url of [`http://127.0.0.1:${target.port}/x`, 'http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data']) {
      const r = await put(url);
      p.check(r.status === 400 && r.json && r.json.code === 1003, `outboundUrl ${url}: expected 400 (1003), got ${atk.describe(r)}`);
    }
    const named = await put(`http://localhost:${target.port}/hook`);
    p.check(named.status === 200, `outboundUrl http://localhost:${target.port}/hook: expected 200, got ${atk.describe(named)}`);
    const inb = await inbound(srv, org.guid, { externalUserId: 'm5-user', text: 'hi', externalMessageId: 'm5-1', source: 2 }, SECRET);
    if (!p.check(inb.status === 200 && inb.json, `signed inbound: ${atk.describe(inb)}`)) p.assertNone('M5 expectations');
    await hub.postMessage(srv, org.ops[0].token, inb.json.chatId, { textMessage: 'operator reply' });
    await h.sleep(3000);
    await by.stop();

    p.check(target.got.length === 0, () => `the local listener received ${target.got.length} request(s) from the server: ${target.got.map((g) => `${g.method} ${g.url}`).join(', ')}`);
    t.diagnostic(`listener received ${target.got.length} request(s)`);
    await by.verify(t, p);
    p.assertNone('M5 expectations');
  });
});
