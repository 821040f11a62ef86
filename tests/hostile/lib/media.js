'use strict';
// Attachments for the media tests: a message with media posted by the
// company over REST (POST /api/chat/{id}/message).

const assert = require('node:assert/strict');
const h = require('../../e2e/lib/harness');

// The smallest valid PNG (1×1, transparent).
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

// Posts a media message; returns the stored message (its media has id and url).
async function postMedia(srv, token, chatId, { name = 'pixel.png', format = 'image/png', data = PNG, type = 1 } = {}) {
  const r = await h.api(srv.base, 'POST', `/api/chat/${chatId}/message`, {
    token, body: { author: 0, textMessage: '', media: { name, format, dataBase64: Buffer.from(data).toString('base64'), type } },
  });
  assert.equal(r.status, 200, `post media ${format}: ${h.describeRes(r)}`);
  assert.ok(r.json.media && r.json.media.id && r.json.media.url, `media with id and url: ${h.describeRes(r)}`);
  return r.json;
}

module.exports = { PNG, postMedia };
