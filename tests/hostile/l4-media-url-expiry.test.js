'use strict';
// L4: signed media URLs expire. A message's media `url` carries
// `e=<unix seconds>` inside the MAC, at most media_url_ttl ahead; changing
// `e` breaks the signature (401).

const { describe, test } = require('node:test');
const atk = require('./lib/attack');
const hub = require('../e2e/lib/hub');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');
const { postMedia } = require('./lib/media');

describe('L4 media URL expiry', () => {
  test('with media_url_ttl 60 the URL expires within 120 s and its expiry cannot be changed', async (t) => {
    const { srv, by } = await stage(t, { env: { CHATHUB_MEDIA_URL_TTL: '60' } });
    const p = new Problems();
    const v = await hub.visitorChat(srv, by.a.guid, 'a chat with an attachment', { name: 'L4 visitor' });
    by.start();
    const m = await postMedia(srv, by.a.token, v.chatId);
    const url = new URL(m.media.url, srv.base);
    const now = Math.floor(Date.now() / 1000);
    const e = Number(url.searchParams.get('e'));
    const ok = await atk.api(srv, 'GET', url.pathname + url.search);
    p.check(ok.status === 200, `the signed URL as given: HTTP ${ok.status}`);
    p.check(url.searchParams.has('e') && Number.isInteger(e) && e > now, `the media URL has no expiry e=<unix seconds in the future>: ${m.media.url}`);
    p.check(!(e > now + 120), `the media URL expires at ${e}, more than 120 s from now (${now}) with media_url_ttl 60`);
    const later = new URL(url);
    later.searchParams.set('e', String((e || now) + 3600));
    const forged = await atk.api(srv, 'GET', later.pathname + later.search);
    p.check(forged.status === 401, `the media URL with e changed to ${(e || now) + 3600}: HTTP ${forged.status}, expected 401`);
    await by.stop();
    t.diagnostic(`url ${m.media.url.replace(/sig=[^&]+/, 'sig=…')}; e - now = ${url.searchParams.has('e') ? e - now : 'none'}; forged: ${forged.status}`);
    await v.stop();
    await by.verify(t, p);
    p.assertNone('L4 expectations');
  });
});
