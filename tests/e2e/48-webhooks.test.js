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
//
// Deliveries: a receiver answering 500, then refusing connections while 500
// events happen (with and without a kill -9 of the server), gets every event
// once, in eventSeq order, signed, and GET /api/events?after=<its last seen>
// answers exactly the rest; a webhook of one event type gets those only;
// companies and organizations see only their own events; private notes never
// appear. A webhook failing past webhook_retry_hours (a fake clock two hours
// on) is marked failing, sends nothing, and resumes from its cursor when
// enabled; a receiver that never answers is given up after 10 s.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const h = require('./lib/harness');
const hub = require('./lib/hub');
const crypto = require('node:crypto');
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
    const { organizations, ...got } = r.json;
    assert.deepEqual(got, shown);
    assert.deepEqual(organizations, [{ organizationId: co.orgId, lastEventSeq: organizations[0].lastEventSeq,
      failedAttempts: 0, nextAttemptAt: null }], 'one cursor per organization');

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
    // on a cluster the other processes learn the key at their next poll
    let known = 0;
    await until('the key known to every process', async () => {
      known = (await api(key, 'GET', '/api/company/webhooks')).status === 200 ? known + 1 : 0;
      return known >= 6;
    }, 15000);
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

    // rate limited per company and process: 5 a minute (3 used above; a cluster has 3 processes)
    let limited = null;
    for (let i = 0; i < 15 && !limited; i++) {
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

// ---- deliveries ----------------------------------------------------------------

// A receiver whose answer the test sets: 'ok' (204), 'fail' (500), or closed
// (connection refused) and opened again on the same port. It keeps, per path,
// the requests it accepted (2xx) and counts the ones it refused.
class Receiver {
  constructor() { this.accepted = []; this.refused = 0; this.mode = 'ok'; this.port = 0; this.server = null; }

  async open() {
    this.server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        if (this.mode !== 'ok') {
          this.refused++;
          res.writeHead(500).end('down');
          return;
        }
        const raw = Buffer.concat(chunks);
        this.accepted.push({ path: req.url, headers: req.headers, raw, event: JSON.parse(raw.toString('utf8')) });
        res.writeHead(204).end();
      });
    });
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = this.server.address().port;
    this.base = `http://127.0.0.1:${this.port}`;
  }

  async close() {
    const s = this.server;
    this.server = null;
    await new Promise((resolve) => { s.close(resolve); s.closeAllConnections(); });
  }

  of(p) { return this.accepted.filter((r) => r.path === p); }
}

async function until(what, fn, ms = 90000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function eventsAfter(srv, token, orgId, after) {
  const out = [];
  let last = 0;
  for (;;) {
    const r = await h.api(srv.base, 'GET', `/api/events?organizationId=${orgId}&after=${after}&limit=1000`, { token });
    h.assertOk(r);
    out.push(...r.json.events);
    last = r.json.lastEventSeq;
    if (!r.json.hasMore) return { events: out, last };
    after = r.json.next;
  }
}

// kill -9 of the server (one node of a cluster) and a restart.
async function killAndRestart(srv) {
  if (process.env.CHATHUB_TEST_CLUSTER === '1') {
    await srv.kill(1);
    await srv.restart(1);
  } else {
    await srv.kill9();
    await srv.start();
  }
}

describe('webhook deliveries', () => {
  let srv, co, sales, rival, rec, op;
  const api = (token, method, p, body) => h.api(srv.base, method, p, { token, body });
  const hooks = {};

  before(async () => {
    srv = await h.startServer({ env: { ...hub.HUB_ENV, CHATHUB_OUTBOUND_ALLOW_PRIVATE: 'true',
      CHATHUB_WEBHOOK_BACKOFF_MAX_MS: '200' } });
    co = await hub.makeOrgFixture(srv, 'deliverco', { operators: 1 });
    sales = await hub.addOrg(srv, co.company, 'Sales', { operators: 1 });
    rival = await hub.makeOrgFixture(srv, 'deliverrival', { operators: 1 });
    op = co.ops[0];
    rec = new Receiver();
    await rec.open();
    const mk = async (token, p, body = {}) => {
      const r = await api(token, 'POST', '/api/company/webhooks', { url: rec.base + p, ...body });
      h.assertOk(r, 201);
      return r.json;
    };
    hooks.all = await mk(co.token, '/all'); // every organization of the company, every type
    hooks.sales = await mk(co.token, '/sales', { organizationId: sales.orgId });
    hooks.rival = await mk(rival.token, '/rival');
    hooks.closed = await mk(co.token, '/closed', { events: ['chat.closed'] });
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
    if (rec && rec.server) await rec.close();
  });

  // Every expected event of org after `from`, accepted exactly once by path, in order, signed.
  function assertExactlyOnce(p, secret, orgId, expected, from = 0) {
    const got = rec.of(p).filter((r) => r.event.organizationId === orgId && r.event.eventSeq > from);
    const ids = got.map((r) => r.event.eventId);
    assert.equal(new Set(ids).size, ids.length, `${p}: no event twice`);
    assert.deepEqual(got.map((r) => r.event.eventSeq), expected.map((e) => e.eventSeq), `${p}: every event, in order`);
    assert.deepEqual(ids, expected.map((e) => e.eventId));
    for (const r of got) {
      assert.equal(verifyWebhook(secret, r.raw, r.headers['x-chathub-signature']), true, `${p}: signed`);
      assert.equal(r.headers['x-chathub-event-id'], r.event.eventId);
      assert.equal(r.headers['x-chathub-event-seq'], String(r.event.eventSeq));
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['user-agent'], 'ChatHub-Webhooks');
    }
    return got;
  }

  async function outage({ kill }) {
    const before = (await eventsAfter(srv, co.token, co.orgId, 0)).last;
    const opHub = await hub.connectHub(srv.base, op.token, { label: 'op' });
    const v = await hub.visitorChat(srv, co.guid, 'Hello before the outage');
    await until('the first events', () => rec.of('/all').some((r) => r.event.eventSeq > before &&
      r.event.organizationId === co.orgId));
    // down: 500 first, then refused connections, while 500 messages are posted
    rec.mode = 'fail';
    const refused0 = rec.refused;
    await hub.postMessage(srv, op.token, v.chatId, { textMessage: 'during the 500s' });
    await until('a 500 answered', () => rec.refused > refused0);
    const lastSeen = Math.max(before, ...rec.of('/all').filter((r) => r.event.organizationId === co.orgId)
      .map((r) => r.event.eventSeq));
    await rec.close();
    const note = `note-${crypto.randomBytes(6).toString('hex')}`;
    h.assertOk(await api(op.token, 'POST', `/api/chat/${v.chatId}/notes`, { text: note }), 201);
    for (let i = 0; i < 500; i++) {
      await hub.postMessage(srv, op.token, v.chatId, { textMessage: `message ${i}` });
      if (kill && i === 250) {
        await opHub.stop();
        await killAndRestart(srv);
      }
    }
    h.assertOk(await hub.setChatStatus(srv, co.token, v.chatId, 4));
    // failing attempts are visible while it is down
    const w = (await api(co.token, 'GET', `/api/company/webhooks/${hooks.all.id}`)).json;
    assert.equal(w.status, 'active');
    assert.equal(typeof w.lastError, 'string', JSON.stringify(w));
    const cur = w.organizations.find((o) => o.organizationId === co.orgId);
    assert.ok(cur.lastEventSeq <= lastSeen, JSON.stringify(w));
    // back on the same port
    rec.mode = 'ok';
    await rec.open();
    const { events: rest, last } = await eventsAfter(srv, co.token, co.orgId, lastSeen);
    assert.ok(rest.length >= 500, `${rest.length} events during the outage`);
    await until(`event ${last} at the receiver`, () => rec.of('/all').some((r) => r.event.organizationId === co.orgId &&
      r.event.eventSeq === last));
    const all = (await eventsAfter(srv, co.token, co.orgId, before)).events;
    const got = assertExactlyOnce('/all', hooks.all.secret, co.orgId, all, before);
    // what GET /api/events?after=<its last seen before the outage> answers is exactly what came after
    assert.deepEqual(got.filter((r) => r.event.eventSeq > lastSeen).map((r) => r.event.eventId),
      rest.map((e) => e.eventId));
    assert.ok(!rec.accepted.some((r) => r.raw.toString('utf8').includes(note)), 'a private note never appears');
    // the webhook of chat.closed only: that event alone, after its cursor passed the others
    await until('chat.closed', () => rec.of('/closed').some((r) => r.event.chat && r.event.chat.id === v.chatId));
    assertExactlyOnce('/closed', hooks.closed.secret, co.orgId, all.filter((e) => e.type === 'chat.closed'), before);
    const after = (await api(co.token, 'GET', `/api/company/webhooks/${hooks.all.id}`)).json;
    assert.equal(after.status, 'active');
    assert.equal(after.lastError, null);
    assert.match(after.lastSuccessAt, hub.ISO_RE);
    const c2 = after.organizations.find((o) => o.organizationId === co.orgId);
    assert.deepEqual(c2, { organizationId: co.orgId, lastEventSeq: last, failedAttempts: 0, nextAttemptAt: null });
    await opHub.stop().catch(() => {});
  }

  test('a receiver down (500, then refused) while 500 events happen gets each once, in order, signed', async () => {
    await outage({ kill: false });
  });

  test('the same with the server killed (kill -9) during the outage and restarted', async () => {
    await outage({ kill: true });
  });

  test('isolation: another company, another organization', async () => {
    const vs = await hub.visitorChat(srv, sales.guid, 'sales question');
    const vr = await hub.visitorChat(srv, rival.guid, 'rival question');
    const s = await eventsAfter(srv, co.token, sales.orgId, 0);
    const r = await eventsAfter(srv, rival.token, rival.orgId, 0);
    await until('sales events', () => rec.of('/sales').some((x) => x.event.eventSeq === s.last), 15000).catch(async (e) => {
      const w = (await api(co.token, 'GET', `/api/company/webhooks/${hooks.sales.id}`)).json;
      throw new Error(`${e.message}: ${JSON.stringify(w)} last ${s.last} got ${JSON.stringify(rec.of('/sales').map((x) => x.event.eventSeq))}\n${srv.stderr ? srv.stderr().slice(-3000) : ''}`);
    });
    await until('sales events (all)', () => rec.of('/all').some((x) => x.event.organizationId === sales.orgId &&
      x.event.eventSeq === s.last));
    await until('rival events', () => rec.of('/rival').some((x) => x.event.eventSeq === r.last));
    assert.ok(rec.of('/sales').every((x) => x.event.organizationId === sales.orgId), 'one organization only');
    assert.ok(rec.of('/rival').every((x) => x.event.organizationId === rival.orgId), 'one company only');
    assert.ok(rec.of('/all').every((x) => x.event.organizationId !== rival.orgId), 'never another company');
    assert.ok(rec.of('/closed').every((x) => x.event.type === 'chat.closed'));
    assert.ok(rec.of('/rival').some((x) => x.event.chat && x.event.chat.id === vr.chatId));
    assert.ok(rec.of('/sales').some((x) => x.event.chat && x.event.chat.id === vs.chatId));
    const first = rec.of('/sales')[0].event.eventSeq;
    assertExactlyOnce('/sales', hooks.sales.secret, sales.orgId, s.events.filter((e) => e.eventSeq >= first), 0);
    // metrics
    const m = await h.api(srv.base, 'GET', '/metrics', { validate: false });
    if (m.status === 200) {
      assert.match(m.text, /^chathub_webhooks_failing 0$/m);
      // this process's counters (on a cluster, the process that answered may have sent none)
      assert.match(m.text, process.env.CHATHUB_TEST_CLUSTER === '1' ? /^chathub_webhook_deliveries_ok_total \d+$/m
        : /^chathub_webhook_deliveries_ok_total [1-9]\d*$/m);
      assert.match(m.text, /^chathub_webhook_deliveries_failed_total \d+$/m);
    }
  });
});

describe('a webhook failing for longer than webhook_retry_hours', () => {
  let srv, co, rec, hook, v;
  const api = (method, p, body) => h.api(srv.base, method, p, { token: co.token, body });
  const get = async () => (await api('GET', `/api/company/webhooks/${hook.id}`)).json;

  before(async () => {
    // one process: the fake clock moves with a restart
    srv = await h.startServer({ single: true, env: { ...hub.HUB_ENV, CHATHUB_OUTBOUND_ALLOW_PRIVATE: 'true',
      CHATHUB_WEBHOOK_BACKOFF_MAX_MS: '200', CHATHUB_WEBHOOK_RETRY_HOURS: '1' } });
    co = await hub.makeOrgFixture(srv, 'failingco', { operators: 1 });
    rec = new Receiver();
    await rec.open();
    await rec.close(); // its port refuses connections
    const r = await api('POST', '/api/company/webhooks', { url: `${rec.base}/hook` });
    h.assertOk(r, 201);
    hook = r.json;
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv) await srv.stop();
    if (rec && rec.server) await rec.close();
  });

  test('is marked failing, delivers nothing until enabled, then resumes from its cursor', async () => {
    v = await hub.visitorChat(srv, co.guid, 'Hello');
    await until('failed attempts', async () => {
      const w = await get();
      return w.lastError && w.organizations[0].failedAttempts >= 2 && w;
    });
    let w = await get();
    assert.equal(w.status, 'active');
    assert.match(w.lastError, /refused|connect/i, w.lastError);
    assert.match(w.organizations[0].nextAttemptAt, hub.ISO_RE);
    const cursor = w.organizations[0].lastEventSeq;
    // two hours later the same event still fails: past webhook_retry_hours (1)
    srv.env.CHATHUB_CLOCK_OFFSET = '7200';
    await srv.restart();
    w = await until('failing', async () => { const x = await get(); return x.status === 'failing' && x; });
    assert.match(w.failingSince, hub.ISO_RE);
    assert.equal(w.organizations[0].lastEventSeq, cursor, 'the cursor stayed');
    h.assertOk((await api('GET', '/api/company/webhooks')));
    await until('the failing gauge', async () => {
      const m = await h.api(srv.base, 'GET', '/metrics', { validate: false });
      return /^chathub_webhooks_failing 1$/m.test(m.text);
    }, 20000);
    // the receiver is back, more events happen: nothing is sent while it is failing
    await rec.open();
    h.assertOk(await api('POST', '/api/chat/' + v.chatId + '/message', { author: 0, textMessage: 'while failing' }));
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(rec.accepted.length, 0, 'nothing while failing');
    // enabled: from the cursor on, every event once, in order
    const r = await api('POST', `/api/company/webhooks/${hook.id}/enable`);
    h.assertOk(r);
    assert.equal(r.json.status, 'active');
    assert.equal(r.json.failingSince, null);
    const { events: rest, last } = await eventsAfter(srv, co.token, co.orgId, cursor);
    assert.ok(rest.length >= 3, JSON.stringify(rest.map((e) => e.type)));
    await until('every event', () => rec.accepted.some((x) => x.event.eventSeq === last));
    assert.deepEqual(rec.accepted.map((x) => x.event.eventId), rest.map((e) => e.eventId));
    for (const x of rec.accepted) assert.equal(verifyWebhook(hook.secret, x.raw, x.headers['x-chathub-signature'],
      { now: Date.now() + 7200e3 }), true, 'signed (at the server\'s clock)');
    w = await get();
    assert.equal(w.status, 'active');
    assert.equal(w.lastError, null);
    assert.deepEqual(w.organizations[0], { organizationId: co.orgId, lastEventSeq: last, failedAttempts: 0,
      nextAttemptAt: null });
  });

  test('a receiver that never answers: the test ping gives up after 10 s', async () => {
    const sockets = new Set();
    const silent = http.createServer(() => { /* never answers */ });
    silent.on('connection', (s) => sockets.add(s));
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
    let r = await api('POST', '/api/company/webhooks', { url: `http://127.0.0.1:${silent.address().port}/x` });
    h.assertOk(r, 201);
    r = await h.api(srv.base, 'POST', `/api/company/webhooks/${r.json.id}/test`, { token: co.token, timeoutMs: 30000 });
    h.assertOk(r);
    // the answer names the timeout that ended it (tests assert no duration)
    assert.deepEqual(r.json, { ok: false, status: null, error: 'no answer within 10 s' });
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });
});
