'use strict';
// What other local users of the machine can see: company passwords never need
// the command line (environment or standard input instead of --password), and
// the data directory and its database, secret and config files are private.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/harness');

const mode = (p) => fs.statSync(p).mode & 0o777;
const oct = (m) => `0${m.toString(8)}`;

describe('company passwords off the command line', () => {
  let srv;
  before(async () => { srv = await h.startServer(); });
  after(async () => { if (srv) await srv.stop(); });

  const login = (l, password) => h.api(srv.base, 'POST', '/api/company/get-token', { body: { login: l, password } });
  const run = (args, opts = {}) => h.cli(args, { dataDir: srv.dataDir, ...opts });

  test('company create reads the password from standard input', async () => {
    const r = await run(['company', 'create', '--login', 'stdinco'], { input: 'from stdin pw\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(h.parseId(r.stdout) > 0, r.stdout);
    assert.doesNotMatch(r.stderr, /warning/i, r.stderr);
    await h.companyToken(srv.base, 'stdinco', 'from stdin pw');
    // a CRLF line ending is not part of the password
    const crlf = await run(['company', 'create', '--login', 'crlfco'], { input: 'crlf pw\r\n' });
    assert.equal(crlf.code, 0, crlf.stderr);
    await h.companyToken(srv.base, 'crlfco', 'crlf pw');
  });

  test('company create reads CHATHUB_COMPANY_PASSWORD first', async () => {
    const r = await run(['company', 'create', '--login', 'envco'],
      { env: { CHATHUB_COMPANY_PASSWORD: 'from env pw' }, input: 'ignored stdin pw\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /warning/i, r.stderr);
    await h.companyToken(srv.base, 'envco', 'from env pw');
    h.assertError(await login('envco', 'ignored stdin pw'), 401, 2004);
  });

  test('company passwd through standard input and through the environment', async () => {
    await h.createCompany(srv, 'rotateco', 'first pw');
    const a = await run(['company', 'passwd', '--login', 'rotateco'], { input: 'second pw\n' });
    assert.equal(a.code, 0, a.stderr);
    h.assertError(await login('rotateco', 'first pw'), 401, 2004);
    await h.companyToken(srv.base, 'rotateco', 'second pw');
    const b = await run(['company', 'passwd', '--login', 'rotateco'], { env: { CHATHUB_COMPANY_PASSWORD: 'third pw' } });
    assert.equal(b.code, 0, b.stderr);
    h.assertError(await login('rotateco', 'second pw'), 401, 2004);
    await h.companyToken(srv.base, 'rotateco', 'third pw');
  });

  test('no password anywhere: a clear error, exit 2, nothing created or changed', async () => {
    for (const [what, opts] of [['stdin /dev/null', {}], ['empty line', { input: '\n' }], ['empty stdin', { input: '' }],
      ['empty variable', { env: { CHATHUB_COMPANY_PASSWORD: '' }, input: '' }]]) {
      const r = await run(['company', 'create', '--login', 'nopwco'], opts);
      assert.equal(r.code, 2, `${what}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /password/i, what);
      assert.match(r.stderr, /CHATHUB_COMPANY_PASSWORD/, what);
      assert.match(r.stderr, /standard input/, what);
    }
    h.assertError(await login('nopwco', 'x'), 401, 2004);
    await h.createCompany(srv, 'keepco', 'keep pw');
    const p = await run(['company', 'passwd', '--login', 'keepco']);
    assert.equal(p.code, 2, p.stderr);
    await h.companyToken(srv.base, 'keepco', 'keep pw');
  });

  test('--password still works (tests), with one warning line; --help says so', async () => {
    const r = await run(['company', 'create', '--login', 'flagco', '--password', 'flag pw']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.trim());
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /warning: --password is visible to other local users/);
    await h.companyToken(srv.base, 'flagco', 'flag pw');
    for (const cmd of [['company', 'create'], ['company', 'passwd']]) {
      const help = await h.cli([...cmd, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /--password PASSWORD +\(tests only: visible to other local users in ps\)/);
      assert.match(help.stdout, /CHATHUB_COMPANY_PASSWORD/);
      assert.match(help.stdout, /standard input/);
    }
  });
});

describe('private data files', () => {
  // inherently SQLite: the database and secret files in the data directory
  test('a new data directory and everything in it is private (SQLite files)', { skip: h.SQLITE_ONLY }, async () => {
    const dir = path.join(h.makeTempDir(), 'data');
    const srv = await h.startServer({ dataDir: dir });
    try {
      await h.createCompany(srv, 'modeco'); // a write: the WAL exists
      assert.equal(oct(mode(dir)), '0700');
      for (const f of ['chathub.db', 'chathub.db-wal', 'chathub.db-shm', 'jwt-secret']) {
        const p = path.join(dir, f);
        if (fs.existsSync(p)) assert.equal(oct(mode(p)), '0600', f);
        else assert.ok(f !== 'chathub.db' && f !== 'jwt-secret', `${f} exists`);
      }
      assert.doesNotMatch(srv.stderr(), /group\/other/, srv.stderr());
    } finally {
      await srv.stop();
    }
  });

  test('serve and the admin commands take group/other access off an existing data directory, with a warning (SQLite files)', { skip: h.SQLITE_ONLY }, async () => {
    const dir = path.join(h.makeTempDir(), 'data');
    let r = await h.cli(['migrate'], { dataDir: dir });
    assert.equal(r.code, 0, r.stderr);
    fs.writeFileSync(path.join(dir, 'chathub.conf'), '# settings\nlog_level = warn\n');
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(path.join(dir, 'chathub.db'), 0o644);
    fs.chmodSync(path.join(dir, 'chathub.conf'), 0o640);
    r = await h.cli(['migrate'], { dataDir: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} had mode 0755.*0700`));
    assert.match(r.stderr, /chathub\.db had mode 0644.*0600/);
    assert.match(r.stderr, /chathub\.conf had mode 0640.*0600/);
    assert.equal(oct(mode(dir)), '0700');
    assert.equal(oct(mode(path.join(dir, 'chathub.db'))), '0600');
    assert.equal(oct(mode(path.join(dir, 'chathub.conf'))), '0600');

    // the server does it too, jwt-secret included
    const srv = await h.startServer({ dataDir: dir });
    await srv.stop();
    fs.chmodSync(dir, 0o750);
    fs.chmodSync(path.join(dir, 'jwt-secret'), 0o644);
    fs.chmodSync(path.join(dir, 'chathub.db'), 0o666);
    await srv.start();
    try {
      assert.match(srv.stderr(), /had mode 0750.*0700/);
      assert.match(srv.stderr(), /jwt-secret had mode 0644.*0600/);
      assert.match(srv.stderr(), /chathub\.db had mode 0666.*0600/);
      assert.equal(oct(mode(dir)), '0700');
      assert.equal(oct(mode(path.join(dir, 'jwt-secret'))), '0600');
      assert.equal(oct(mode(path.join(dir, 'chathub.db'))), '0600');
    } finally {
      await srv.stop();
    }
    // once private, no more warnings
    r = await h.cli(['migrate'], { dataDir: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /had mode/, r.stderr);
  });

  test('a config file elsewhere that others can read: a warning only', async () => {
    const tmp = h.makeTempDir();
    const conf = path.join(tmp, 'shared.conf');
    fs.writeFileSync(conf, 'log_level = warn\n');
    fs.chmodSync(conf, 0o644);
    const r = await h.cli(['migrate', '--config', conf], { dataDir: path.join(tmp, 'data') });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /config file .*shared\.conf has mode 0644/);
    assert.equal(oct(mode(conf)), '0644', 'left as it is');
  });
});
