'use strict';
// L5: the data directory and its files are private to the server's user:
// a directory that exists with mode 0755 is 0700 once the server started;
// chathub.db, jwt-secret (and -wal/-shm when present) are 0600.

const { describe, test } = require('node:test');
const fs = require('node:fs');
const path = require('node:path');
const h = require('../e2e/lib/harness');
const { stage } = require('./lib/bystanders');
const { Problems } = require('./lib/problems');

const mode = (p) => (fs.statSync(p).mode & 0o777).toString(8).padStart(4, '0');

describe('L5 data file modes', () => {
  // inherently SQLite: the database and secret files in the data directory
  test('a 0755 data directory becomes 0700; SQLite database and secret files are 0600', { skip: h.SQLITE_ONLY }, async (t) => {
    const dataDir = h.makeTempDir('chathub-hostile-l5-');
    fs.chmodSync(dataDir, 0o755);
    const { srv, by } = await stage(t, { serverOpts: { dataDir } });
    const p = new Problems();
    by.start();
    await by.stop();
    const seen = [`${path.basename(dataDir)}/ ${mode(dataDir)}`];
    p.check(mode(dataDir) === '0700', `data directory mode ${mode(dataDir)} (expected 0700)`);
    for (const f of ['chathub.db', 'jwt-secret', 'chathub.db-wal', 'chathub.db-shm']) {
      const fp = path.join(srv.dataDir, f);
      if (!fs.existsSync(fp)) {
        p.check(f.includes('-'), `${f} does not exist`);
        continue;
      }
      seen.push(`${f} ${mode(fp)}`);
      p.check(mode(fp) === '0600', `${f} mode ${mode(fp)} (expected 0600)`);
    }
    t.diagnostic(seen.join(', '));
    await by.verify(t, p);
    p.assertNone('L5 expectations');
  });
});
