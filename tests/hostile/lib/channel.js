'use strict';
// Messaging-channel helpers: an organization with a channel secret, and a
// signed inbound delivery (X-ChatHub-Signature: sha256=<hex HMAC-SHA256 of
// the raw body with the channel secret>).

const crypto = require('node:crypto');
const hub = require('../../e2e/lib/hub');
const atk = require('./attack');

const sign = (body, secret) => `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;

// An organization of company `co` with a channel secret and `operators` operators.
async function channelOrg(srv, co, name, secret, { operators = 1, outboundUrl } = {}) {
  const org = await hub.addOrg(srv, co, name, { operators });
  await hub.putOrg(srv, co.token, org.orgId, { channelSecret: secret, ...(outboundUrl ? { outboundUrl } : {}) });
  return org;
}

// POST /api/channel/{guid}/inbound, signed, from localAddress.
function inbound(srv, guid, payload, secret, { localAddress = atk.ip(2) } = {}) {
  const body = Buffer.from(JSON.stringify(payload));
  return atk.request(srv.port, {
    path: `/api/channel/${guid}/inbound`, body, localAddress, timeoutMs: 15000,
    headers: { 'X-ChatHub-Signature': sign(body, secret) },
  });
}

module.exports = { sign, channelOrg, inbound };
