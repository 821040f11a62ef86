'use strict';
// M6: a widget route (`/api/widget/{guid}/…`) is judged against the
// allow-list of the guid's organization only — another organization's empty
// list (another tenant's default) grants nothing to it. Routes that belong to
// no organization (`/healthz`, `/metrics`, a signed media URL, channel
// inbound) send no CORS grant at all.

const { describe, test } = require('node:test');
const hub = require('../e2e/lib/hub');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');
const { postMedia } = require('./lib/media');

const SHOP = 'https://shop.example';
const EVIL = 'https://evil.example';

describe('M6 CORS bypass', () => {
  test('org A\'s allow-list protects its widget routes although org B allows every origin', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    await hub.putOrg(srv, by.a.token, by.a.orgId, { allowedOrigins: [SHOP] });
    // company B's organization keeps the default empty list
    const v = await hub.visitorChat(srv, by.a.guid, 'a chat with an attachment', { name: 'M6 visitor' });
    const m = await postMedia(srv, by.a.token, v.chatId);
    const guid = by.a.guid;
    const widget = (origin) => [
      ['GET config', () => atk.api(srv, 'GET', `/api/widget/${guid}/config`, { headers: { Origin: origin } })],
      ['POST session', () => atk.api(srv, 'POST', `/api/widget/${guid}/session`, { body: {}, headers: { Origin: origin } })],
      ['OPTIONS session', () => atk.api(srv, 'OPTIONS', `/api/widget/${guid}/session`, {
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } })],
    ];
    const unowned = [
      ['GET /healthz', () => atk.api(srv, 'GET', '/healthz', { headers: { Origin: EVIL } })],
      ['GET /metrics', () => atk.api(srv, 'GET', '/metrics', { headers: { Origin: EVIL } })],
      ['GET signed media URL', () => atk.api(srv, 'GET', m.media.url, { headers: { Origin: EVIL } })],
      ['POST channel inbound', () => atk.api(srv, 'POST', `/api/channel/${guid}/inbound`, { body: { externalUserId: 'x', text: 'x', externalMessageId: 'x' }, headers: { Origin: EVIL } })],
    ];

    by.start();
    const seen = [];
    for (const [what, call] of widget(EVIL)) {
      const r = await call();
      const acao = r.headers['access-control-allow-origin'];
      seen.push(`${what} evil → ${r.status} ACAO ${acao || '-'}`);
      p.check(!acao, `${what} with Origin ${EVIL}: Access-Control-Allow-Origin ${acao} (HTTP ${r.status})`);
    }
    for (const [what, call] of widget(SHOP)) {
      const r = await call();
      const acao = r.headers['access-control-allow-origin'];
      seen.push(`${what} shop → ${r.status} ACAO ${acao || '-'}`);
      p.check(acao === SHOP, `${what} with Origin ${SHOP}: Access-Control-Allow-Origin ${acao} (HTTP ${r.status}), expected ${SHOP}`);
    }
    for (const [what, call] of unowned) {
      const r = await call();
      const acao = r.headers['access-control-allow-origin'];
      seen.push(`${what} → ${r.status} ACAO ${acao || '-'}`);
      p.check(!acao, `${what} with Origin ${EVIL}: Access-Control-Allow-Origin ${acao} (HTTP ${r.status})`);
    }
    await by.stop();
    t.diagnostic(seen.join('; '));
    await v.stop();
    await by.verify(t, p);
    p.assertNone('M6 expectations');
  });
});
