'use strict';
// GET /api/media/{id} under hostile use: a token is checked like on every
// other route (revoked → 2003, expired → 2002, X-Authorization-Key with or
// without "Bearer "); only image/audio/video/PDF types are served as
// themselves, everything else is an attachment; signed URLs expire
// (media_url_ttl) and a URL with an altered `e` is refused.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');
const { fetch } = h; // plain fetch, its responses checked against web/openapi.json like h.api's
const hub = require('./lib/hub');

const TTL = 60;
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const CSP = "default-src 'none'; sandbox";

describe('media download', () => {
  let srv;
  let A;      // company with one org and two operators
  let chatId;
  let pic;    // a PNG message in chatId

  before(async () => {
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_MEDIA_URL_TTL: String(TTL) } });
    A = await hub.makeOrgFixture(srv, 'mediaco', { operators: 2 });
    const v = await hub.visitorChat(srv, A.guid, 'Hello, a picture follows');
    chatId = v.chatId;
    pic = await hub.postMessage(srv, A.token, chatId,
      { textMessage: 'dot', media: { name: 'dot.png', format: 'image/png', dataBase64: PNG_B64, type: 1 } });
  });
  after(async () => { await hub.closeAllClients(); if (srv) await srv.stop(); });

  const get = (p, headers = {}) => h.api(srv.base, 'GET', p, { headers });
  const bearer = (t) => ({ Authorization: `Bearer ${t}` });

  // The server's token key (jwt_secret, or the data dir's jwt-secret) signs a URL as the server does.
  function sign(company, mediaId, e) {
    const key = srv.tokenKey();
    const sig = crypto.createHmac('sha256', key).update(`media:${company}:${mediaId}:${e}`).digest('hex').slice(0, 32);
    return `/api/media/${mediaId}?c=${company}&e=${e}&sig=${sig}`;
  }

  test('token forms: Authorization Bearer, X-Authorization-Key with and without Bearer, access_token', async () => {
    const p = `/api/media/${pic.media.id}`;
    const png = Buffer.from(PNG_B64, 'base64');
    for (const [what, headers, q] of [
      ['Authorization: Bearer', bearer(A.token), ''],
      ['X-Authorization-Key', { 'X-Authorization-Key': A.token }, ''],
      ['X-Authorization-Key: Bearer', { 'X-Authorization-Key': `Bearer ${A.token}` }, ''],
      ['operator, X-Authorization-Key: Bearer', { 'X-Authorization-Key': `Bearer ${A.ops[0].token}` }, ''],
      ['access_token', {}, `?access_token=${A.ops[0].token}`],
    ]) {
      const r = await fetch(srv.base + p + q, { headers });
      assert.equal(r.status, 200, `${what}: ${r.status}`);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), png, what);
    }
    h.assertError(await get(p), 401, 2001);
    h.assertError(await get(p, bearer('not.a.token')), 401, 2001);
    h.assertError(await get(p, { 'X-Authorization-Key': 'Bearer garbage' }), 401, 2001);
  });

  test('a revoked (Inactive, Deleted) operator token gets 401 2003 on media, like on every route', async () => {
    const p = `/api/media/${pic.media.id}`;
    const [bob, carl] = A.ops;
    h.assertOk(await get(p, bearer(bob.token)));
    h.assertOk(await get(p, bearer(carl.token)));
    await h.setStatus(srv, A.token, bob.id, 1);  // Inactive
    await h.setStatus(srv, A.token, carl.id, 2); // Deleted
    for (const t of [bob.token, carl.token]) {
      h.assertError(await h.api(srv.base, 'GET', '/api/operator/colleagues', { token: t }), 401, 2003);
      const r = await get(p, bearer(t));
      h.assertError(r, 401, 2003);
      assert.doesNotMatch(r.text, /PNG/, 'no bytes');
      h.assertError(await get(p, { 'X-Authorization-Key': `Bearer ${t}` }), 401, 2003);
      h.assertError(await get(`${p}?access_token=${t}`), 401, 2003);
    }
    // the signed URL of the message stays a capability of its own
    h.assertOk(await get(pic.media.url));
  });

  test('an expired token gets 401 2002', async () => {
    const fresh = await hub.addOrg(srv, A.company, 'Short-lived org', { operators: 1 });
    const t = await h.operatorToken(srv, A.token, fresh.ops[0].id, h.isoIn(1500));
    const v = await h.validate(srv, A.token, t);
    const m = await hub.postMessage(srv, A.token, (await hub.visitorChat(srv, fresh.guid, 'hi')).chatId,
      { textMessage: 'x', media: { name: 'a.png', format: 'png', dataBase64: PNG_B64, type: 1 } });
    h.assertOk(await get(`/api/media/${m.media.id}`, bearer(t)));
    await h.sleepUntil(Date.parse(v.expiresAt) + 1200);
    h.assertError(await get(`/api/media/${m.media.id}`, bearer(t)), 401, 2002);
    h.assertError(await get(`/api/media/${m.media.id}`, { 'X-Authorization-Key': t }), 401, 2002);
  });

  test('content types: images, audio, video and PDF as themselves; anything else as an attachment', async () => {
    const data = Buffer.from('<html><script>alert(1)</script></html>').toString('base64');
    const cases = [
      ['image/png', 'image/png'], ['image/jpeg', 'image/jpeg'], ['image/gif', 'image/gif'],
      ['image/webp', 'image/webp'], ['audio/mpeg', 'audio/mpeg'], ['audio/ogg', 'audio/ogg'],
      ['audio/wav', 'audio/wav'], ['audio/webm', 'audio/webm'], ['audio/mp4', 'audio/mp4'],
      ['audio/aac', 'audio/aac'], ['video/mp4', 'video/mp4'], ['video/webm', 'video/webm'],
      ['video/ogg', 'video/ogg'], ['application/pdf', 'application/pdf'],
      ['IMAGE/PNG', 'image/png'], ['png', 'image/png'], ['JPG', 'image/jpeg'], ['.pdf', 'application/pdf'],
      ['mp3', 'audio/mpeg'], ['webm', 'video/webm'], ['audio/webm;codecs=opus', 'audio/webm'],
      ['text/html', null], ['TEXT/HTML', null], ['image/svg+xml', null], ['svg', null],
      ['application/javascript', null], ['text/javascript', null], ['js', null], ['text/plain', null],
      ['txt', null], ['application/xhtml+xml', null], ['application/x-unknown', null], ['exe', null],
    ];
    const problems = [];
    for (const [format, want] of cases) {
      const name = `évil page ${format.replace(/\W/g, '_')}.html`;
      const m = await hub.postMessage(srv, A.token, chatId,
        { textMessage: '', media: { name, format, dataBase64: data, type: 4 } });
      for (const [how, p, headers] of [['token', `/api/media/${m.media.id}`, bearer(A.token)],
        ['signed URL', m.media.url, {}]]) {
        const r = await get(p, headers);
        const ct = r.headers.get('content-type');
        const cd = r.headers.get('content-disposition');
        const tag = `${format} (${how})`;
        if (r.status !== 200) { problems.push(`${tag}: HTTP ${r.status}`); continue; }
        if (r.headers.get('content-security-policy') !== CSP) problems.push(`${tag}: CSP ${r.headers.get('content-security-policy')}`);
        if (r.headers.get('x-content-type-options') !== 'nosniff') problems.push(`${tag}: no nosniff`);
        if (want) {
          if (ct !== want) problems.push(`${tag}: Content-Type ${ct}, want ${want}`);
          if (cd) problems.push(`${tag}: Content-Disposition ${cd}`);
        } else {
          if (ct !== 'application/octet-stream') problems.push(`${tag}: Content-Type ${ct}, want application/octet-stream`);
          const enc = encodeURIComponent(name).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
          if (cd !== `attachment; filename*=UTF-8''${enc}`) problems.push(`${tag}: Content-Disposition ${cd}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test('errors of the media route carry the CSP too', async () => {
    const r = await get(`/api/media/${pic.media.id}`);
    h.assertError(r, 401, 2001, 'signed URL');
    assert.equal(r.headers.get('content-security-policy'), CSP);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  });

  test('signed URLs: e in the future (ttl..2×ttl), re-signed in history; altered e → 2001, past e → 2002', async () => {
    const u = new URL(pic.media.url, srv.base);
    assert.deepEqual([...u.searchParams.keys()].sort(), ['c', 'e', 'sig']);
    const now = Math.floor(Date.now() / 1000);
    const e = Number(u.searchParams.get('e'));
    assert.ok(Number.isInteger(e) && e % TTL === 0, `e is a multiple of the ttl: ${e}`);
    assert.ok(e - now > TTL - 5 && e - now <= 2 * TTL + 5, `e - now = ${e - now}, ttl ${TTL}`);
    // the history re-signs: a URL of now, for the same media
    const listed = (await hub.allMessages(srv, A.token, chatId)).find((x) => x.id === pic.id);
    const lu = new URL(listed.media.url, srv.base);
    assert.ok(Number(lu.searchParams.get('e')) >= e, 'listed URL expires no earlier');
    h.assertOk(await get(listed.media.url));
    // the test signs like the server: a self-made URL with a future e works...
    const company = Number(u.searchParams.get('c'));
    h.assertOk(await get(sign(company, pic.media.id, e + 10 * TTL)));
    // ... one with e in the past is expired, with a sentence saying what to do
    const late = await get(sign(company, pic.media.id, now - 5));
    h.assertError(late, 401, 2002);
    assert.match(late.json.message, /expired/i);
    assert.match(late.json.message, /reload/i);
    assert.equal(late.headers.get('content-security-policy'), CSP);
    // ... but a valid token still opens it
    const both = await fetch(srv.base + sign(company, pic.media.id, now - 5), { headers: bearer(A.token) });
    assert.equal(both.status, 200);
    // altered e (later, earlier), altered company, another media id, no sig: not ours
    const alter = (k, v) => { const x = new URL(u); x.searchParams.set(k, v); return x.pathname + x.search; };
    for (const p of [alter('e', String(e + TTL)), alter('e', String(now - 5)), alter('e', `0${e}`), alter('e', ''),
      alter('c', String(company + 1)), alter('sig', '0'.repeat(32)),
      `/api/media/${pic.media.id}?c=${company}&e=${e}`, `/api/media/${pic.media.id}?c=${company}&sig=${u.searchParams.get('sig')}`]) {
      const r = await get(p);
      h.assertError(r, 401, 2001);
      assert.doesNotMatch(r.json.message, /expired/i, p);
    }
    // the same signature on another media id of the company: not found or refused, never its bytes
    const other = await hub.postMessage(srv, A.token, chatId,
      { textMessage: '', media: { name: 'b.png', format: 'png', dataBase64: PNG_B64, type: 1 } });
    const swapped = `/api/media/${other.media.id}${u.search}`;
    h.assertError(await get(swapped), 401, 2001);
  });
});
