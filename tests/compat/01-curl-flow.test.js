'use strict';
// The public API pages' curl flow (snippets/curl-flow.sh), run with bash and
// curl against the server with only the base URL changed.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const h = require('../e2e/lib/harness');
const { snippet } = require('./lib/compat');

describe('the public curl flow', () => {
  let srv;
  let co;
  before(async () => {
    srv = await h.startServer();
    co = await h.makeCompany(srv, 'curlco');
  });
  after(async () => { if (srv) await srv.stop(); });

  test('runs as written: company token, organizations, operators, synchronize, 30-day token, validate, status', async () => {
    const r = spawnSync('bash', ['-c', snippet('curl-flow.sh', srv.base)], {
      env: { ...process.env, LOGIN: 'curlco', PASSWORD: co.password }, encoding: 'utf8', timeout: 60000,
    });
    assert.equal(r.status, 0, `curl flow failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /curl flow: ok/);
    assert.match(r.stdout, /operators: \[/);
    const ops = await h.listOperators(srv, co.token, co.orgId);
    assert.deepEqual(ops.map((o) => [o.name, o.status]).filter(([n]) => /^Operator /.test(n)),
      [['Operator 1', 0], ['Operator 2', 1]]);
  });
});
