'use strict';
// Static files as a CDN serves them (net/static.c): every compressible file in
// a brotli and a gzip variant compressed once at load, chosen by the request's
// Accept-Encoding (q-values, q=0 refuses), each variant decompressing to the
// file itself, with Content-Encoding, Vary: Accept-Encoding and an ETag of its
// own (304 and HEAD per variant). The widget bundles of the build (next to the
// binary, build/web/) are served at the widgets' public URLs with their source
// maps, and the sources when the bundles are missing.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');
const h = require('./lib/harness');

const WEB = path.join(h.REPO, 'web');
const BUNDLES = path.join(path.dirname(h.BIN), 'web');
const WIDGETS = ['/operator-chat-panel/widget-script.js', '/chat-widget/widget-script.js'];
const COMPRESSIBLE = /\.(html|js|mjs|css|json|svg|map|txt|ico)$/;

/** GET/HEAD with raw bytes back (no decoding): {status, headers, body: Buffer}. */
function get(srv, p, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${srv.base}${p}`, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every regular file under dir (symbolic links followed) as URL path → absolute file path. In
 * the bundle directory X.gz and X.br beside a file X are its variants, compressed by the build
 * (scripts/vendor.js), not files of their own. */
function files(dir, prefix = '', { variants = false } = {}) {
  const out = new Map();
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const p = path.join(dir, name);
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const [u, f] of files(p, `${prefix}/${name}`, { variants })) out.set(u, f);
    else if (st.isFile() && !(variants && /\.(gz|br)$/.test(name) && fs.existsSync(p.slice(0, -3)))) out.set(`${prefix}/${name}`, p);
  }
  return out;
}

function decode(r) {
  const enc = r.headers['content-encoding'];
  if (enc === 'br') return zlib.brotliDecompressSync(r.body);
  if (enc === 'gzip') return zlib.gunzipSync(r.body);
  assert.equal(enc, undefined, `unexpected Content-Encoding ${enc}`);
  return r.body;
}

describe('static files: precompressed variants and the widget bundles', () => {
  let srv;
  // what the server should serve: the bundles in place of the same paths of web/
  const served = files(WEB);

  before(async () => {
    assert.ok(fs.existsSync(path.join(BUNDLES, WIDGETS[0].slice(1))),
      `no widget bundles in ${BUNDLES}: \`make build\` writes them (esbuild, npm ci)`);
    for (const [u, f] of files(BUNDLES, '', { variants: true })) served.set(u, f);
    srv = await h.startServer();
  });
  after(async () => { if (srv) await srv.stop(); });

  test('every file: each variant decompresses to the file, with Vary and an ETag of its own', async () => {
    let compressed = 0;
    for (const [u, f] of served) {
      const want = fs.readFileSync(f);
      const id = await get(srv, u);
      assert.equal(id.status, 200, u);
      assert.equal(id.headers['content-encoding'], undefined, `${u} without Accept-Encoding is sent as it is`);
      assert.ok(id.body.equals(want), `${u}: the identity body is the file`);
      const br = await get(srv, u, { headers: { 'Accept-Encoding': 'br' } });
      const gz = await get(srv, u, { headers: { 'Accept-Encoding': 'gzip' } });
      for (const [r, enc] of [[br, 'br'], [gz, 'gzip']]) {
        assert.equal(r.status, 200);
        assert.ok(decode(r).equals(want), `${u} in ${enc} decompresses to the file`);
        if (r.headers['content-encoding']) {
          assert.equal(r.headers['content-encoding'], enc, u);
          assert.ok(r.body.length < want.length, `${u}: a ${enc} variant is kept only when smaller`);
          assert.equal(Number(r.headers['content-length']), r.body.length);
        }
      }
      if (COMPRESSIBLE.test(u) && want.length > 200) {
        assert.equal(br.headers['content-encoding'], 'br', `${u} is compressible`);
        assert.equal(gz.headers['content-encoding'], 'gzip', `${u} is compressible`);
      }
      const variants = br.headers['content-encoding'] || gz.headers['content-encoding'];
      for (const r of [id, br, gz]) {
        assert.equal(r.headers.vary, variants ? 'Accept-Encoding' : undefined, `${u}: Vary`);
      }
      if (variants) compressed++;
      const tags = new Set([id, br, gz].map((r) => `${r.headers['content-encoding']}|${r.headers.etag}`));
      const etags = new Set([id, br, gz].map((r) => r.headers.etag));
      assert.equal(etags.size, tags.size, `${u}: one ETag per variant: ${[...tags].join(' ')}`);
    }
    assert.ok(compressed >= 10, `${compressed} files served compressed`);
  });

  test('Accept-Encoding: q-values choose, q=0 refuses, a browser gets brotli', async () => {
    const u = WIDGETS[1];
    const cases = [
      ['gzip, deflate, br, zstd', 'br'],
      ['gzip, deflate', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
      ['gzip;q=0', undefined],
      ['br;q=0, gzip;q=0', undefined],
      ['gzip;q=1, br;q=0.5', 'gzip'],
      ['*', 'br'],
      ['br;q=0, *;q=0.1', 'gzip'],
      ['*;q=0', undefined],
      ['identity;q=1, br;q=0.9', undefined],
      ['deflate', undefined],
      ['GZIP ; Q=0.5', 'gzip'],
      ['', undefined],
    ];
    for (const [ae, want] of cases) {
      const r = await get(srv, u, { headers: { 'Accept-Encoding': ae } });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], want, `Accept-Encoding: ${ae}`);
      assert.equal(r.headers.vary, 'Accept-Encoding');
    }
  });

  test('304 and HEAD work per variant', async () => {
    const u = WIDGETS[0];
    const seen = {};
    for (const ae of ['br', 'gzip', 'identity']) {
      const full = await get(srv, u, { headers: { 'Accept-Encoding': ae } });
      seen[ae] = full;
      const head = await get(srv, u, { method: 'HEAD', headers: { 'Accept-Encoding': ae } });
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0, 'HEAD has no body');
      assert.equal(head.headers['content-length'], String(full.body.length), `HEAD ${ae}: the variant's length`);
      assert.equal(head.headers['content-encoding'], full.headers['content-encoding']);
      assert.equal(head.headers.etag, full.headers.etag);
      assert.equal(head.headers.vary, 'Accept-Encoding');
      const again = await get(srv, u, { headers: { 'Accept-Encoding': ae, 'If-None-Match': full.headers.etag } });
      assert.equal(again.status, 304, `If-None-Match of the ${ae} variant`);
      assert.equal(again.body.length, 0);
      assert.equal(again.headers.etag, full.headers.etag);
      assert.equal(again.headers.vary, 'Accept-Encoding');
    }
    // the ETag of another variant does not match: the client gets the bytes of the coding it asked for
    const cross = await get(srv, u, { headers: { 'Accept-Encoding': 'br', 'If-None-Match': seen.gzip.headers.etag } });
    assert.equal(cross.status, 200);
    assert.equal(cross.headers['content-encoding'], 'br');
    const list = await get(srv, u, {
      headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': `"nope", ${seen.gzip.headers.etag}` } });
    assert.equal(list.status, 304, 'one of a list of ETags');
    const star = await get(srv, u, { headers: { 'If-None-Match': '*' } });
    assert.equal(star.status, 304, 'If-None-Match: *');
  });

  test('the widgets are one minified module each, with their source maps next to them', async () => {
    for (const u of WIDGETS) {
      const r = await get(srv, u, { headers: { 'Accept-Encoding': 'br' } });
      assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(r.headers['access-control-allow-origin'], '*');
      const js = decode(r).toString('utf8');
      assert.ok(!/^\s*import\s/m.test(js) && !/from\s*["']\.{1,2}\//.test(js), `${u} imports nothing`);
      assert.match(js, /\n\/\/# sourceMappingURL=widget-script\.js\.map\n?$/, `${u} links its map`);
      assert.ok(js.includes('Повідомлення'), `${u} keeps its Ukrainian strings as UTF-8`);
      const m = await get(srv, `${u}.map`, { headers: { 'Accept-Encoding': 'gzip' } });
      assert.equal(m.status, 200);
      assert.equal(m.headers['content-encoding'], 'gzip');
      const map = JSON.parse(decode(m).toString('utf8'));
      assert.equal(map.version, 3);
      assert.ok(map.sources.length >= 4, `${u}.map lists its modules: ${map.sources}`);
      let sources = 0;
      for (const [i, s] of map.sources.entries()) {
        const su = new URL(s, `http://x${u}`).pathname;
        const readable = fs.readFileSync(path.join(WEB, su));
        sources += readable.length;
        if (su === u) { // the bundle answers the entry's URL: its source is in the map
          assert.equal(map.sourcesContent[i], readable.toString('utf8'), `${u}.map carries ${s}`);
          continue;
        }
        assert.equal(map.sourcesContent?.[i] ?? null, null, `${s} is fetched by its URL`);
        const sr = await get(srv, su);
        assert.equal(sr.status, 200, `${u}.map source ${s} → ${su} is served`);
        assert.ok(sr.body.equals(readable), `${su} is the readable source`);
      }
      assert.ok(map.sources.some((s) => new URL(s, `http://x${u}`).pathname === u), `${u}.map includes the entry`);
      const size = Buffer.byteLength(js);
      assert.ok(size < sources * 0.8, `${u} is minified: ${size} bytes from ${sources} bytes of sources`);
    }
  });

  test('a directory without its slash is redirected to it, relatively', async () => {
    for (const [u, loc] of [['/demo', 'demo/'], ['/operator-chat-panel', 'operator-chat-panel/']]) {
      const r = await get(srv, u);
      assert.equal(r.status, 301, u);
      assert.equal(r.headers.location, loc, `${u}: a relative Location (works behind a path prefix)`);
      assert.equal((await get(srv, new URL(loc, `${srv.base}${u}`).pathname)).status, 200);
    }
    assert.equal((await get(srv, '/shared')).status, 404, 'a directory without index.html');
  });

  test('a favicon, linked by every page with a <head>', async () => {
    const r = await get(srv, '/favicon.ico', { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'image/x-icon');
    const ico = decode(r);
    assert.deepEqual([...ico.subarray(0, 4)], [0, 0, 1, 0], 'an ICO header');
    assert.ok(ico.readUInt16LE(4) >= 1, 'with at least one image');
    const pages = [...served.keys()].filter((u) => u.endsWith('.html'));
    assert.ok(pages.length >= 4);
    for (const u of pages) {
      const html = fs.readFileSync(served.get(u), 'utf8');
      if (/<head>/.test(html)) assert.match(html, /<link rel="icon" href="\/favicon\.ico">/, `${u} links the favicon`);
    }
  });
});

describe('static files: fallbacks', () => {
  test('without the bundles the sources are served, with a warning', async () => {
    const none = path.join(h.makeTempDir(), 'no-bundles');
    const srv = await h.startServer({ args: ['--web-bundle-dir', none] });
    try {
      for (const u of WIDGETS) {
        const r = await get(srv, u);
        assert.equal(r.status, 200);
        assert.ok(r.body.equals(fs.readFileSync(path.join(WEB, u))), `${u} is the source`);
        assert.equal((await get(srv, `${u}.map`)).status, 404);
      }
      assert.equal((await get(srv, '/shared/hub-client.js')).status, 200, 'its imports are served');
      assert.match(srv.stderr(), new RegExp(`no widget bundles in ${none.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ` +
        '\\(make build writes them with esbuild\\): serving the widgets\' sources'));
    } finally {
      await srv.stop();
    }
  });

  test('files that do not shrink, and images, have one variant and no Vary', async () => {
    const dir = h.makeTempDir();
    fs.writeFileSync(path.join(dir, 'tiny.txt'), 'a');
    const noise = Buffer.alloc(4096);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + (i >> 3) * 104729) % 251;
    fs.writeFileSync(path.join(dir, 'noise.png'), noise);
    fs.writeFileSync(path.join(dir, 'page.html'), '<!doctype html><title>t</title>' + '<p>hello</p>'.repeat(100));
    const srv = await h.startServer({ args: ['--web-dir', dir] });
    try {
      for (const u of ['/tiny.txt', '/noise.png']) {
        const r = await get(srv, u, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
        assert.equal(r.status, 200);
        assert.equal(r.headers['content-encoding'], undefined, u);
        assert.equal(r.headers.vary, undefined, u);
      }
      const p = await get(srv, '/page.html', { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
      assert.equal(p.headers['content-encoding'], 'br');
      assert.ok(decode(p).equals(fs.readFileSync(path.join(dir, 'page.html'))));
    } finally {
      await srv.stop();
    }
  });
});
