'use strict';
// L6: an admin password need not appear on a command line (where other
// local users see it in /proc/*/cmdline): `chathub company create --login L`
// reads it from standard input, or from CHATHUB_COMPANY_PASSWORD.

const { describe, test } = require('node:test');
const h = require('../e2e/lib/harness');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

describe('L6 CLI password', () => {
  test('company create takes its password from stdin and from CHATHUB_COMPANY_PASSWORD', async (t) => {
    const { srv, by } = await stage(t);
    const p = new Problems();
    by.start();
    const ways = [
      ['stdin', 'l6-stdin', 'password from stdin', (pw) => ({ input: `${pw}\n` })],
      ['CHATHUB_COMPANY_PASSWORD', 'l6-env', 'password from the environment', (pw) => ({ env: { CHATHUB_COMPANY_PASSWORD: pw } })],
    ];
    const seen = [];
    for (const [how, login, pw, opts] of ways) {
      const r = await h.cli(['company', 'create', '--login', login], { dataDir: srv.dataDir, ...opts(pw) });
      p.check(r.code === 0, `company create with the password from ${how}: exit ${r.code} ${r.stderr.trim()}`);
      const res = await h.api(srv.base, 'POST', '/api/company/get-token', { body: { login, password: pw } });
      p.check(res.status === 200, `login with the password given through ${how}: ${h.describeRes(res)}`);
      seen.push(`${how}: exit ${r.code}, login ${res.status}`);
    }
    await by.stop();
    t.diagnostic(seen.join('; '));
    await by.verify(t, p);
    p.assertNone('L6 expectations');
  });
});
