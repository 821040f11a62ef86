'use strict';
// M1: `GET /api/media/{id}` checks the principal like every other route: an
// operator set Inactive (or Deleted) can no longer download its
// organization's attachments with its token — 401 code 2003, with
// `Authorization: Bearer` and with `X-Authorization-Key: Bearer …`.

const { describe, test } = require('node:test');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');
const { postMedia } = require('./lib/media');

describe('M1 media download after revocation', () => {
  test('an Inactive operator\'s token gets 401 (2003) for its organization\'s media', async (t) => {
    const { srv, by } = await stage(t, { extraOperators: 1 });
    const p = new Problems();
    const op = by.a.ops[2];
    const v = await hub.visitorChat(srv, by.a.guid, 'a chat with an attachment', { name: 'M1 visitor' });
    const m = await postMedia(srv, by.a.token, v.chatId);
    const path = `/api/media/${m.media.id}`;
    const before = await atk.api(srv, 'GET', path, { token: op.token });
    p.check(before.status === 200, `media with the operator's token before the revocation: ${atk.describe(before)}`);

    by.start();
    await h.setStatus(srv, by.a.token, op.id, 1);
    const bearer = await atk.api(srv, 'GET', path, { token: op.token });
    const xkey = await atk.api(srv, 'GET', path, { headers: { 'X-Authorization-Key': `Bearer ${op.token}` } });
    const rest = await atk.api(srv, 'GET', `/api/chat/chats/${v.chatId}/messages`, { token: op.token });
    await by.stop();

    for (const [what, r] of [['Authorization: Bearer', bearer], ['X-Authorization-Key: Bearer', xkey]]) {
      p.check(r.status === 401 && r.json && r.json.code === 2003,
        `media with a revoked operator token (${what}): expected 401 (2003), got ${r.status} (${r.body.length} bytes${r.json ? `, code ${r.json.code}` : ''})`);
    }
    t.diagnostic(`after the revocation: media ${bearer.status} (Bearer), ${xkey.status} (X-Authorization-Key); REST messages ${rest.status}`);
    await v.stop();
    await by.verify(t, p);
    p.assertNone('M1 expectations');
  });
});
