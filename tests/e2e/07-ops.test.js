'use strict';
// Operations: /healthz, /metrics, static files, graceful stop.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

// Parses Prometheus text into [{name, labels, value}].
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

describe('operations', () => {
  let srv;
  let co;

  before(async () => {
    srv = await h.startServer();
    co = await h.makeCompany(srv, 'opsco');
  });
  after(async () => { if (srv) await srv.stop(); });

  async function metrics() {
    const r = await h.api(srv.base, 'GET', '/metrics');
    h.assertOk(r);
    assert.match(r.headers.get('content-type') || '', /^text\/plain\b/i);
    return { text: r.text, series: parseMetrics(r.text) };
  }

  test('GET /healthz: 200 ok', async () => {
    const r = await h.api(srv.base, 'GET', '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.text.trim(), 'ok');
  });

  test('GET /metrics: the documented series are there', async () => {
    // make sure a synchronize happened so commit batch sizes exist
    await h.syncOperators(srv, co.token, [{ organizationId: co.orgId, name: 'Metered' }]);
    const { text, series } = await metrics();
    const names = new Set(series.map((s) => s.name));
    for (const n of ['chathub_http_requests_total', 'chathub_http_request_duration_seconds_bucket',
      'chathub_open_connections', 'chathub_store_commit_batch_size_bucket', 'chathub_sqlite_wal_bytes_total']) {
      assert.ok(names.has(n), `metric ${n} missing from:\n${text.slice(0, 3000)}`);
    }
    for (const s of series.filter((x) => x.name === 'chathub_http_requests_total')) {
      assert.ok('route' in s.labels && 'status' in s.labels, `labels route and status: ${JSON.stringify(s)}`);
      assert.ok(Number.isFinite(s.value) && s.value >= 0);
    }
    const buckets = series.filter((x) => x.name === 'chathub_http_request_duration_seconds_bucket');
    assert.ok(buckets.some((b) => b.labels.le === '+Inf'), 'histogram has an le="+Inf" bucket');
    const open = series.find((x) => x.name === 'chathub_open_connections');
    assert.ok(open.value >= 1, 'at least this connection is open');
    const commits = series.filter((x) => x.name === 'chathub_store_commit_batch_size_bucket' && x.labels.le === '+Inf');
    assert.ok(commits.length >= 1 && commits.some((c) => c.value >= 1), 'at least one commit counted');
    const wal = series.find((x) => x.name === 'chathub_sqlite_wal_bytes_total');
    if (srv.storeUrl) assert.equal(wal.value, 0, 'PostgreSQL: no SQLite WAL');
    else assert.ok(wal.value > 0, `the commits above wrote to the WAL: ${wal.value}`);
    // the store's time histograms: cumulative, one count per write job (per commit), a sum in seconds
    for (const name of ['chathub_store_write_seconds', 'chathub_store_commit_seconds']) {
      const b = series.filter((x) => x.name === `${name}_bucket`);
      assert.deepEqual(b.map((x) => x.labels.le),
        ['0.00025', '0.0005', '0.001', '0.002', '0.003', '0.005', '0.0075', '0.01', '0.015', '0.02', '0.03', '0.05',
          '0.1', '0.25', '0.5', '1', '+Inf'], name);
      for (let i = 1; i < b.length; i++) assert.ok(b[i].value >= b[i - 1].value, `${name} is cumulative`);
      const count = series.find((x) => x.name === `${name}_count`).value;
      assert.equal(b[b.length - 1].value, count, `${name}: +Inf holds every observation`);
      assert.ok(count >= 1, `${name}: the synchronize above was counted`);
      assert.ok(series.find((x) => x.name === `${name}_sum`).value > 0, `${name}_sum`);
    }
    const jobs = series.find((x) => x.name === 'chathub_store_commit_batch_size_sum').value;
    assert.ok(series.find((x) => x.name === 'chathub_store_write_seconds_count').value <= jobs,
      'write times: at most one per write job');
    assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}/, 'no tokens in metrics');
  });

  test('request counters increase, labelled by route and status', async () => {
    const key = (s) => JSON.stringify(s.labels);
    const sum = (series, pred) => series.filter((s) => s.name === 'chathub_http_requests_total' && pred(s))
      .reduce((a, s) => a + s.value, 0);
    const before = (await metrics()).series;
    for (let i = 0; i < 3; i++) {
      h.assertError(await h.api(srv.base, 'GET', '/api/company/organization'), 401, 2001);
      h.assertOk(await h.api(srv.base, 'GET', '/api/company/organization', { token: co.token }));
    }
    const afterS = (await metrics()).series;
    assert.ok(sum(afterS, (s) => s.labels.status === '401') >= sum(before, (s) => s.labels.status === '401') + 3,
      'three more 401s counted');
    assert.ok(sum(afterS, (s) => s.labels.status === '200') >= sum(before, (s) => s.labels.status === '200') + 3,
      'three more 200s counted');
    // one route/status series grew by at least 3 for the 401s
    const beforeMap = new Map(before.filter((s) => s.name === 'chathub_http_requests_total').map((s) => [key(s), s.value]));
    const grown = afterS.filter((s) => s.name === 'chathub_http_requests_total' && s.labels.status === '401'
      && s.value - (beforeMap.get(key(s)) || 0) >= 3);
    assert.ok(grown.length >= 1, 'a single route="..." status="401" counter grew by 3');
  });

  test('the route label is a route, not the raw path (bounded cardinality)', async () => {
    for (const id of [co.orgId, 424242, 535353]) {
      await h.api(srv.base, 'GET', `/api/company/organization/${id}`, { token: co.token });
    }
    await h.api(srv.base, 'GET', '/api/operator?organizationId=616161', { token: co.token });
    await h.api(srv.base, 'GET', '/no-such-page-xyzzy');
    await h.api(srv.base, 'GET', '/api/no-such-api-plugh');
    const { series } = await metrics();
    const routes = [...new Set(series.filter((s) => s.name === 'chathub_http_requests_total').map((s) => s.labels.route))];
    for (const r of routes) {
      assert.doesNotMatch(r, /424242|535353|616161|xyzzy|plugh/, `route label "${r}" carries request data`);
    }
  });

  test('GET / and /index.html: HTML with ETag and Cache-Control; If-None-Match gives 304', async () => {
    for (const p of ['/', '/index.html']) {
      const r = await h.api(srv.base, 'GET', p);
      assert.equal(r.status, 200, `${p}: ${h.describeRes(r)}`);
      assert.match(r.headers.get('content-type') || '', /^text\/html\b/i, p);
      const etag = r.headers.get('etag');
      assert.ok(etag, `${p}: ETag`);
      assert.ok(r.headers.get('cache-control'), `${p}: Cache-Control`);
      assert.match(r.text, /<!doctype html|<html/i);
      const again = await h.api(srv.base, 'GET', p, { headers: { 'If-None-Match': etag } });
      assert.equal(again.status, 304, `${p} with If-None-Match: ${h.describeRes(again)}`);
      assert.equal(again.text, '');
      const other = await h.api(srv.base, 'GET', p, { headers: { 'If-None-Match': '"not-the-etag"' } });
      assert.equal(other.status, 200, `${p} with another ETag`);
    }
  });

  test('GET /openapi.json documents the company and operator endpoints', async () => {
    const r = await h.api(srv.base, 'GET', '/openapi.json');
    h.assertOk(r);
    assert.match(r.headers.get('content-type') || '', /^application\/json\b/i);
    const paths = Object.keys(r.json.paths || {});
    for (const p of ['/api/company/get-token', '/api/company/organization', '/api/operator',
      '/api/operator/synchronize', '/api/operator/status', '/api/operator/get-token', '/api/operator/validate-token']) {
      assert.ok(paths.includes(p), `openapi.json documents ${p}`);
    }
  });

  test('the API documentation: Swagger UI at /index.html and /swagger/, the spec also at /swagger/v1/swagger.json', async () => {
    const page = await h.api(srv.base, 'GET', '/index.html');
    h.assertOk(page);
    assert.match(page.text, /<script src="\/swagger\/swagger-ui-bundle\.js" defer><\/script>/);
    assert.doesNotMatch(page.text, /<script>|<script[^>]*>[^<]/, 'no inline script (the page\'s CSP allows none)');
    assert.match(page.text, /http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self';/);
    for (const p of ['/swagger/', '/swagger/index.html']) assert.equal((await h.api(srv.base, 'GET', p)).text, page.text, p);
    const dir = await h.api(srv.base, 'GET', '/swagger');
    assert.equal(dir.status, 301);
    assert.equal(dir.headers.get('location'), 'swagger/');
    const spec = await h.api(srv.base, 'GET', '/openapi.json');
    const copy = await h.api(srv.base, 'GET', '/swagger/v1/swagger.json');
    h.assertOk(copy);
    assert.equal(copy.text, spec.text, 'the same document');
    assert.equal(copy.headers.get('etag'), spec.headers.get('etag'));
    assert.equal(spec.json.openapi, '3.1.0');
    for (const [p, type] of [['/swagger/swagger-ui-bundle.js', /^text\/javascript/], ['/swagger/swagger-ui.css', /^text\/css/],
      ['/swagger/initializer.js', /^text\/javascript/], ['/docs/', /^text\/html/], ['/docs/docs.js', /^text\/javascript/]]) {
      const r = await h.api(srv.base, 'GET', p, { headers: { 'Accept-Encoding': 'br' } });
      assert.equal(r.status, 200, `${p}: ${r.status}`);
      assert.match(r.headers.get('content-type'), type, p);
    }
    const bundle = await h.rawHttp(srv.port, h.requestText('GET', '/swagger/swagger-ui-bundle.js', { headers: { 'Accept-Encoding': 'br' } }));
    assert.equal(bundle.headers['content-encoding'], 'br', 'Swagger UI is served compressed');
    assert.ok(bundle.body.length < 500000, `${bundle.body.length} bytes of brotli`);
    assert.equal((await h.api(srv.base, 'GET', '/swagger/swagger-initializer.js')).status, 404, 'the stock initializer is not served');
  });

  test('unknown static path: 404 JSON 3001; path traversal is not served', async () => {
    h.assertError(await h.api(srv.base, 'GET', '/nope'), 404, 3001);
    h.assertError(await h.api(srv.base, 'GET', '/nope.js'), 404, 3001);
    for (const p of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd']) {
      const r = await h.rawHttp(srv.port, h.requestText('GET', p));
      assert.ok(r.status >= 400 && r.status < 500, `${p}: HTTP ${r.status}`);
      assert.doesNotMatch(r.body, /root:/, `${p} must not leak /etc/passwd`);
    }
  });

  // libwebsockets' request parser refuses some %00 placements by closing the
  // connection before the server sees the request; that is acceptable. What is
  // not: serving another file, or the server going down.
  test('a NUL byte in a static path: a JSON 400/404 or a refused request, never another file', async () => {
    for (const p of ['/index.html%00.js', '/healthz%00', '/nope%00']) {
      const r = await h.rawHttp(srv.port, h.requestText('GET', p));
      const what = `GET ${p}: ${r.raw.slice(0, 300) || '(connection closed without a response)'}`;
      assert.ok(r.status === 0 || r.status === 400 || r.status === 404, what);
      if (r.status) assert.equal(JSON.parse(r.body).status, r.status, what);
    }
    h.assertOk(await h.api(srv.base, 'GET', '/healthz'));
  });
});

describe('graceful stop', () => {
  test('SIGTERM while requests are in flight: they complete, exit code 0', async () => {
    // Interactive hashing makes each login take real time on the hash workers,
    // so the logins are still being processed when SIGTERM arrives.
    const srv = await h.startServer({ env: { CHATHUB_PASSWORD_HASH_COST: 'interactive' } });
    try {
      // the stored hash carries its cost, so the company must be created at interactive cost too
      const c = await h.cli(['company', 'create', '--login', 'gracefulco', '--password', 'pw'],
        { dataDir: srv.dataDir, env: { CHATHUB_PASSWORD_HASH_COST: 'interactive' } });
      assert.equal(c.code, 0, c.stderr);
      const token = await h.companyToken(srv.base, 'gracefulco', 'pw');
      const orgRes = await h.api(srv.base, 'POST', '/api/company/organization', { token, body: { name: 'G' } });
      h.assertOk(orgRes, 201);

      let sent = 0;
      const N = 6;
      const onSent = () => { sent++; };
      const inflight = [];
      for (let i = 0; i < N; i++) {
        inflight.push(h.rawHttp(srv.port, h.requestText('POST', '/api/company/get-token',
          { body: { login: 'gracefulco', password: 'pw' } }), { onSent }));
        inflight.push(h.rawHttp(srv.port, h.requestText('POST', '/api/operator/synchronize', {
          body: [{ organizationId: orgRes.json.id, name: `Graceful ${i}` }],
          headers: { Authorization: `Bearer ${token}` },
        }), { onSent }));
      }
      while (sent < inflight.length) await h.sleep(5);
      // wait until the server has accepted them (they are then in flight, not in the kernel's backlog)
      const deadline = Date.now() + 3000;
      for (;;) {
        const m = await h.api(srv.base, 'GET', '/metrics');
        const line = /^chathub_open_connections(?:\{[^}]*\})?\s+(\S+)/m.exec(m.text);
        if (line && Number(line[1]) >= inflight.length + 1) break;
        if (Date.now() > deadline) break;
        await h.sleep(5);
      }
      await h.sleep(20);
      const stopping = srv.stop(); // SIGTERM; asserts exit code 0
      const results = await Promise.all(inflight);
      for (const r of results) {
        assert.equal(r.status, 200, `in-flight request answered: ${r.raw.slice(0, 300)}`);
      }
      const logins = results.filter((_, i) => i % 2 === 0);
      for (const r of logins) assert.match(r.body.trim(), h.JWT_RE);
      await stopping;

      // everything acknowledged was stored
      await srv.restart();
      const t2 = await h.companyToken(srv.base, 'gracefulco', 'pw');
      const ops = await h.listOperators(srv, t2, orgRes.json.id);
      assert.equal(ops.length, N);
    } finally {
      await srv.stop();
    }
  });
});
