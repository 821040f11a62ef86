'use strict';
// Webhooks (ext): GET/POST /api/company/webhooks, GET/DELETE
// /api/company/webhooks/{id}, POST …/{id}/enable and POST …/{id}/test (a
// signed ping). Company tokens and API keys only; another company's webhook
// is 404; the secret is shown once. Bad input: a URL that is not http(s), too
// long, a literal private address when outbound_allow_private is off, an
// unknown or repeated event type, another company's organization, more than
// 20 webhooks. The ping reaches a local receiver with the webhook headers,
// and the sample verifier of docs/webhooks.md (docs/examples/verify-webhook.js,
// run as written) accepts it and rejects a stale timestamp, a tampered body
// and a tampered signature.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const h = require('./lib/harness');
const hub = require('./lib/hub');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const DOCS = path.join(__dirname, '..', '..', 'docs');
const { verifyWebhook } = require(path.join(DOCS, 'examples', 'verify-webhook.js'));

// The Python sample of docs/webhooks.md, run as written (when python3 is here).
function pythonVerify(secret, body, header, nowOffset = 0) {
  const doc = fs.readFileSync(path.join(DOCS, 'webhooks.md'), 'utf8');
  const sample = /```python\n([\s\S]*?)```/.exec(doc)[1];
  const main = `\nimport sys, time\n_real = time.time\ntime.time = lambda: _real() + ${nowOffset}\n` +
    'print(verify_webhook(sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3]))\n';
  const r = spawnSync('python3', ['-c', sample + main, secret, body.toString('hex'), header], { encoding: 'utf8' });
  if (r.error && r.error.code === 'ENOENT') return null;
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() === 'True';
}

// A receiver on loopback that records every request and answers `status`.
function startReceiver() {
  const rec = { requests: [], status: 200 };
  rec.server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      rec.requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(rec.status, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  return new Promise((resolve) => rec.server.listen(0, '127.0.0.1', () => {
    rec.url = `http://127.0.0.1:${rec.server.address().port}/hook?x=1`;
    resolve(rec);
  }));
}

describe('webhooks', () => {
  let srv, co, rival, rec, op, v;
  const api = (token, method, p, body) => h.api(srv.base, method, p, { token, body });

  before(async () => {
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_OUTBOUND_ALLOW_PRIVATE: 'true' } });
    co = await hub.makeOrgFixture(srv, 'hookco', { operators: 1 });
    rival = await hub.makeOrgFixture(srv, 'hookrival', { operators: 0 });
    op = co.ops[0];
    v = await hub.widgetSession(srv, co.guid, { name: 'Vera' });
    rec = await startReceiver();
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
    if (rec) rec.server.close();
  });

  test('create (secret once), list, get, delete; another company 404', async () => {
    let r = await api(co.token, 'POST', '/api/company/webhooks', { url: rec.url, events: ['chat.created', 'message.created'] });
    h.assertOk(r, 201);
    const made = r.json;
    assert.match(made.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.equal(made.secretPrefix, made.secret.slice(0, 10));
    assert.equal(made.url, rec.url);
    assert.equal(made.organizationId, null);
    assert.deepEqual(made.events, ['chat.created', 'message.created']);
    assert.equal(made.status, 'active');
    assert.equal(made.lastError, null);
    assert.equal(made.lastSuccessAt, null);
    assert.equal(made.failingSince, null);

    r = await api(co.token, 'POST', '/api/company/webhooks', { url: 'https://example.com/all', organizationId: co.orgId });
    h.assertOk(r, 201);
    const second = r.json;
    assert.equal(second.organizationId, co.orgId);
    assert.deepEqual(second.events, []);

    r = await api(co.token, 'GET', '/api/company/webhooks');
    h.assertOk(r);
    assert.deepEqual(r.json.map((w) => w.id), [made.id, second.id]);
    for (const w of r.json) assert.equal(w.secret, undefined, 'the secret is never shown again');
    assert.ok(!r.text.includes(made.secret));
    r = await api(co.token, 'GET', `/api/company/webhooks/${made.id}`);
    h.assertOk(r);
    assert.equal(r.json.secret, undefined);
    const { secret, ...shown } = made;
    assert.ok(secret);
    assert.deepEqual(r.json, shown);

    // another company sees nothing of them
    r = await api(rival.token, 'GET', '/api/company/webhooks');
    h.assertOk(r);
    assert.deepEqual(r.json, []);
    h.assertError(await api(rival.token, 'GET', `/api/company/webhooks/${made.id}`), 404, 3001);
    h.assertError(await api(rival.token, 'DELETE', `/api/company/webhooks/${made.id}`), 404, 3001);
    h.assertError(await api(rival.token, 'POST', `/api/company/webhooks/${made.id}/enable`), 404, 3001);
    h.assertError(await api(rival.token, 'POST', `/api/company/webhooks/${made.id}/test`), 404, 3001);
    h.assertError(await api(co.token, 'GET', '/api/company/webhooks/abc'), 404, 3001);

    h.assertOk(await api(co.token, 'DELETE', `/api/company/webhooks/${second.id}`));
    h.assertError(await api(co.token, 'DELETE', `/api/company/webhooks/${second.id}`), 404, 3001);
    h.assertError(await api(co.token, 'GET', `/api/company/webhooks/${second.id}`), 404, 3001);

    // enable: an active webhook stays active
    r = await api(co.token, 'POST', `/api/company/webhooks/${made.id}/enable`);
    h.assertOk(r);
    assert.equal(r.json.status, 'active');
    h.assertOk(await api(co.token, 'DELETE', `/api/company/webhooks/${made.id}`));
  });

  test('an API key may manage webhooks; operator and visitor tokens may not', async () => {
    let r = await api(co.token, 'POST', '/api/company/api-keys', { name: 'hooks' });
    h.assertOk(r, 201);
    const key = r.json.key;
    r = await api(key, 'POST', '/api/company/webhooks', { url: 'https://example.com/k' });
    h.assertOk(r, 201);
    h.assertOk(await api(key, 'GET', `/api/company/webhooks/${r.json.id}`));
    h.assertOk(await api(key, 'DELETE', `/api/company/webhooks/${r.json.id}`));
    for (const t of [op.token, v.visitorToken]) {
      h.assertError(await api(t, 'GET', '/api/company/webhooks'), 403, 2005);
      h.assertError(await api(t, 'POST', '/api/company/webhooks', { url: 'https://example.com/x' }), 403, 2005);
    }
    h.assertError(await api(null, 'GET', '/api/company/webhooks'), 401);
  });

  test('bad input answers 400 (or 404, 409) and names the problem', async () => {
    const post = (body) => api(co.token, 'POST', '/api/company/webhooks', body);
    h.assertError(await post({}), 400, 1002, 'url');
    h.assertError(await post({ url: 42 }), 400, 1001, 'url');
    h.assertError(await post({ url: 'ftp://example.com/x' }), 400, 1003, 'http(s)');
    h.assertError(await post({ url: 'https://user@example.com/x' }), 400, 1003, 'user');
    h.assertError(await post({ url: 'https://example.com/' + 'a'.repeat(2048) }), 400, 1003, 'url');
    h.assertOk(await post({ url: 'https://example.com/' + 'a'.repeat(2048 - 20) }), 201);
    h.assertError(await post({ url: 'https://example.com/x', events: ['chat.created', 'chat.exploded'] }), 400, 1003,
      'unknown event type "chat.exploded"');
    h.assertError(await post({ url: 'https://example.com/x', events: ['chat.created', 'chat.created'] }), 400, 1003, 'twice');
    h.assertError(await post({ url: 'https://example.com/x', events: 'chat.created' }), 400, 1001, 'events');
    h.assertError(await post({ url: 'https://example.com/x', events: [7] }), 400, 1001, 'events[0]');
    h.assertError(await post({ url: 'https://example.com/x', organizationId: rival.orgId }), 404, 3001, 'organization');
    h.assertError(await post({ url: 'https://example.com/x', organizationId: 'x' }), 400, 1001);
    // 20 at most (one made above)
    for (let i = 1; i < 20; i++) h.assertOk(await post({ url: `https://example.com/${i}` }), 201);
    h.assertError(await post({ url: 'https://example.com/21' }), 409, 3002, '20 webhooks');
    h.assertOk(await api(rival.token, 'POST', '/api/company/webhooks', { url: 'https://example.com/r' }), 201);
    const all = (await api(co.token, 'GET', '/api/company/webhooks')).json;
    for (const w of all) h.assertOk(await api(co.token, 'DELETE', `/api/company/webhooks/${w.id}`));
  });

  test('the test ping is signed and the sample verifier checks it', async () => {
    let r = await api(co.token, 'POST', '/api/company/webhooks', { url: rec.url, organizationId: co.orgId });
    h.assertOk(r, 201);
    const hook = r.json;
    rec.requests.length = 0;
    rec.status = 200;
    r = await api(co.token, 'POST', `/api/company/webhooks/${hook.id}/test`);
    h.assertOk(r);
    assert.deepEqual(r.json, { ok: true, status: 200, error: null });
    assert.equal(rec.requests.length, 1);
    const req = rec.requests[0];
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/hook?x=1');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['user-agent'], 'ChatHub-Webhooks');
    assert.equal(req.headers['x-chathub-webhook-id'], String(hook.id));
    assert.equal(req.headers['x-chathub-event-seq'], '0');
    const body = JSON.parse(req.body.toString('utf8'));
    assert.equal(body.type, 'ping');
    assert.equal(body.eventSeq, 0);
    assert.equal(body.organizationId, co.orgId);
    assert.equal(body.eventId, req.headers['x-chathub-event-id']);
    assert.match(body.eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(body.data, { webhookId: hook.id });
    const sig = req.headers['x-chathub-signature'];
    assert.match(sig, /^t=\d+,v1=[0-9a-f]{64}$/);
    const t = Number(/^t=(\d+)/.exec(sig)[1]);
    assert.ok(Math.abs(Date.now() / 1000 - t) < 60, 'signed now');

    // acceptance 2: the sample verifier, as written
    assert.equal(verifyWebhook(hook.secret, req.body, sig), true, 'a valid delivery passes');
    assert.equal(verifyWebhook(hook.secret, req.body.toString('utf8'), sig), true, 'as a string too');
    assert.equal(verifyWebhook(hook.secret, req.body, sig, { now: (t + 301) * 1000 }), false, 'stale: older than 5 min');
    assert.equal(verifyWebhook(hook.secret, req.body, sig, { now: (t + 299) * 1000 }), true, 'within 5 min');
    const tampered = Buffer.from(req.body.toString('utf8').replace('"ping"', '"pong"'));
    assert.equal(verifyWebhook(hook.secret, tampered, sig), false, 'a tampered body');
    const flipped = sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0');
    assert.equal(verifyWebhook(hook.secret, req.body, flipped), false, 'a tampered signature');
    assert.equal(verifyWebhook(hook.secret, req.body, sig.replace(/^t=\d+/, `t=${t - 1}`)), false, 'a moved timestamp');
    assert.equal(verifyWebhook('whsec_other', req.body, sig), false, 'another secret');
    assert.equal(verifyWebhook(hook.secret, req.body, undefined), false, 'no header');
    assert.equal(verifyWebhook(hook.secret, req.body, 'v1=' + sig.split('v1=')[1]), false, 'no timestamp');
    // docs/webhooks.md shows the file verbatim
    const doc = fs.readFileSync(path.join(DOCS, 'webhooks.md'), 'utf8');
    assert.ok(doc.includes('```js\n' + fs.readFileSync(path.join(DOCS, 'examples', 'verify-webhook.js'), 'utf8') + '```'),
      'docs/webhooks.md includes docs/examples/verify-webhook.js as it is');
    const py = pythonVerify(hook.secret, req.body, sig);
    if (py !== null) {
      assert.equal(py, true, 'Python sample: valid');
      assert.equal(pythonVerify(hook.secret, tampered, sig), false, 'Python sample: tampered body');
      assert.equal(pythonVerify(hook.secret, req.body, flipped), false, 'Python sample: tampered signature');
      assert.equal(pythonVerify(hook.secret, req.body, sig, 301), false, 'Python sample: stale');
    }

    // the receiver's failure is the answer, not an error of the API
    rec.status = 500;
    r = await api(co.token, 'POST', `/api/company/webhooks/${hook.id}/test`);
    h.assertOk(r);
    assert.equal(r.json.ok, false);
    assert.equal(r.json.status, 500);
    assert.equal(typeof r.json.error, 'string');
    rec.status = 200;

    // a receiver that is gone: connection refused
    const gone = await startReceiver();
    const goneUrl = gone.url;
    await new Promise((resolve) => gone.server.close(resolve));
    r = await api(co.token, 'POST', '/api/company/webhooks', { url: goneUrl });
    h.assertOk(r, 201);
    const dead = r.json;
    r = await api(co.token, 'POST', `/api/company/webhooks/${dead.id}/test`);
    h.assertOk(r);
    assert.equal(r.json.ok, false);
    assert.equal(r.json.status, null);
    assert.ok(r.json.error.length > 0, r.text);

    // rate limited per company: 5 a minute (3 used above)
    let limited = null;
    for (let i = 0; i < 5 && !limited; i++) {
      r = await api(co.token, 'POST', `/api/company/webhooks/${hook.id}/test`);
      if (r.status === 429) limited = r;
    }
    assert.ok(limited, 'the tests are rate limited');
    h.assertError(limited, 429, 4001, 'webhook tests');
    // another company has its own budget
    r = await api(rival.token, 'POST', '/api/company/webhooks', { url: rec.url });
    h.assertOk(r, 201);
    r = await api(rival.token, 'POST', `/api/company/webhooks/${r.json.id}/test`);
    h.assertOk(r);
    assert.equal(r.json.ok, true);
  });
});

describe('webhooks without outbound_allow_private', () => {
  let srv, co;
  before(async () => {
    srv = await h.startServer({ env: hub.HUB_ENV });
    co = await h.makeCompany(srv, 'hookpriv');
  });
  after(async () => { if (srv) await srv.stop(); });

  test('a private or loopback literal is refused at once, a name that resolves to one at the test', async () => {
    const post = (url) => h.api(srv.base, 'POST', '/api/company/webhooks', { token: co.token, body: { url } });
    h.assertError(await post('http://127.0.0.1:9/x'), 400, 1003, 'loopback');
    h.assertError(await post('http://10.1.2.3/x'), 400, 1003, 'private');
    h.assertError(await post('http://169.254.169.254/latest'), 400, 1003, 'link-local');
    const r = await post('http://localhost:9/x');
    h.assertOk(r, 201);
    const t = await h.api(srv.base, 'POST', `/api/company/webhooks/${r.json.id}/test`, { token: co.token });
    h.assertOk(t);
    assert.equal(t.json.ok, false);
    assert.equal(t.json.status, null);
    assert.match(t.json.error, /refused: localhost resolves to a loopback address/);
  });
});
