'use strict';
// N2: the admin console's endpoints (issue 15) against bad input and other
// companies, while the bystanders talk. GET /api/reports/summary and
// /heatmap, POST /api/company/password and GET /api/company/status answer
// malformed JSON, wrong types, missing fields, huge bodies, invalid UTF-8,
// bad dates, reversed and over-long ranges, wrong, forged, expired and
// revoked tokens, operator and visitor tokens and another company's
// organization and operator ids with a clear 4xx whose message names the
// problem — and change nothing: after every refused password change the
// company's token and password still work. Another company's token sees none
// of company A's figures (404 on A's organization, none of A's operators in
// its own reports). `chathub backup` / `chathub restore`: a missing argument,
// an unwritable path, a non-empty data directory, a file that is not a backup
// (random bytes, a truncated backup, an empty file) each exit non-zero with
// `error: …` naming the problem and leave nothing half-written. The CLI part
// runs on a SQLite data directory of its own (no cluster).

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const h = require('../e2e/lib/harness');
const hub = require('../e2e/lib/hub');
const atk = require('./lib/attack');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

const today = () => new Date().toISOString().slice(0, 10);

// The JSON error body of a refusal: {status, code, message}.
function clearError(p, r, status, what, { code, names } = {}) {
  const j = r.json;
  const ok = r.status === status && j && j.status === status && Number.isInteger(j.code) &&
    typeof j.message === 'string' && j.message.length > 0 && (!code || j.code === code) &&
    (!names || names.test(j.message));
  p.check(ok, `${what}: ${atk.describe(r)} (expected ${status}${code ? ` ${code}` : ''}${names ? ` naming ${names}` : ''})`);
  return ok;
}

// A token of the server's key with the claims of `token` changed by `edit`.
function reforge(srv, token, edit, key = srv.tokenKey()) {
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
  return hub.hs256(edit({ ...claims }), key);
}

describe('N2 admin endpoints: reports, password, status, backup and restore', () => {
  test('bad input gets a clear 4xx, another company sees nothing, nothing changes', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    const a = by.a;
    const mallory = await h.makeCompany(srv, 'n2-mallory');
    const malloryOps = await h.syncOperators(srv, mallory.token, [{ organizationId: mallory.orgId, name: 'M1' }]);
    const victim = await h.makeCompany(srv, 'n2-victim', { password: 'victim-secret' });
    const key = await h.api(srv.base, 'POST', '/api/company/api-keys', { token: victim.token, body: { name: 'bi' } });
    p.check(key.status === 201, `victim's API key: ${h.describeRes(key)}`);
    // on a cluster the other processes learn a new key by their poll of the database, within about a second
    if (h.TEST_CLUSTER) await h.sleep(2000);
    by.start();

    const D = today();
    const q = (org, extra = '') => `organizationId=${org}&from=${D}&to=${D}${extra}`;
    const before = await h.api(srv.base, 'GET', `/api/reports/summary?${q(a.orgId)}`, { token: a.token });
    p.check(before.status === 200 && before.json.organization.messagesIn >= 1, `A's summary: ${h.describeRes(before)}`);
    const aOps = a.ops.map((o) => o.id);

    // ---- reports: tokens ----------------------------------------------------------------------
    const expired = reforge(srv, a.token, (c) => ({ ...c, iat: c.iat - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }));
    const wrongKey = reforge(srv, a.token, (c) => c, crypto.randomBytes(32));
    const noneAlg = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${a.token.split('.')[1]}.`;
    for (const kind of ['summary', 'heatmap']) {
      const url = `/api/reports/${kind}?${q(a.orgId)}`;
      clearError(p, await atk.api(srv, 'GET', url), 401, `${kind} without a token`);
      clearError(p, await atk.api(srv, 'GET', url, { token: 'not-a-token' }), 401, `${kind} with garbage`);
      clearError(p, await atk.api(srv, 'GET', url, { token: wrongKey }), 401, `${kind} signed with another key`);
      clearError(p, await atk.api(srv, 'GET', url, { token: noneAlg }), 401, `${kind} with alg none`);
      clearError(p, await atk.api(srv, 'GET', url, { token: expired }), 401, `${kind} with an expired token`,
        { code: 2002 });
      clearError(p, await atk.api(srv, 'GET', url, { token: a.ops[0].token }), 403, `${kind} with an operator token`,
        { code: 2005 });
      clearError(p, await atk.api(srv, 'GET', url, { token: by.visitor.session.visitorToken }), 403,
        `${kind} with a visitor token`, { code: 2005 });
      // another company: A's organization does not exist for it, in JSON and in CSV
      clearError(p, await atk.api(srv, 'GET', url, { token: mallory.token }), 404, `${kind}: mallory on A's organization`,
        { code: 3001, names: /organization/ });
      const csv = await atk.api(srv, 'GET', url, { token: mallory.token, headers: { Accept: 'text/csv' } });
      p.check(csv.status === 404 && !/organization,|\d+,\d+,\d+/.test(csv.body.replace(/^.*"message"[^}]*/, '')),
        `${kind} CSV for mallory on A's organization: ${atk.describe(csv)}`);
      clearError(p, await atk.api(srv, 'POST', url, { token: a.token, body: {} }), 405, `POST ${kind}`);
    }
    // another company's operator ids, either way round
    clearError(p, await atk.api(srv, 'GET', `/api/reports/summary?${q(mallory.orgId, `&operatorId=${aOps[0]}`)}`,
      { token: mallory.token }), 404, "mallory's report for A's operator", { names: /operator/ });
    clearError(p, await atk.api(srv, 'GET', `/api/reports/summary?${q(a.orgId, `&operatorId=${malloryOps[0].id}`)}`,
      { token: a.token }), 404, "A's report for mallory's operator", { names: /operator/ });
    // mallory's own reports: nothing of A
    const own = await atk.api(srv, 'GET', `/api/reports/summary?${q(mallory.orgId)}`, { token: mallory.token });
    p.check(own.status === 200 && own.json.operators.every((o) => !aOps.includes(o.operatorId)) &&
      own.json.organization.messagesIn === 0 && own.json.organization.conversationsStarted === 0,
    `mallory's own summary holds nothing of A: ${atk.describe(own)}`);
    const ownHeat = await atk.api(srv, 'GET', `/api/reports/heatmap?${q(mallory.orgId)}`, { token: mallory.token });
    p.check(ownHeat.status === 200 && ownHeat.json.counts.flat().every((n) => n === 0),
      `mallory's own heat map is empty: ${atk.describe(ownHeat)}`);
    // an organization that does not exist at all, and a huge id
    clearError(p, await atk.api(srv, 'GET', `/api/reports/summary?${q(999999999)}`, { token: a.token }), 404,
      'an organization that does not exist', { code: 3001 });

    // ---- reports: bad query ----------------------------------------------------------------------
    const bad = [
      [`from=${D}&to=${D}`, /organizationId/, 1002],
      [q('x'), /organizationId/],
      [q('-1'), /organizationId/],
      [q('0'), /organizationId/],
      [q('1.5'), /organizationId/],
      [q('1e3'), /organizationId/],
      [q('99999999999999999999999'), /organizationId/],
      [q(''), /organizationId/],
      [q('%FF%FE'), /organizationId/],
      [`organizationId=${a.orgId}&to=${D}`, /from/, 1002],
      [`organizationId=${a.orgId}&from=${D}`, /\bto\b/, 1002],
      [`organizationId=${a.orgId}&from=2026-13-01&to=${D}`, /from/],
      [`organizationId=${a.orgId}&from=2026-02-30&to=${D}`, /from/],
      [`organizationId=${a.orgId}&from=2026-1-1&to=${D}`, /from/],
      [`organizationId=${a.orgId}&from=yesterday&to=${D}`, /from/],
      [`organizationId=${a.orgId}&from=1969-12-31&to=${D}`, /from/],
      [`organizationId=${a.orgId}&from=%FF%FE%FD%FC%FB%FA%F9%F8%F7%F6&to=${D}`, /from/],
      [`organizationId=${a.orgId}&from=${D}T00:00:00Z&to=${D}`, /from/],
      [`organizationId=${a.orgId}&from=${'9'.repeat(4000)}&to=${D}`, /from/],
      [`organizationId=${a.orgId}&from=${D}&to=2026-02-29`, /\bto\b/],
      [`organizationId=${a.orgId}&from=2026-02-02&to=2026-02-01`, /before/],
      [`organizationId=${a.orgId}&from=2000-01-01&to=2026-01-01`, /366 days/],
      [`organizationId=${a.orgId}&from=1970-01-01&to=9999-12-31`, /366 days/],
      [q(a.orgId, '&%FF%FE=1'), /unknown query parameter/],
      [q(a.orgId, '&organizationId=2'), /organizationId/],
      [q(a.orgId, '&operatorid=1'), /unknown query parameter `operatorid`/],
      [q(a.orgId, '&operatorId=abc'), /operatorId/],
      [q(a.orgId, '&operatorId=-5'), /operatorId/],
    ];
    for (const kind of ['summary', 'heatmap']) {
      for (const [query, names, code] of bad) {
        const r = await atk.api(srv, 'GET', `/api/reports/${kind}?${query}`, { token: a.token });
        clearError(p, r, 400, `${kind}?${query.slice(0, 80)}`, { names, code });
      }
      // a NUL byte: libwebsockets' parser refuses the request by closing it (docs/security.md), or a 400
      const nul = await atk.api(srv, 'GET', `/api/reports/${kind}?organizationId=${a.orgId}&from=${D}%00&to=${D}`, { token: a.token });
      p.check(nul.status === 0 || (nul.status === 400 && /from/.test(nul.json && nul.json.message)),
        `${kind} with a NUL in from: ${atk.describe(nul)}`);
      const csv = await atk.api(srv, 'GET', `/api/reports/${kind}?from=${D}`, { token: a.token, headers: { Accept: 'text/csv' } });
      clearError(p, csv, 400, `${kind} CSV without organizationId`, { names: /organizationId/ });
    }
    // a request line far beyond the 8 KiB of headers: closed unanswered (docs/security.md), the server stays up;
    // one parameter past 4095 bytes: 400 naming it
    const huge = await atk.api(srv, 'GET', `/api/reports/summary?${q(a.orgId)}&pad=${'x'.repeat(200000)}`, { token: a.token });
    p.check(huge.status === 0 || (huge.status >= 400 && huge.status < 500), `a 200 KB query: ${atk.describe(huge)}`);
    const long = await atk.api(srv, 'GET', `/api/reports/summary?organizationId=${a.orgId}&to=${D}&from=${'1'.repeat(5000)}`, { token: a.token });
    clearError(p, long, 400, 'a 5,000-byte from', { names: /from/ });

    // ---- password: every refused change changes nothing ----------------------------------------
    const pw = '/api/company/password';
    const still = async (what) => {
      const r = await atk.api(srv, 'GET', '/api/company/status', { token: victim.token });
      p.check(r.status === 200, `after ${what}, the victim's token still works: ${atk.describe(r)}`);
    };
    const refusals = [
      ['malformed JSON', '{"currentPassword":"victim-secret","newPassword":', 400, /JSON|body/i],
      ['a truncated string', '{"currentPassword":"victim-secret","newPassword":"abc', 400, /JSON|body/i],
      ['an array', [], 400, /object/],
      ['a string', '"hello"', 400, /object|'\{' expected/],
      ['null', 'null', 400, /object|'\{' expected/],
      ['an empty body', '', 400, /body|JSON|object/i],
      ['no newPassword', { currentPassword: 'victim-secret' }, 400, /newPassword/, 1002],
      ['no currentPassword', { newPassword: 'x-new-password' }, 400, /currentPassword/, 1002],
      ['a number as newPassword', { currentPassword: 'victim-secret', newPassword: 12345678 }, 400, /newPassword/, 1001],
      ['an object as newPassword', { currentPassword: 'victim-secret', newPassword: { a: 1 } }, 400, /newPassword/, 1001],
      ['null as newPassword', { currentPassword: 'victim-secret', newPassword: null }, 400, /newPassword/],
      ['true as currentPassword', { currentPassword: true, newPassword: 'x-new-password' }, 400, /currentPassword/, 1001],
      ['an empty newPassword', { currentPassword: 'victim-secret', newPassword: '' }, 400, /newPassword/, 1003],
      ['a 1,025-byte newPassword', { currentPassword: 'victim-secret', newPassword: 'p'.repeat(1025) }, 400, /newPassword/, 1003],
      ['a NUL in newPassword', '{"currentPassword":"victim-secret","newPassword":"ab\\u0000cd"}', 400, /./],
      ['invalid UTF-8 in newPassword', Buffer.concat([Buffer.from('{"currentPassword":"victim-secret","newPassword":"ab'),
        Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]), 400, /UTF-8|JSON|body/i],
      ['a lone surrogate in newPassword', '{"currentPassword":"victim-secret","newPassword":"\\ud800x"}', 400, /./],
      ['duplicate keys', '{"currentPassword":"victim-secret","newPassword":"one-password","newPassword":"two-password"}', 400, /./],
      ['a 2 MiB body', atk.paddedObject({ currentPassword: 'victim-secret', newPassword: 'x-new-password' }, 2 * 1024 * 1024), 413, /./],
    ];
    for (const [what, body, status, names, code] of refusals) {
      const r = await atk.api(srv, 'POST', pw, { token: victim.token, body: typeof body === 'string' ? Buffer.from(body) : body });
      clearError(p, r, status, `password change with ${what}`, { names, code });
      await still(what);
    }
    for (const [who, tok, status, code] of [
      ['no token', undefined, 401], ['garbage', 'x.y.z', 401],
      ['a token of another key', reforge(srv, victim.token, (c) => c, crypto.randomBytes(32)), 401],
      ['an expired token', reforge(srv, victim.token, (c) => ({ ...c, exp: Math.floor(Date.now() / 1000) - 60 })), 401, 2002],
      ['an API key', key.json && key.json.key, 403, 2005],
      ['an operator token', a.ops[0].token, 403, 2005],
      ['a visitor token', by.visitor.session.visitorToken, 403, 2005],
    ]) {
      const r = await atk.api(srv, 'POST', pw, { token: tok, body: { currentPassword: 'victim-secret', newPassword: 'taken-over' } });
      clearError(p, r, status, `password change with ${who}`, { code });
      await still(who);
    }
    // mallory knows the victim's password but holds her own token: it changes only her own company, and the
    // victim's password is not hers
    let r = await atk.api(srv, 'POST', pw, { token: mallory.token, body: { currentPassword: 'victim-secret', newPassword: 'taken-over' } });
    clearError(p, r, 401, "mallory's token with the victim's password", { code: 2004, names: /current password/ });
    // the wrong current password, once (it counts against the login's limits)
    r = await atk.api(srv, 'POST', pw, { token: victim.token, body: { currentPassword: 'guess', newPassword: 'taken-over' } });
    clearError(p, r, 401, 'the wrong current password', { code: 2004, names: /current password/ });
    await still('the wrong current password');
    r = await h.api(srv.base, 'POST', '/api/company/get-token', { body: { login: victim.login, password: 'victim-secret' } });
    p.check(r.status === 200, `the victim's password still works: ${h.describeRes(r)}`);
    r = await h.api(srv.base, 'POST', '/api/company/get-token', { body: { login: victim.login, password: 'taken-over' } });
    p.check(r.status === 401, `no refused change took effect: ${h.describeRes(r)}`);

    // ---- status ------------------------------------------------------------------------------------
    for (const [who, tok, status] of [['no token', undefined, 401], ['garbage', 'x', 401], ['an expired token', expired, 401],
      ['an operator token', a.ops[0].token, 403], ['a visitor token', by.visitor.session.visitorToken, 403]]) {
      clearError(p, await atk.api(srv, 'GET', '/api/company/status', { token: tok }), status, `status with ${who}`);
    }
    r = await atk.api(srv, 'GET', '/api/company/status', { token: key.json.key });
    p.check(r.status === 200 && Object.keys(r.json).join() === 'lastBackupAt', `status with an API key: ${atk.describe(r)}`);
    r = await atk.api(srv, 'GET', '/api/company/status', { token: mallory.token });
    p.check(r.status === 200 && Object.keys(r.json).join() === 'lastBackupAt', `mallory's status holds nothing of A: ${atk.describe(r)}`);
    clearError(p, await atk.api(srv, 'GET', `/api/company/status?organizationId=${a.orgId}`, { token: mallory.token }), 400,
      'status with a query parameter', { names: /organizationId/ });
    clearError(p, await atk.api(srv, 'POST', '/api/company/status', { token: victim.token, body: {} }), 405, 'POST status');

    // ---- a revoked token: the victim changes its password for real ---------------------------------
    r = await h.api(srv.base, 'POST', pw, { token: victim.token, body: { currentPassword: 'victim-secret', newPassword: 'victim-new' } });
    p.check(r.status === 200 && /^ey/.test(r.text), `the victim's real change: ${h.describeRes(r)}`);
    // at once (on a cluster, possibly on a process the revocation's event has not reached yet): the write and the
    // reads check the token inside their transaction
    r = await atk.api(srv, 'POST', pw, { token: victim.token, body: { currentPassword: 'victim-new', newPassword: 'again' } });
    clearError(p, r, 401, 'a password change with a revoked token', { code: 2003, names: /revoked/ });
    for (const url of ['/api/company/status', `/api/reports/summary?${q(victim.orgId)}`, `/api/reports/heatmap?${q(victim.orgId)}`]) {
      clearError(p, await atk.api(srv, 'GET', url, { token: victim.token }), 401, `${url} with a revoked token`, { code: 2003, names: /revoked/ });
    }
    r = await h.api(srv.base, 'POST', '/api/company/get-token', { body: { login: victim.login, password: 'victim-new' } });
    p.check(r.status === 200, `the password is the one changed for real: ${h.describeRes(r)}`);

    await by.stop();
    // A's figures are what they were, bystanders' messages aside
    const afterR = await h.api(srv.base, 'GET', `/api/reports/summary?${q(a.orgId)}`, { token: a.token });
    p.check(afterR.status === 200 && afterR.json.organization.conversationsStarted === before.json.organization.conversationsStarted,
      `A's summary after: ${h.describeRes(afterR)}`);
    await by.verify(t, p);
    p.assertNone('N2 expectations');
  });

  test('chathub backup / restore: every bad argument is a clear error and writes nothing', async (t) => {
    const p = new Problems();
    const root = h.makeTempDir('chathub-n2-');
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const data = path.join(root, 'data');
    const env = { CHATHUB_STORE_URL: '' }; // SQLite in this data directory, whatever the tier
    const cli = (args, dataDir) => h.cli(args, { dataDir, env });
    const made = await cli(['company', 'create', '--login', 'n2-cli', '--password', 'pw'], data);
    assert.equal(made.code, 0, made.stderr);
    const listing = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : null);
    const refused = (what, res, code, names) => p.check(res.code === code && /^error: /m.test(res.stderr) && names.test(res.stderr),
      `${what}: exit ${res.code} (expected ${code}) ${JSON.stringify(res.stderr.slice(0, 300))} (expected naming ${names})`);

    // missing argument
    refused('backup without a file', await cli(['backup'], data), 2, /file is required/);
    refused('restore without a file', await cli(['restore'], path.join(root, 'fresh0')), 2, /file is required/);
    p.check(listing(path.join(root, 'fresh0')) === null, 'restore without a file created no data directory');

    // unwritable paths: nothing written, not even a temporary file
    const aFile = path.join(root, 'plain-file');
    fs.writeFileSync(aFile, 'x');
    for (const [what, target, names] of [
      ['a missing directory', path.join(root, 'no', 'such', 'dir', 'b.db'), /no[/]such[/]dir|No such file/],
      ['under a plain file', path.join(aFile, 'b.db'), /plain-file|Not a directory/],
      ['a directory', root, /chathub-n2-|directory/i],
      ['the database itself', path.join(data, 'chathub.db'), /database itself/],
    ]) {
      const before = listing(root);
      const res = await cli(['backup', target], data);
      p.check(res.code !== 0 && /^error: /m.test(res.stderr), `backup to ${what}: exit ${res.code} ${JSON.stringify(res.stderr)}`);
      p.check(names.test(res.stderr), `backup to ${what} names the problem: ${JSON.stringify(res.stderr)}`);
      p.check(JSON.stringify(listing(root)) === JSON.stringify(before), `backup to ${what} left files: ${listing(root)}`);
    }
    p.check(fs.readFileSync(aFile, 'utf8') === 'x', 'the plain file is untouched');

    // a good backup, then files that are not one
    const good = path.join(root, 'good.db');
    const ok = await cli(['backup', good], data);
    p.check(ok.code === 0 && fs.existsSync(good), `a good backup: ${ok.stderr}`);
    const bytes = fs.readFileSync(good);
    const bads = {
      'random bytes': crypto.randomBytes(64 * 1024),
      'an empty file': Buffer.alloc(0),
      'a text file': Buffer.from('this is not a backup\n'.repeat(100)),
      'a truncated backup': bytes.subarray(0, Math.floor(bytes.length / 2)),
      'a backup cut after its header page': bytes.subarray(0, 4096 + 100),
      'a backup with a damaged page': Buffer.concat([bytes.subarray(0, 8192), crypto.randomBytes(4096), bytes.subarray(12288)]),
    };
    let i = 0;
    for (const [what, content] of Object.entries(bads)) {
      const file = path.join(root, `bad-${++i}.db`);
      fs.writeFileSync(file, content);
      const target = path.join(root, `restored-${i}`);
      const res = await cli(['restore', file], target);
      refused(`restore of ${what}`, res, 1, /not a SQLite database|integrity|not a ChatHub|malformed|corrupt|too small|database|backup/i);
      p.check(/nothing was restored/.test(res.stderr), `restore of ${what} says nothing was restored: ${JSON.stringify(res.stderr)}`);
      const left = listing(target);
      p.check(left === null, `restore of ${what} left ${JSON.stringify(left)} in a data directory that did not exist`);
      p.check(Buffer.compare(fs.readFileSync(file), content) === 0, `restore of ${what} did not change the file`);
    }
    // a missing file, and an empty data directory stays empty
    const empty = path.join(root, 'empty-dir');
    fs.mkdirSync(empty);
    refused('restore of a missing file', await cli(['restore', path.join(root, 'nope.db')], empty), 1, /nope\.db/);
    p.check(JSON.stringify(listing(empty)) === '[]', `the empty data directory stays empty: ${listing(empty)}`);

    // a non-empty data directory: refused and left as it was
    const dataBefore = listing(data);
    const dbBefore = fs.readFileSync(path.join(data, 'chathub.db'));
    refused('restore into a non-empty data directory', await cli(['restore', good], data), 1, /not empty/);
    p.check(JSON.stringify(listing(data)) === JSON.stringify(dataBefore), `the data directory's files: ${listing(data)}`);
    p.check(Buffer.compare(fs.readFileSync(path.join(data, 'chathub.db')), dbBefore) === 0, 'the database is untouched');

    // and the good backup restores
    const fresh = path.join(root, 'fresh');
    const res = await cli(['restore', good], fresh);
    p.check(res.code === 0 && fs.existsSync(path.join(fresh, 'chathub.db')), `restore of the good backup: ${res.stderr}`);
    p.assertNone('N2 CLI expectations');
  });
});
