'use strict';
// A ChatHub cluster for the cluster tests: scripts/cluster.sh (a private
// PostgreSQL and Redis, fsync off, three `chathub serve` processes, haproxy in
// front) in a temporary directory on a free port. The handle looks like the
// e2e harness's Server where that makes sense (base, port, dataDir, sql(),
// stop()), plus the cluster's own controls: node bases, kill -9 / restart of
// one node, restart of Redis or PostgreSQL. Every cluster started here is
// stopped when the test process exits, whatever happened.

const assert = require('node:assert/strict');
const { execFile, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const h = require('../../e2e/lib/harness');

const SCRIPT = path.join(h.REPO, 'scripts', 'cluster.sh');
const SERVICES = path.join(h.REPO, 'scripts', 'services.sh');
const NODES = [1, 2, 3];
const running = new Set(); // dirs of clusters not stopped yet

process.on('exit', () => {
  for (const dir of running) {
    try { execFileSync(SCRIPT, ['stop', '--dir', dir], { stdio: 'ignore', timeout: 60000 }); } catch { /* best effort */ }
  }
});

function run(file, args, env, timeoutMs = 120000) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: h.REPO, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => (err ? reject(new Error(`${path.basename(file)} ${args.join(' ')}: ${stderr || err.message}`))
        : resolve({ stdout, stderr })));
  });
}

class Cluster {
  // opts.env: more environment for every node (on top of the harness's
  // DEFAULT_ENV); opts.args: more `serve` flags for every node; opts.port:
  // the balancer's port (known before the start, e.g. for a public_url that
  // names it), else a free one.
  constructor(opts = {}) {
    this.dir = h.makeTempDir('chathub-cluster-');
    // the CLI's data directory (the CLI makes its data directory private:
    // never the cluster's, which the postgres user must traverse)
    this.dataDir = h.makeTempDir('chathub-cluster-cli-');
    this.env = { ...process.env, ...h.DEFAULT_ENV, ...(opts.env || {}), CHATHUB_BIN: h.BIN };
    delete this.env.CHATHUB_TEST_PG;
    delete this.env.CHATHUB_TEST_REDIS;
    if (opts.args && opts.args.length) this.env.CLUSTER_ARGS = opts.args.join(' ');
    this.port = opts.port || null;
    this.base = null;
    this.cluster = true;
  }

  file(name) { return fs.readFileSync(path.join(this.dir, name), 'utf8').trim(); }

  async start() {
    if (!this.port) this.port = await h.freePort();
    running.add(this.dir);
    await run(SCRIPT, ['start', '--dir', this.dir, '--port', String(this.port), '--no-fsync', '--no-demo'], this.env);
    this.base = `http://127.0.0.1:${this.port}`;
    this.storeUrl = this.file('store-url');
    this.busUrl = this.file('bus-url');
    this.secret = this.file('jwt-secret');
    this.db = { url: this.storeUrl };
    h.setStoreEnv(this.dataDir, this.cliEnv());
    return this;
  }

  nodePort(n) { return Number(this.file(`node${n}.port`)); }
  nodeBase(n) { return `http://127.0.0.1:${this.nodePort(n)}`; }
  nodePid(n) { try { return Number(this.file(`node${n}.pid`)); } catch { return null; } }
  nodeAlive(n) {
    const pid = this.nodePid(n);
    try { process.kill(pid, 0); } catch { return false; }
    try { return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')); } catch { return false; }
  }
  nodeLog(n) { try { return fs.readFileSync(path.join(this.dir, `node${n}.log`), 'utf8'); } catch { return ''; } }
  // The nodes' logs, each line prefixed with its node (the harness's stderr()).
  stderr() { return NODES.map((n) => this.nodeLog(n).replace(/^(?=.)/gm, `node${n}: `)).join(''); }
  stdout() { return ''; }
  get pid() { return this.nodePid(1); }
  get pids() { return NODES.map((n) => this.nodePid(n)); }
  running() { return running.has(this.dir) && NODES.every((n) => this.nodeAlive(n)); }
  // The key every node signs tokens with (cluster.sh passes the hex text itself).
  tokenKey() { return Buffer.from(this.secret, 'utf8'); }
  // Environment for the CLI on this cluster's database.
  cliEnv() { return { CHATHUB_STORE_URL: this.storeUrl, CHATHUB_BUS_URL: this.busUrl, CHATHUB_JWT_SECRET: this.secret }; }

  async kill(n) { await run(SCRIPT, ['kill', String(n), '--dir', this.dir], this.env); }
  async restart(n) { await run(SCRIPT, ['restart', String(n), '--dir', this.dir], this.env); }
  // Restarts Redis or PostgreSQL on the same port (what = 'redis' | 'pg').
  async restartService(what) { await run(SERVICES, ['restart', what, '--dir', path.join(this.dir, 'services')], this.env); }

  // Rows of one SELECT on the cluster's database, as objects.
  async sql(query) {
    const { stdout } = await run('psql', [this.storeUrl, '-v', 'ON_ERROR_STOP=1', '-qAtX', '-c',
      `SELECT coalesce(json_agg(q), '[]'::json) FROM (${query}) q`], this.env, 30000);
    return JSON.parse(stdout);
  }

  // Stops haproxy, the nodes and the services; fails when a node had died
  // on its own (a crash is a failure of whatever ran before).
  async stop() {
    if (!running.has(this.dir)) return;
    const dead = NODES.filter((n) => !this.nodeAlive(n));
    const logs = dead.map((n) => `node${n} log:\n${this.nodeLog(n).slice(-3000)}`).join('\n');
    await run(SCRIPT, ['stop', '--dir', this.dir], this.env);
    running.delete(this.dir);
    assert.deepEqual(dead, [], `nodes exited on their own\n${logs}`);
  }

  async kill9() { throw new Error('a cluster handle has no single process to kill: use kill(n)'); }
}

async function startCluster(opts = {}) {
  const c = new Cluster(opts);
  await c.start();
  return c;
}

module.exports = { Cluster, startCluster, NODES };
