'use strict';
// Backup and restore (SQLite): `chathub backup FILE` taken while visitors keep
// writing gives a copy consistent as of one commit; `chathub restore FILE`
// into a new data directory serves it. A PostgreSQL store is refused with the
// pg_dump pointer.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/harness');
const hub = require('./lib/hub');

const VISITORS = 5;
// the visitors write as fast as they are answered
const env = {
  CHATHUB_HUB_INVOCATIONS_PER_SECOND: '100000', CHATHUB_HUB_INVOCATION_BURST: '100000',
  CHATHUB_HUB_PRINCIPAL_INVOCATIONS_PER_SECOND: '100000', CHATHUB_HUB_PRINCIPAL_INVOCATION_BURST: '100000',
};

describe('backup and restore (SQLite)', { skip: h.SQLITE_ONLY }, () => {
  let srv;
  let srv2;
  let fx;
  const visitors = [];
  const work = h.makeTempDir('chathub-backup-');
  const file = path.join(work, 'chathub-backup.db');
  let restoredDir;
  let original; // chatId -> messages on the original server after the load
  let ackedBefore; // chatId -> messages acknowledged before the backup started

  before(async () => {
    srv = await h.startServer({ single: true, sqlite: true, env });
    fx = await hub.makeOrgFixture(srv, 'backupco', { operators: 1 });
    for (let i = 0; i < VISITORS; i++) visitors.push(await hub.visitorChat(srv, fx.guid, `v${i} m0`, { name: `Visitor ${i}` }));
  });
  after(async () => {
    await hub.closeAllClients();
    if (srv2) await srv2.stop();
    if (srv) await srv.stop();
  });

  test('a backup taken under a load of messages is complete as of its start and written 0600', async () => {
    let stop = false;
    const acked = new Map(visitors.map((v) => [v.chatId, 1]));
    const loops = visitors.map(async (v, i) => {
      for (let k = 1; !stop; k++) {
        await v.invoke('SendMessage', v.chatId, `v${i} m${k}`, crypto.randomUUID());
        acked.set(v.chatId, acked.get(v.chatId) + 1);
      }
    });
    await h.sleep(400);
    ackedBefore = new Map(acked);
    const r = await h.cli(['backup', file], { dataDir: srv.dataDir });
    await h.sleep(300); // the load goes on after the backup
    stop = true;
    for (const l of await Promise.allSettled(loops)) assert.equal(l.status, 'fulfilled', String(l.reason));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /backup of .* written to /);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(work), ['chathub-backup.db'], 'no temporary file is left');
    original = new Map();
    for (const v of visitors) original.set(v.chatId, await hub.allMessages(srv, fx.token, v.chatId));
    for (const v of visitors) assert.equal(original.get(v.chatId).length, acked.get(v.chatId));
  });

  test('GET /metrics shows when the last backup was made', async () => {
    const r = await h.api(srv.base, 'GET', '/metrics');
    assert.equal(r.status, 200);
    const m = /^chathub_last_backup_timestamp_seconds (\S+)$/m.exec(r.text);
    assert.ok(m, r.text.slice(-500));
    const at = Number(m[1]) * 1000;
    assert.ok(at > Date.now() - 60e3 && at <= Date.now(), `${m[1]} is the backup's time`);
  });

  test('restored into a new data directory, every transcript is a gap-free prefix of the original', async () => {
    restoredDir = path.join(h.makeTempDir(), 'restored');
    const r = await h.cli(['restore', file], { dataDir: restoredDir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /restored .* \(schema version \d+\)/);
    // the same JWT secret: tokens issued by the original keep working
    fs.copyFileSync(path.join(srv.dataDir, 'jwt-secret'), path.join(restoredDir, 'jwt-secret'));
    srv2 = await h.startServer({ dataDir: restoredDir, single: true, env });
    const fresh = h.makeTempDir();
    const s3 = await h.startServer({ dataDir: fresh, single: true });
    const m = await h.api(s3.base, 'GET', '/metrics');
    await s3.stop();
    assert.match(m.text, /^chathub_last_backup_timestamp_seconds 0(\.0+)?$/m, 'none recorded: 0');
    let total = 0;
    let totalOriginal = 0;
    for (const v of visitors) {
      const orig = original.get(v.chatId);
      const got = await hub.allMessages(srv2, fx.token, v.chatId);
      hub.assertContiguous(got, 1, `restored messages of chat ${v.chatId}`);
      assert.ok(got.length >= ackedBefore.get(v.chatId),
        `chat ${v.chatId}: the ${ackedBefore.get(v.chatId)} messages acknowledged before the backup are in it (${got.length})`);
      assert.deepEqual(got, orig.slice(0, got.length), `chat ${v.chatId}: a prefix of the original`);
      total += got.length;
      totalOriginal += orig.length;
    }
    assert.ok(total < totalOriginal, `messages written after the backup are not in it (${total} < ${totalOriginal})`);
  });

  test('a visitor\'s Sync works against the restored server, and it takes new messages', async () => {
    const v = visitors[0];
    const restored = await hub.allMessages(srv2, fx.token, v.chatId);
    const c = await hub.connectHub(srv2.base, v.session.visitorToken, { label: 'visitor on the restored server' });
    const from = Math.max(0, restored.length - 100); // Sync gives at most 1,000 messages
    const s = await c.invoke('Sync', { chats: { [v.chatId]: from } });
    assert.equal(s.truncated, false);
    const sc = s.chats.find((x) => x.id === v.chatId);
    assert.ok(sc, 'Sync lists the chat');
    assert.equal(sc.lastSeq, restored.length);
    assert.deepEqual(s.messages.filter((m) => m.chatId === v.chatId), restored.slice(from));
    const m = await c.invoke('SendMessage', v.chatId, 'after the restore', crypto.randomUUID());
    assert.equal(m.seq, restored.length + 1);
    await c.stop();
  });

  test('restore into a non-empty data directory is refused and changes nothing', async () => {
    const before1 = fs.readdirSync(restoredDir).sort();
    const r = await h.cli(['restore', file], { dataDir: restoredDir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /data directory .* is not empty: restore only into a new or empty data directory/);
    assert.deepEqual(fs.readdirSync(restoredDir).sort(), before1);
  });

  test('a file that is not a ChatHub database is refused', async () => {
    const junk = path.join(work, 'junk.db');
    fs.writeFileSync(junk, 'this is not a database\n'.repeat(400));
    const dir = path.join(h.makeTempDir(), 'd');
    let r = await h.cli(['restore', junk], { dataDir: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not a SQLite database/);
    assert.ok(!fs.existsSync(path.join(dir, 'chathub.db')));
    r = await h.cli(['restore', path.join(work, 'missing.db')], { dataDir: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not a file/);
    const other = path.join(work, 'other.db');
    execFileSync('sqlite3', [other, 'CREATE TABLE t (x)']);
    r = await h.cli(['restore', other], { dataDir: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is a SQLite database but not a ChatHub one/);
  });

  test('a backup of a newer schema than this chathub knows is refused', async () => {
    const newer = path.join(work, 'newer.db');
    fs.copyFileSync(file, newer);
    execFileSync('sqlite3', [newer, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future', 0)"]);
    const dir = path.join(h.makeTempDir(), 'd');
    const r = await h.cli(['restore', newer], { dataDir: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /has schema version 9999, newer than this chathub's \d+: restore it with a newer chathub/);
    assert.ok(!fs.existsSync(path.join(dir, 'chathub.db')));
  });

  test('backup and restore without a file: usage error', async () => {
    for (const cmd of ['backup', 'restore']) {
      const r = await h.cli([cmd], { dataDir: srv.dataDir });
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`the file is required: chathub ${cmd} FILE`));
      const help = await h.cli([cmd, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, new RegExp(`^usage: chathub ${cmd} FILE`));
    }
  });
});

describe('backup and restore with PostgreSQL', () => {
  test('refused with the pointer to pg_dump / pg_restore, the password masked', async () => {
    const url = 'postgresql://chathub:s3cret@127.0.0.1:1/chathub';
    const file = path.join(h.makeTempDir(), 'x.db');
    const b = await h.cli(['backup', file, '--store-url', url]);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /is a PostgreSQL database: chathub backup works on SQLite only; back it up with pg_dump -Fc/);
    assert.match(b.stderr, /docs\/deploy\.md/);
    assert.ok(!b.stderr.includes('s3cret'), b.stderr);
    assert.ok(!fs.existsSync(file));
    const r = await h.cli(['restore', file, '--store-url', url, '--data-dir', h.makeTempDir()]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /restore a pg_dump -Fc file with pg_restore/);
  });
});
