'use strict';
// `chathub serve --demo`: seeds a demo company once and prints a bash
// walk-through that must run as printed.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const h = require('./lib/harness');

const START = '# --- walk-through start ---';
const END = '# --- walk-through end ---';

function runBash(script, cwd) {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(script);
  });
}

function walkThrough(stdout) {
  const lines = stdout.split('\n');
  const s = lines.findIndex((l) => l.trim() === START);
  const e = lines.findIndex((l, i) => i > s && l.trim() === END);
  assert.ok(s >= 0 && e > s, `walk-through markers in stdout:\n${stdout}`);
  return lines.slice(s + 1, e).join('\n') + '\n';
}

describe('demo', () => {
  let srv;

  before(async () => { srv = await h.startServer({ args: ['--demo'] }); });
  after(async () => { if (srv) await srv.stop(); });

  async function demoState() {
    const token = await h.companyToken(srv.base, 'demo', 'demo');
    const orgs = await h.api(srv.base, 'GET', '/api/company/organization', { token });
    h.assertOk(orgs);
    const ops = [];
    for (const o of orgs.json) ops.push(...await h.listOperators(srv, token, o.id, true));
    return { orgs: orgs.json, ops };
  }

  test('seeds company demo/demo with org Support and two operators', async () => {
    const { orgs, ops } = await demoState();
    assert.deepEqual(orgs.map((o) => o.name), ['Support']);
    assert.equal(ops.length, 2);
    for (const o of ops) {
      assert.equal(o.status, 0);
      assert.equal(o.organization.id, orgs[0].id);
    }
  });

  test('the printed walk-through runs with bash -euo pipefail', async () => {
    await srv.waitStdout(END);
    const script = walkThrough(srv.runStdout);
    assert.ok(script.includes(srv.base) || script.includes(`127.0.0.1:${srv.port}`),
      `walk-through uses the real base URL ${srv.base}:\n${script}`);
    assert.match(script, /curl/);
    const cwd = h.makeTempDir('chathub-demo-');
    const r = await runBash(script, cwd);
    assert.equal(r.code, 0, `walk-through failed (exit ${r.code})\nscript:\n${script}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.ok(r.stdout.replace(/\s+/g, '').includes('"isValid":true'),
      `walk-through output shows "isValid":true:\n${r.stdout}`);
  });

  test('restart with --demo after the walk-through: nothing duplicated; the walk-through is re-runnable', async () => {
    const first = await demoState(); // Support, Alice, Bob + the operator the walk-through synchronized
    await srv.restart();
    await srv.waitStdout(END);
    const second = await demoState();
    assert.deepEqual(second.orgs.map((o) => o.name), ['Support']);
    assert.deepEqual(second.orgs, first.orgs);
    assert.deepEqual(second.ops, first.ops);
    // the walk-through printed this time (new port) still works and, by externalId, adds nobody new
    const script = walkThrough(srv.runStdout);
    assert.ok(script.includes(`127.0.0.1:${srv.port}`), 'walk-through uses the new port');
    const r = await runBash(script, h.makeTempDir('chathub-demo-'));
    assert.equal(r.code, 0, `second walk-through failed\n${r.stdout}\n${r.stderr}`);
    assert.deepEqual((await demoState()).ops.map((o) => o.id), first.ops.map((o) => o.id));
  });
});

describe('demo seeding is done once', () => {
  let srv;
  before(async () => { srv = await h.startServer({ args: ['--demo'] }); });
  after(async () => { if (srv) await srv.stop(); });

  test('a second --demo start on the same data dir: still one org Support with two operators', async () => {
    const state = async () => {
      const token = await h.companyToken(srv.base, 'demo', 'demo');
      const orgs = await h.api(srv.base, 'GET', '/api/company/organization', { token });
      h.assertOk(orgs);
      const ops = [];
      for (const o of orgs.json) ops.push(...await h.listOperators(srv, token, o.id, true));
      return { orgs: orgs.json, ops };
    };
    const first = await state();
    assert.deepEqual(first.orgs.map((o) => o.name), ['Support']);
    assert.equal(first.ops.length, 2);
    await srv.restart();
    const second = await state();
    assert.deepEqual(second.orgs.map((o) => o.name), ['Support']);
    assert.equal(second.ops.length, 2);
    assert.deepEqual(second, first);
    // and the CLI refuses to create a second "demo" company behind its back
    const dup = await h.cli(['company', 'create', '--login', 'demo', '--password', 'x'], { dataDir: srv.dataDir });
    assert.equal(dup.code, 1, dup.stderr);
  });

  test('the /demo/ pages are served and mention both sides', async () => {
    for (const [p, needle] of [['/demo/', 'site.html'], ['/demo/site.html', 'site.js'], ['/demo/crm.html', 'crm.js'],
      ['/demo/site.js', '/demo/api/site'], ['/demo/crm.js', '/demo/api/operator-token']]) {
      const r = await h.api(srv.base, 'GET', p);
      assert.equal(r.status, 200, `${p}: ${h.describeRes(r)}`);
      assert.ok(r.text.includes(needle), `${p} mentions ${needle}`);
    }
  });

  test('GET /demo/api/site walks company token → organizations → organization and gives its widget guid', async () => {
    const r = await h.api(srv.base, 'GET', '/demo/api/site');
    h.assertOk(r);
    const token = await h.companyToken(srv.base, 'demo', 'demo');
    const orgs = await h.api(srv.base, 'GET', '/api/company/organization', { token });
    const org = await h.api(srv.base, 'GET', `/api/company/organization/${orgs.json[0].id}`, { token });
    assert.equal(r.json.guid, org.json.guid);
    assert.deepEqual(r.json.steps.map((s) => s.status), [200, 200, 200]);
    const cfg = await h.api(srv.base, 'GET', `/api/widget/${r.json.guid}/config`);
    h.assertOk(cfg);
  });

  test('POST /demo/api/operator-token walks the public flow and returns a valid operator token', async () => {
    const r = await h.api(srv.base, 'POST', '/demo/api/operator-token?operator=Bob');
    h.assertOk(r);
    assert.equal(r.json.operator.name, 'Bob');
    assert.deepEqual(r.json.steps.map((s) => s.request), ['POST /api/company/get-token',
      'GET /api/company/organization', 'GET /api/company/organization/{id}', 'GET /api/operator?organizationId=…',
      'POST /api/operator/get-token']);
    const token = await h.companyToken(srv.base, 'demo', 'demo');
    const v = await h.validate(srv, token, r.json.token);
    assert.equal(v.isValid, true, JSON.stringify(v));
    const hours = (Date.parse(r.json.expiresAt) - Date.now()) / 3600e3;
    assert.ok(hours > 1 && hours <= 24, `token lifetime ${hours} h`);
    const first = await h.api(srv.base, 'POST', '/demo/api/operator-token');
    assert.equal(first.json.operator.name, 'Alice');
    const none = await h.api(srv.base, 'POST', '/demo/api/operator-token?operator=Nobody');
    assert.equal(none.status, 404, h.describeRes(none));
    const wrong = await h.api(srv.base, 'GET', '/demo/api/operator-token');
    h.assertError(wrong, 405, 1006);
  });
});

describe('demo endpoints without --demo', () => {
  let srv;
  before(async () => { srv = await h.startServer(); });
  after(async () => { if (srv) await srv.stop(); });

  test('/demo/api/* answers 404: no operator tokens without --demo', async () => {
    for (const [m, p] of [['GET', '/demo/api/site'], ['POST', '/demo/api/operator-token']]) {
      const r = await h.api(srv.base, m, p);
      h.assertError(r, 404, 3001);
    }
  });
});
