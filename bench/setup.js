#!/usr/bin/env node
// Benchmark fixture: organizations, operators, operator tokens and visitor sessions on a running ChatHub.
//
//   node bench/setup.js --url http://127.0.0.1:18500 --orgs 20 --visitors 1000 --out /tmp/fixture.txt
//
// The server must already hold the company bench/bench (`CHATHUB_COMPANY_PASSWORD=bench chathub company create --login bench`)
// and run with CHATHUB_RATE_LIMIT_PER_SECOND/BURST raised (bench/run.sh does both). Creates --orgs organizations
// (maxChatsPerOperator 1000), one operator each with a 24 h token, and --visitors widget sessions spread
// round-robin over the organizations. Writes one line per principal:
//   operator <orgIndex> <operatorId> <token>
//   visitor <orgIndex> <clientId> <token>
// Node 20 built-ins only (global fetch).
'use strict';
const fs = require('node:fs');

function usage(code) {
  (code ? process.stderr : process.stdout).write(
    'usage: node bench/setup.js --url URL --orgs O --visitors V --out FILE [--login bench] [--password bench]\n' +
    '       [--concurrency 64]\n');
  process.exit(code);
}

const opts = { url: null, orgs: 1, visitors: 0, out: null, login: 'bench', password: 'bench', concurrency: 64 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--help' || a === '-h') usage(0);
  const key = a.replace(/^--/, '');
  if (!(key in opts) || i + 1 >= argv.length) usage(2);
  const v = argv[++i];
  opts[key] = ['orgs', 'visitors', 'concurrency'].includes(key) ? Number(v) : v;
}
if (!opts.url || !opts.out || !(opts.orgs >= 1) || !(opts.visitors >= 0)) usage(2);
const base = opts.url.replace(/\/$/, '');

async function call(method, path, { token, body, text } = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      if (attempt < 5) { await new Promise((r) => setTimeout(r, 100 * (attempt + 1))); continue; }
      throw new Error(`${method} ${path}: ${e.cause?.code || e.message}`);
    }
    const t = await res.text();
    if ((res.status === 429 || res.status === 503) && attempt < 20) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${t}`);
    return text ? t.trim() : JSON.parse(t);
  }
}

async function pool(n, limit, fn) {
  const out = new Array(n);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, n) }, async () => {
    while (next < n) { const i = next++; out[i] = await fn(i); }
  });
  await Promise.all(workers);
  return out;
}

async function main() {
  const t0 = Date.now();
  const company = await call('POST', '/api/company/get-token',
    { body: { login: opts.login, password: opts.password }, text: true });
  const expiresAt = new Date(Date.now() + 24 * 3600e3 - 60e3).toISOString();

  const orgs = await pool(opts.orgs, 8, async (i) => {
    const org = await call('POST', '/api/company/organization', { token: company, body: { name: `Bench ${i}` } });
    const full = await call('PUT', `/api/company/organization/${org.id}`,
      { token: company, body: { maxChatsPerOperator: 1000 } });
    const [op] = await call('POST', '/api/operator/synchronize',
      { token: company, body: [{ organizationId: org.id, name: `Operator ${i}`, externalId: `bench-op-${i}` }] });
    const opToken = await call('POST', '/api/operator/get-token',
      { token: company, body: { id: op.id, expiresAt }, text: true });
    return { id: org.id, guid: full.guid, operatorId: op.id, operatorToken: opToken };
  });

  const visitors = await pool(opts.visitors, opts.concurrency, async (i) => {
    const org = i % opts.orgs;
    const s = await call('POST', `/api/widget/${orgs[org].guid}/session`, { body: { name: `Visitor ${i}` } });
    return { org, clientId: s.clientId, token: s.visitorToken };
  });

  const lines = [];
  orgs.forEach((o, i) => lines.push(`operator ${i} ${o.operatorId} ${o.operatorToken}`));
  visitors.forEach((v) => lines.push(`visitor ${v.org} ${v.clientId} ${v.token}`));
  fs.writeFileSync(opts.out, lines.join('\n') + '\n');
  process.stderr.write(`setup: ${opts.orgs} orgs, ${opts.orgs} operators, ${opts.visitors} visitors -> ${opts.out}` +
    ` in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

main().catch((e) => { process.stderr.write(`setup: ${e.message}\n`); process.exit(1); });
