'use strict';
// M9: static files cost the same whatever a client asks. They are compressed
// once, at load (net/static.c), never per request, and Accept-Encoding is read
// in one pass with no allocation per element. An anonymous attacker from
// 127.0.0.2 fetches the largest static files (the widget bundles, their
// source maps, the OpenAPI document, Swagger UI's bundle with the gzip and
// brotli variants the build compressed), 8 at a time for 3 s, with Accept-Encoding
// values built to be costly (thousands of elements, endless parameters,
// 7,000-digit q-values, a header past the server's header limit) and plain
// browser ones. Every answer is the file in the coding the header asks for and
// decompresses to the file (the oversized header is refused); memory stays
// flat; the bystanders keep being served.

const { describe, test } = require('node:test');
const zlib = require('node:zlib');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

const PARALLEL = 8;
const SECONDS = 3;
const FILES = ['/operator-chat-panel/widget-script.js.map', '/chat-widget/widget-script.js.map',
  '/operator-chat-panel/widget-script.js', '/chat-widget/widget-script.js', '/openapi.json',
  '/swagger/swagger-ui-bundle.js'];
// [Accept-Encoding, the coding it must get (null: refused, the header is over the server's limit)]
const HEADERS = [
  ['gzip, deflate, br', 'br'],
  [`${'br;q=0, '.repeat(900)}gzip`, 'gzip'],
  [`gzip;${'a=b;'.repeat(1700)}q=0.5`, 'gzip'],
  [';'.repeat(7000), 'identity'],
  ['x,'.repeat(3500), 'identity'],
  [`br;q=0.${'9'.repeat(7000)}, gzip;q=0.1`, 'gzip'],
  ['*;q=0.000, identity;q=0', 'identity'],
  [`${'deflate;q=0.5 ; level=9 , '.repeat(250)}br;q=0.001`, 'br'],
  ['br'.repeat(6000), null],
];

function decode(r) {
  const body = Buffer.from(r.body, 'latin1');
  const enc = r.headers['content-encoding'] || 'identity';
  if (enc === 'br') return zlib.brotliDecompressSync(body);
  if (enc === 'gzip') return zlib.gunzipSync(body);
  return body;
}

describe('M9 static negotiation', () => {
  test('8 anonymous downloads at a time for 3 s with costly Accept-Encoding headers: right bytes, flat memory', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    const want = new Map();
    for (const f of FILES) {
      const r = await atk.request(srv.port, { method: 'GET', path: f, localAddress: atk.ip(3) });
      p.check(r.status === 200, `GET ${f}: HTTP ${r.status}`);
      want.set(f, Buffer.from(r.body, 'latin1'));
    }

    by.start();
    const end = Date.now() + SECONDS * 1000;
    const seen = { ok: 0, refused: 0, wrong: [] };
    const ms = [];
    let n = 0;
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (Date.now() < end) {
        const i = n++;
        const f = FILES[i % FILES.length];
        const [ae, coding] = HEADERS[i % HEADERS.length];
        const r = await atk.request(srv.port, { method: 'GET', path: f, headers: { 'Accept-Encoding': ae },
          localAddress: atk.ip(2), timeoutMs: 15000 });
        ms.push(r.ms);
        if (coding === null) {
          if (r.status === 200) seen.wrong.push(`${f} with a ${ae.length}-byte header: 200 (over the header limit)`);
          else seen.refused++;
          continue;
        }
        let same = false;
        try { same = decode(r).equals(want.get(f)); } catch { /* a corrupt body */ }
        const got = r.headers['content-encoding'] || 'identity';
        if (r.status === 200 && got === coding && same) seen.ok++;
        else seen.wrong.push(`${f} with Accept-Encoding ${ae.slice(0, 40)}… (${ae.length} bytes): HTTP ${r.status} ${got}${same ? '' : ', body differs'}${r.error ? ` (${r.error})` : ''}`);
      }
    }));
    await by.stop();

    t.diagnostic(`${n} downloads: ${seen.ok} right, ${seen.refused} oversized headers refused, ${seen.wrong.length} wrong; `
      + `latency max ${Math.max(...ms)} ms`);
    p.check(seen.wrong.length === 0, () => `${seen.wrong.length} wrong answers, e.g. ${seen.wrong.slice(0, 3).join(' | ')}`);
    p.check(seen.ok > HEADERS.length * 2, `only ${seen.ok} downloads completed`);
    await by.verify(t, p, { hwmMiB: 16, rssMiB: 16 });
    p.assertNone('M9 expectations');
  });
});
