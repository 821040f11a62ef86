'use strict';
// L3: media is served with its uploader's content type only for an
// allow-list of inert types (images, audio, video, PDF); anything else —
// scripts, HTML, SVG — comes back as `application/octet-stream` with
// `Content-Disposition: attachment`, on the signed URL and on the token route.

const { describe, test } = require('node:test');
const atk = require('./lib/attack');
const hub = require('../e2e/lib/hub');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');
const { postMedia, PNG } = require('./lib/media');

const ACTIVE = [
  { name: 'x.js', format: 'application/javascript', data: 'alert(document.domain)', type: 4 },
  { name: 'x.html', format: 'text/html', data: '<script>alert(document.domain)</script>', type: 4 },
  { name: 'x.svg', format: 'image/svg+xml', data: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', type: 1 },
];

describe('L3 media content type', () => {
  test('script, HTML and SVG uploads are served as attachments of type application/octet-stream; PNG as image/png', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    const v = await hub.visitorChat(srv, by.a.guid, 'a chat with attachments', { name: 'L3 visitor' });
    by.start();
    const seen = [];
    const served = async (m) => [
      ['signed URL', await atk.api(srv, 'GET', m.media.url)],
      ['token route', await atk.api(srv, 'GET', `/api/media/${m.media.id}`, { token: by.a.token })],
    ];
    for (const f of ACTIVE) {
      const m = await postMedia(srv, by.a.token, v.chatId, f);
      for (const [route, r] of await served(m)) {
        const ct = r.headers['content-type'] || '';
        const cd = r.headers['content-disposition'] || '';
        seen.push(`${f.format} (${route}) → ${r.status} ${ct}${cd ? `; ${cd}` : ''}`);
        p.check(r.status === 200 && /^application\/octet-stream\b/i.test(ct), `${f.format} via the ${route}: Content-Type "${ct}" (HTTP ${r.status}), expected application/octet-stream`);
        p.check(/^attachment\b/i.test(cd), `${f.format} via the ${route}: Content-Disposition "${cd}", expected attachment`);
      }
    }
    const png = await postMedia(srv, by.a.token, v.chatId, { name: 'p.png', format: 'image/png', data: PNG, type: 1 });
    for (const [route, r] of await served(png)) {
      const ct = r.headers['content-type'] || '';
      const cd = r.headers['content-disposition'] || '';
      seen.push(`image/png (${route}) → ${r.status} ${ct}${cd ? `; ${cd}` : ''}`);
      p.check(r.status === 200 && /^image\/png\b/i.test(ct), `image/png via the ${route}: Content-Type "${ct}" (HTTP ${r.status})`);
      p.check(!/^attachment\b/i.test(cd), `image/png via the ${route}: Content-Disposition "${cd}" (expected inline)`);
    }
    await by.stop();
    t.diagnostic(seen.join('; '));
    await v.stop();
    await by.verify(t, p);
    p.assertNone('L3 expectations');
  });
});
