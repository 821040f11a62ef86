'use strict';
// End-to-end harness: runs the real `chathub` binary on a free port with a
// temporary data directory, plus small HTTP and CLI helpers.
// Node 20 built-ins only.
//
// Store and bus: with CHATHUB_TEST_PG set (a PostgreSQL URL, as
// scripts/services.sh prints it) every server's data directory gets its own
// fresh database (CREATE DATABASE t_<random>, with psql), kept across restarts
// and new servers on the same directory, dropped when the test process exits;
// the server and the CLI on that directory get `--store-url` (CHATHUB_STORE_URL)
// and a JWT secret of their own (every process on one database shares it).
// With CHATHUB_TEST_REDIS set the server also gets `--bus-url`. Tests about
// the SQLite file itself skip with `{ skip: h.SQLITE_ONLY }` and say "SQLite"
// in their name.

const assert = require('node:assert/strict');
const { spawn, execFile, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const openapi = require('./openapi');

const REPO = path.resolve(__dirname, '..', '..', '..');
const BIN = process.env.CHATHUB_BIN || path.join(REPO, 'build', 'chathub');

const DEFAULT_ENV = {
  CHATHUB_PASSWORD_HASH_COST: 'min',
  CHATHUB_LOGIN_RATE_PER_MINUTE: '100000',
  // every test visitor comes from 127.0.0.1; tests of the limit set their own
  CHATHUB_SESSION_RATE_PER_MINUTE: '1000000',
  CHATHUB_LOG_LEVEL: 'warn',
};

const REASON = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large',
  415: 'Unsupported Media Type', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

const TEST_PG = process.env.CHATHUB_TEST_PG || '';
const TEST_REDIS = process.env.CHATHUB_TEST_REDIS || '';
// `{ skip: h.SQLITE_ONLY }` on a test about the SQLite file or data directory
const SQLITE_ONLY = TEST_PG ? 'about the SQLite file: runs without CHATHUB_TEST_PG' : false;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sleepUntil = (epochMs) => sleep(Math.max(0, epochMs - Date.now()));

// ---- process bookkeeping: never leave a server behind ---------------------
const live = new Set();      // child processes still running
const tmpDirs = new Set();   // data dirs to remove at exit
const databases = new Map(); // data dir -> {name, url, secret, created} (CHATHUB_TEST_PG)
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  dropDatabases();
  if (!process.env.CHATHUB_E2E_KEEP) {
    for (const d of tmpDirs) {
      try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* ignore */ }
    }
  }
});

function makeTempDir(prefix = 'chathub-e2e-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.add(d);
  return d;
}

// ---- PostgreSQL databases (CHATHUB_TEST_PG) ---------------------------------
// The URL of database `name` on the CHATHUB_TEST_PG server.
function pgUrl(name) {
  const u = new URL(TEST_PG);
  u.pathname = `/${name}`;
  return u.toString();
}

function psql(url, sql) {
  return new Promise((resolve, reject) => {
    execFile('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtX', '-c', sql], { encoding: 'utf8', timeout: 30000 },
      (err, stdout, stderr) => (err ? reject(new Error(`psql: ${sql}: ${stderr || err.message}`)) : resolve(stdout)));
  });
}

// The database of one data directory (created on first use).
function databaseOf(dataDir) {
  let db = databases.get(dataDir);
  if (!db) {
    const name = `t_${crypto.randomBytes(8).toString('hex')}`;
    db = { name, url: pgUrl(name), secret: crypto.randomBytes(24).toString('hex'), created: null };
    databases.set(dataDir, db);
  }
  if (!db.created) {
    db.created = psql(TEST_PG, `CREATE DATABASE ${db.name}`);
    db.created.catch(() => { /* start() reports it */ });
  }
  return db;
}

// At exit (synchronous): every database this process created, with the
// connections of servers killed a moment ago forced off.
function dropDatabases() {
  if (!TEST_PG || !databases.size || process.env.CHATHUB_E2E_KEEP) return;
  const args = [TEST_PG, '-qAtX'];
  for (const db of databases.values()) if (db.created) args.push('-c', `DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
  try { execFileSync('psql', args, { stdio: 'ignore', timeout: 30000 }); } catch { /* best effort */ }
}

// Environment naming the store (and bus) of dataDir's database for the CLI.
const storeEnvs = new Map(); // data dir -> environment (a cluster's, tests/cluster/lib)
function setStoreEnv(dataDir, env) { storeEnvs.set(dataDir, env); }
function storeEnv(dataDir) {
  if (dataDir && storeEnvs.has(dataDir)) return storeEnvs.get(dataDir);
  const db = dataDir && databases.get(dataDir);
  if (!db) return {};
  return { CHATHUB_STORE_URL: db.url, ...(TEST_REDIS ? { CHATHUB_BUS_URL: TEST_REDIS } : {}) };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function waitExit(child, timeoutMs) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode, timedOut: false });
      return;
    }
    let timer = null;
    const onExit = (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, timedOut: false });
    };
    child.once('exit', onExit);
    if (timeoutMs) {
      timer = setTimeout(() => {
        child.removeListener('exit', onExit);
        resolve({ code: null, signal: null, timedOut: true });
      }, timeoutMs);
    }
  });
}

class Server {
  constructor(dataDir, opts) {
    this.dataDir = dataDir;
    this.env = { ...process.env, ...DEFAULT_ENV, ...(opts.env || {}) };
    this.args = opts.args || [];
    this.child = null;
    this.port = opts.port || null; // a port of its own unless given (processes sharing one port)
    this.base = null;
    this._stdout = '';
    this._stderr = '';
    this.runStdout = ''; // stdout of the current run only
    // optional: a shell prefix run before the binary (e.g. `ulimit -Hn 256`),
    // which then `exec`s it so the pid stays the server's
    this.shell = opts.shell || null;
    // optional: keep at most this many bytes of stderr (a flooding server
    // must not fill the test's memory); stderrLines counts every line
    this.maxStderr = opts.maxStderr || Infinity;
    this.stderrLines = 0;
    // CHATHUB_TEST_PG: this data directory's database; opts.sqlite keeps SQLite
    this.db = TEST_PG && !opts.sqlite ? databaseOf(dataDir) : null;
  }

  get dbPath() { return path.join(this.dataDir, 'chathub.db'); }
  get storeUrl() { return this.db ? this.db.url : ''; }
  // The key signing this server's tokens: the configured jwt_secret, else
  // the data directory's generated jwt-secret file.
  tokenKey() {
    if (this.env.CHATHUB_JWT_SECRET) return Buffer.from(this.env.CHATHUB_JWT_SECRET, 'utf8');
    return Buffer.from(fs.readFileSync(path.join(this.dataDir, 'jwt-secret'), 'utf8').trim(), 'hex');
  }
  // Rows of one SELECT on the server's database (sqlite3 or psql), as objects.
  async sql(query) {
    if (this.db) {
      const out = await psql(this.db.url, `SELECT coalesce(json_agg(q), '[]'::json) FROM (${query}) q`);
      return JSON.parse(out);
    }
    const out = await new Promise((resolve, reject) => {
      execFile('sqlite3', ['-json', this.dbPath, query], { encoding: 'utf8' },
        (err, stdout, stderr) => (err ? reject(new Error(`sqlite3: ${stderr || err.message}`)) : resolve(stdout)));
    });
    return out.trim() ? JSON.parse(out) : [];
  }
  get pid() { return this.child ? this.child.pid : null; }
  stdout() { return this._stdout; }
  stderr() { return this._stderr; }
  running() { return !!this.child && this.child.exitCode === null && this.child.signalCode === null; }

  async start() {
    assert.ok(fs.existsSync(BIN), `chathub binary not found at ${BIN} (set CHATHUB_BIN)`);
    // the first start picks a free port; restarts keep it (clients reconnect to the same URL)
    if (!this.port) this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.runStdout = '';
    const store = [];
    if (this.db) {
      await this.db.created;
      store.push('--store-url', this.db.url);
      if (TEST_REDIS) store.push('--bus-url', TEST_REDIS);
      if (!this.env.CHATHUB_JWT_SECRET) this.env.CHATHUB_JWT_SECRET = this.db.secret;
    }
    const argv = ['serve', '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir, ...store, ...this.args];
    const child = this.shell
      ? spawn('sh', ['-c', `${this.shell}\nexec "$0" "$@"`, BIN, ...argv], { cwd: REPO, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(BIN, argv, { cwd: REPO, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    child.on('exit', () => live.delete(child));
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => { this._stdout += d; this.runStdout += d; });
    child.stderr.on('data', (d) => {
      for (let i = d.indexOf('\n'); i >= 0; i = d.indexOf('\n', i + 1)) this.stderrLines++;
      if (this._stderr.length < this.maxStderr) this._stderr += d.slice(0, this.maxStderr - this._stderr.length);
    });
    let spawnError = null;
    child.on('error', (e) => { spawnError = e; });

    const deadline = Date.now() + 10000;
    for (;;) {
      if (spawnError) throw new Error(`cannot start ${BIN}: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`server exited early (code ${child.exitCode}, signal ${child.signalCode}); `
          + `argv: ${argv.join(' ')}\nstderr:\n${this._stderr}\nstdout:\n${this._stdout}`);
      }
      try {
        const r = await fetch(`${this.base}/healthz`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        if (r.status === 200) return this;
      } catch { /* not up yet */ }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await waitExit(child, 5000);
        throw new Error(`server not ready within 10 s; argv: ${argv.join(' ')}\nstderr:\n${this._stderr}`);
      }
      await sleep(50);
    }
  }

  // SIGTERM; the server must exit with code 0.
  async stop() {
    const child = this.child;
    if (!child) return;
    if (!this.running()) {
      // it died on its own (crash, abort): that is a failure of whatever ran before
      this.child = null;
      assert.fail(`server exited unexpectedly (code ${child.exitCode}, signal ${child.signalCode})\nstderr:\n${this._stderr}`);
    }
    child.kill('SIGTERM');
    const r = await waitExit(child, 20000);
    this.child = null;
    if (r.timedOut) {
      child.kill('SIGKILL');
      await waitExit(child, 5000);
      assert.fail(`server did not exit within 20 s of SIGTERM\nstderr:\n${this._stderr}`);
    }
    assert.equal(r.signal, null, `server died of signal ${r.signal} after SIGTERM\nstderr:\n${this._stderr}`);
    assert.equal(r.code, 0, `server exit code after SIGTERM\nstderr:\n${this._stderr}`);
  }

  async kill9() {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await waitExit(child, 10000);
    this.child = null;
  }

  // Stops (SIGTERM, or nothing when already killed) and starts again on the
  // same port and data directory.
  async restart() {
    if (this.child) await this.stop();
    await this.start();
    return this;
  }

  // Waits until the current run's stdout contains text (or fails after ms).
  async waitStdout(text, ms = 10000) {
    const deadline = Date.now() + ms;
    while (!this.runStdout.includes(text)) {
      if (Date.now() > deadline) {
        assert.fail(`server stdout never contained ${JSON.stringify(text)}\nstdout:\n${this.runStdout}\nstderr:\n${this._stderr}`);
      }
      await sleep(50);
    }
  }
}

// CHATHUB_TEST_CLUSTER=1: startServer() gives a cluster (tests/cluster/lib:
// haproxy in front of three processes on one fresh PostgreSQL and Redis)
// whose base is the balancer, unless the test needs one process
// (opts.single, or a shell prefix, SQLite or a given data directory).
const TEST_CLUSTER = process.env.CHATHUB_TEST_CLUSTER === '1';
// `{ skip: h.SINGLE_ONLY }` on a test about one process's memory, files or peers
const SINGLE_ONLY = TEST_CLUSTER ? 'about one process: runs without CHATHUB_TEST_CLUSTER' : false;

async function startServer(opts = {}) {
  if (TEST_CLUSTER && !opts.single && !opts.shell && !opts.sqlite && !opts.dataDir) {
    return require('../../cluster/lib/cluster').startCluster(opts); // eslint-disable-line global-require
  }
  const dataDir = opts.dataDir || makeTempDir();
  const s = new Server(dataDir, opts);
  await s.start();
  return s;
}

// ---- CLI -------------------------------------------------------------------
// cli(['company', 'create', '--login', 'x', ...], {dataDir}) runs
// `chathub company create --data-dir DIR --login x ...`; opts.input is written
// to its standard input (else stdin is /dev/null).
function cli(args, opts = {}) {
  const argv = [...args];
  if (opts.dataDir) {
    let i = 0;
    while (i < argv.length && !String(argv[i]).startsWith('-')) i++;
    argv.splice(i, 0, '--data-dir', opts.dataDir);
  }
  const env = { ...process.env, ...DEFAULT_ENV, ...storeEnv(opts.dataDir), ...(opts.env || {}) };
  return new Promise((resolve, reject) => {
    const stdin = opts.input !== undefined ? 'pipe' : 'ignore';
    const child = spawn(BIN, argv.map(String), { cwd: REPO, env, stdio: [stdin, 'pipe', 'pipe'] });
    live.add(child);
    if (opts.input !== undefined) {
      child.stdin.on('error', () => { /* it may exit before reading */ });
      child.stdin.end(opts.input);
    }
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// The id a CLI `create` command printed: a bare number, or `id`-labelled, or
// the only number on its output.
function parseId(stdout) {
  const t = stdout.trim();
  if (/^\d+$/.test(t)) return Number(t);
  let m = /\bid\b\D{0,3}(\d+)/i.exec(t);
  if (m) return Number(m[1]);
  const nums = t.match(/(?<![\w.-])\d+(?![\w.-])/g) || [];
  assert.ok(nums.length >= 1, `no id in CLI output: ${JSON.stringify(stdout)}`);
  return Number(nums[0]);
}

// ---- HTTP ------------------------------------------------------------------
// One request; resolves with {status, headers, text, json}. The response is
// checked against web/openapi.json (lib/openapi.js): a status, content type,
// body or required header the spec does not document fails the test, unless
// opts.validate is false.
async function api(base, method, p, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  if (opts.token !== undefined && opts.token !== null) headers.Authorization = `Bearer ${opts.token}`;
  let body;
  if (opts.rawBody !== undefined) {
    body = typeof opts.rawBody === 'string' ? Buffer.from(opts.rawBody, 'utf8') : opts.rawBody;
  } else if (opts.body !== undefined) {
    body = Buffer.from(JSON.stringify(opts.body), 'utf8');
    const hasCt = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
    if (!hasCt) headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(base + p, {
    method, headers, body, redirect: 'manual',
    signal: AbortSignal.timeout(opts.timeoutMs || 30000),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  // every response agrees with web/openapi.json, unless the test makes it malformed on purpose
  if (opts.validate !== false) {
    const problem = openapi.checkResponse(method, base + p, res.status, res.headers, text);
    if (problem) throw new assert.AssertionError({ message: problem, stackStartFn: api });
  }
  return { status: res.status, headers: res.headers, text, json };
}

// fetch() whose response is checked against web/openapi.json as api()'s are
// (for tests written like the public samples, with fetch itself).
async function specFetch(url, init = {}) {
  const res = await fetch(url, init);
  const text = await res.clone().text();
  const problem = openapi.checkResponse((init.method || 'GET').toUpperCase(), String(url), res.status, res.headers, text);
  if (problem) throw new assert.AssertionError({ message: problem, stackStartFn: specFetch });
  return res;
}

function describeRes(res) {
  return `HTTP ${res.status} ${res.headers.get('content-type') || ''} ${res.text.slice(0, 500)}`;
}

// Asserts the uniform error shape.
function assertError(res, status, code, messageIncludes) {
  const d = describeRes(res);
  assert.equal(res.status, status, `status: ${d}`);
  const ct = res.headers.get('content-type') || '';
  assert.match(ct, /^application\/json\b/i, `content-type: ${d}`);
  assert.ok(res.json && typeof res.json === 'object' && !Array.isArray(res.json), `JSON object body: ${d}`);
  assert.equal(res.json.status, status, `body.status: ${d}`);
  if (REASON[status]) assert.equal(res.json.error, REASON[status], `body.error: ${d}`);
  assert.equal(typeof res.json.message, 'string', `body.message: ${d}`);
  assert.ok(res.json.message.length > 0, `body.message non-empty: ${d}`);
  if (code !== undefined) {
    if (Array.isArray(code)) assert.ok(code.includes(res.json.code), `body.code in ${code}: ${d}`);
    else assert.equal(res.json.code, code, `body.code: ${d}`);
  }
  if (messageIncludes) {
    assert.ok(res.json.message.includes(messageIncludes),
      `message should name ${JSON.stringify(messageIncludes)}: ${d}`);
  }
}

function assertOk(res, status = 200) {
  assert.equal(res.status, status, describeRes(res));
}

async function companyToken(base, login, password) {
  const res = await api(base, 'POST', '/api/company/get-token', { body: { login, password } });
  assert.equal(res.status, 200, `company get-token: ${describeRes(res)}`);
  const t = res.text.trim();
  assert.match(t, JWT_RE, `company token is a raw JWT: ${describeRes(res)}`);
  return t;
}

const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function decodeJwt(t) {
  const [h, p] = t.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
  };
}

async function createCompany(server, login, password = 'pw-' + login, name) {
  const args = ['company', 'create', '--login', login, '--password', password];
  if (name) args.push('--name', name);
  const r = await cli(args, { dataDir: server.dataDir });
  assert.equal(r.code, 0, `company create ${login}: ${r.stderr}${r.stdout}`);
  return { login, password, companyId: parseId(r.stdout) };
}

// Creates a company via the CLI and one organization via the API.
async function makeCompany(server, login, opts = {}) {
  const c = await createCompany(server, login, opts.password);
  const token = await companyToken(server.base, c.login, c.password);
  const orgName = opts.orgName || `${login} support`;
  const res = await api(server.base, 'POST', '/api/company/organization', { token, body: { name: orgName } });
  assert.equal(res.status, 201, `create organization: ${describeRes(res)}`);
  return { ...c, token, orgId: res.json.id, orgName };
}

async function createOrg(server, token, name) {
  const res = await api(server.base, 'POST', '/api/company/organization', { token, body: { name } });
  assert.equal(res.status, 201, `create organization: ${describeRes(res)}`);
  return res.json;
}

// POST /api/operator/synchronize; returns the operators.
async function syncOperators(server, token, rows) {
  const res = await api(server.base, 'POST', '/api/operator/synchronize', { token, body: rows });
  assert.equal(res.status, 200, `synchronize: ${describeRes(res)}`);
  assert.ok(Array.isArray(res.json), `synchronize returns an array: ${describeRes(res)}`);
  return res.json;
}

async function listOperators(server, token, orgId, includeDeleted = false) {
  const q = `/api/operator?organizationId=${orgId}${includeDeleted ? '&includeDeleted=true' : ''}`;
  const res = await api(server.base, 'GET', q, { token });
  assert.equal(res.status, 200, `list operators: ${describeRes(res)}`);
  assert.ok(Array.isArray(res.json), describeRes(res));
  return res.json;
}

function isoIn(ms) { return new Date(Date.now() + ms).toISOString(); }

async function operatorToken(server, token, id, expiresAt = isoIn(3600e3)) {
  const res = await api(server.base, 'POST', '/api/operator/get-token', { token, body: { id, expiresAt } });
  assert.equal(res.status, 200, `operator get-token: ${describeRes(res)}`);
  const t = res.text.trim();
  assert.match(t, JWT_RE, describeRes(res));
  return t;
}

async function validate(server, token, opToken) {
  const res = await api(server.base, 'POST', '/api/operator/validate-token', { token, body: { token: opToken } });
  assert.equal(res.status, 200, `validate-token: ${describeRes(res)}`);
  return res.json;
}

async function setStatus(server, token, id, status) {
  const res = await api(server.base, 'POST', '/api/operator/status', { token, body: { id, status } });
  assert.equal(res.status, 200, `operator status: ${describeRes(res)}`);
  assert.equal(res.text, '', 'status answers with an empty body');
}

// One raw HTTP/1.1 exchange over a fresh TCP connection (Connection: close).
// Resolves with {status, headers, body, raw} once the server closes.
// localAddress: the client's source address (another loopback address such
// as 127.0.0.2 stands for another client IP).
function rawHttp(port, requestText, { onSent, timeoutMs = 30000, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress });
    const chunks = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('raw HTTP timeout')); }, timeoutMs);
    sock.on('connect', () => {
      sock.write(requestText, () => { if (onSent) onSent(); });
    });
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      const sep = raw.indexOf('\r\n\r\n');
      const head = sep >= 0 ? raw.slice(0, sep) : raw;
      const headers = {};
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({
        status: m ? Number(m[1]) : 0,
        headers,
        head: sep >= 0 ? raw.slice(0, sep) : raw,
        body: decodeBody(headers, sep >= 0 ? raw.slice(sep + 4) : ''),
        raw,
      });
    });
  });
}

function decodeBody(headers, body) {
  if (!/chunked/i.test(headers['transfer-encoding'] || '')) return body;
  let out = '';
  let i = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', i);
    if (eol < 0) break;
    const n = parseInt(body.slice(i, eol), 16);
    if (!(n > 0)) break;
    out += body.slice(eol + 2, eol + 2 + n);
    i = eol + 2 + n + 2;
  }
  return out;
}

// Text of one HTTP/1.1 request with Connection: close.
function requestText(method, p, { headers = {}, body } = {}) {
  const lines = [`${method} ${p} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  let payload = '';
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
      lines.push('Content-Type: application/json');
    }
    lines.push(`Content-Length: ${Buffer.byteLength(payload)}`);
  }
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n${payload}`;
}

module.exports = {
  requestText,
  BIN, REPO, DEFAULT_ENV, REASON, JWT_RE, TEST_PG, TEST_REDIS, SQLITE_ONLY, TEST_CLUSTER, SINGLE_ONLY,
  sleep, sleepUntil, freePort, makeTempDir, waitExit, startServer, cli, parseId,
  api, fetch: specFetch, describeRes, assertError, checkResponse: openapi.checkResponse, assertOk, companyToken, decodeJwt,
  createCompany, makeCompany, createOrg, syncOperators, listOperators,
  isoIn, operatorToken, validate, setStatus, rawHttp, setStoreEnv,
};
