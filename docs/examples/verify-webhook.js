'use strict';
// Verifies a ChatHub webhook request (docs/webhooks.md). Node 18+, no packages.
//
//   const { verifyWebhook } = require('./verify-webhook');
//   // rawBody: the request body exactly as received (a Buffer or string),
//   // before any JSON parsing; header: the X-ChatHub-Signature value.
//   if (!verifyWebhook(secret, rawBody, req.headers['x-chathub-signature'])) reject with 400;
//
// The header is "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
// A request is genuine when one v1 matches (compared in constant time) and t
// is within toleranceSeconds (default 300, 5 minutes) of now: an older
// request, even correctly signed, may be a replay.
const crypto = require('node:crypto');

function verifyWebhook(secret, rawBody, header, { toleranceSeconds = 300, now = Date.now() } = {}) {
  if (typeof header !== 'string') return false;
  let t = null;
  const signatures = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (t === null || signatures.length === 0) return false;
  if (Math.abs(now / 1000 - t) > toleranceSeconds) return false;
  const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(String(rawBody), 'utf8');
  const expected = crypto.createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  return signatures.some((s) => crypto.timingSafeEqual(s, expected));
}

module.exports = { verifyWebhook };
