'use strict';
// Native channel helpers (Telegram and Viber bots) for the e2e, hostile and
// cluster tiers: a server (or cluster) started against the fake platforms of
// tests/fakes/, whose public_url is its own base (the webhook URLs it
// registers must reach it: the fake Viber checks its URL at set_webhook),
// and the connection REST calls.
//
// Configuration the server is started with:
//   CHATHUB_TELEGRAM_API_URL (telegram_api_url)  the fake Telegram's base
//   CHATHUB_VIBER_API_URL (viber_api_url)        the fake Viber's base
//   CHATHUB_OUTBOUND_ALLOW_PRIVATE=true          the fakes are on loopback
//   CHATHUB_PUBLIC_URL (public_url)              http://127.0.0.1:<its port>
// and, where a test says so, CHATHUB_CHANNEL_MEDIA_MAX_BYTES
// (channel_media_max_bytes).

const assert = require('node:assert/strict');
const h = require('./harness');
const hub = require('./hub');
const telegram = require('../../fakes/telegram');
const viber = require('../../fakes/viber');

const KEY_RE = /^[0-9a-f]{32}$/;
const SECRET_RE = /^[0-9a-f]{64}$/;

// Both fakes and a server on them. opts.env: more environment; opts.start:
// the server starter (default h.startServer; the hostile tier passes its
// own), called with {port, env, ...opts.serverOpts}.
async function startWithFakes(opts = {}) {
  const tg = await telegram.start(opts.telegram || {});
  const vb = await viber.start(opts.viber || {});
  const port = await h.freePort();
  const env = {
    ...hub.HUB_ENV,
    CHATHUB_TELEGRAM_API_URL: tg.url,
    CHATHUB_VIBER_API_URL: vb.url,
    CHATHUB_OUTBOUND_ALLOW_PRIVATE: 'true',
    CHATHUB_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...(opts.env || {}),
  };
  const start = opts.start || ((o) => h.startServer(o));
  const srv = await start({ ...(opts.serverOpts || {}), port, env });
  return { srv, tg, vb, env };
}

const channelsPath = (orgId) => `/api/company/organization/${orgId}/channels`;
const inboundPath = (type, key) => `/api/channels/${type}/${key}`;

// The {connection} of a connection's webhook URL.
function publicKeyOf(conn) {
  return new URL(conn.webhookUrl).pathname.split('/').pop();
}

const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

// Asserts the connection object's shape (design: REST, svc, net).
function assertConnection(c, { type, name, orgId, botToken, base } = {}) {
  const d = JSON.stringify(c);
  assert.ok(c && typeof c === 'object', d);
  assert.ok(Number.isInteger(c.id) && c.id > 0, `id: ${d}`);
  if (orgId !== undefined) assert.equal(c.organizationId, orgId, `organizationId: ${d}`);
  if (type) assert.equal(c.type, type, `type: ${d}`);
  if (name !== undefined) assert.equal(c.name, name, `name: ${d}`);
  assert.equal(typeof c.tokenHint, 'string', `tokenHint: ${d}`);
  if (botToken) {
    assert.ok(c.tokenHint.endsWith(botToken.slice(-4)), `tokenHint ends with the token's last 4 characters: ${d}`);
    assert.ok([...c.tokenHint].length <= 5, `tokenHint shows at most the last 4 characters (and an ellipsis): ${d}`);
    assert.ok(!d.includes(botToken), 'the token is never returned');
  }
  assert.equal(typeof c.webhookUrl, 'string', `webhookUrl: ${d}`);
  assert.match(publicKeyOf(c), KEY_RE, `webhookUrl ends with a 32-hex public key: ${d}`);
  if (base && type) assert.equal(c.webhookUrl, `${base}${inboundPath(type, publicKeyOf(c))}`, `webhookUrl: ${d}`);
  assert.match(c.createdAt, ISO_RE, `createdAt: ${d}`);
  const hl = c.health;
  assert.ok(hl && typeof hl === 'object', `health: ${d}`);
  assert.equal(typeof hl.webhookRegistered, 'boolean', `health.webhookRegistered: ${d}`);
  for (const k of ['registeredAt', 'lastInboundAt', 'lastErrorAt']) {
    assert.ok(k in hl, `health.${k}: ${d}`);
    if (hl[k] !== null) assert.match(hl[k], ISO_RE, `health.${k}: ${d}`);
  }
  assert.ok('lastError' in hl && (hl.lastError === null || typeof hl.lastError === 'string'), `health.lastError: ${d}`);
  assert.equal(hl.webhookRegistered, hl.registeredAt !== null, `registeredAt is set exactly when registered: ${d}`);
}

// POST a connection; resolves the raw answer.
function createConnection(srv, token, orgId, body) {
  return h.api(srv.base, 'POST', channelsPath(orgId), { token, body });
}

// POST a connection that must succeed (201); resolves it with its publicKey and inbound path.
async function connect(srv, token, orgId, type, botToken, name = `${type} bot`) {
  const r = await createConnection(srv, token, orgId, { type, name, token: botToken });
  assert.equal(r.status, 201, `create ${type} connection: ${h.describeRes(r)}`);
  assert.ok(!r.text.includes(botToken), 'the token is never returned');
  assertConnection(r.json, { type, name, orgId, botToken, base: srv.base });
  const conn = r.json;
  conn.publicKey = publicKeyOf(conn);
  conn.path = inboundPath(type, conn.publicKey);
  conn.botToken = botToken;
  return conn;
}

async function listConnections(srv, token, orgId) {
  const r = await h.api(srv.base, 'GET', channelsPath(orgId), { token });
  assert.equal(r.status, 200, `list connections: ${h.describeRes(r)}`);
  assert.ok(Array.isArray(r.json), h.describeRes(r));
  return r;
}

function deleteConnection(srv, token, orgId, id) {
  return h.api(srv.base, 'DELETE', `${channelsPath(orgId)}/${id}`, { token });
}

// The chats and messages of an organization, as counts (REST).
async function counts(srv, token, orgId) {
  const chats = (await hub.listChats(srv, token, `organizationId=${orgId}&per_page=100`)).items;
  let messages = 0;
  for (const c of chats) messages += (await hub.allMessages(srv, token, c.id)).length;
  return { chats: chats.length, messages };
}

module.exports = {
  telegram, viber, KEY_RE, SECRET_RE, ISO_RE, startWithFakes, channelsPath, inboundPath, publicKeyOf, assertConnection,
  createConnection, connect, listConnections, deleteConnection, counts,
};
