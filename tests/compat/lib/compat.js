'use strict';
// Runs published snippets as written against a test server: reads the
// snippet, replaces the public base URLs with the test server's (the only
// change allowed), adds what the guide leaves to the integrator (a listening
// port, getOperatorIdForUser), and starts it in its own Node process with the
// preloads of this directory. Builds on the e2e harness.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const h = require('../../e2e/lib/harness');

const SNIPPETS = path.join(__dirname, '..', 'snippets');
const PUBLIC_API = 'https://chatapi.smsbat.com';
const PUBLIC_WIDGETS = 'https://widget.smsbat.com';

/** The snippet's text with the public base URLs replaced by the test server's. */
function snippet(name, base) {
  const text = fs.readFileSync(path.join(SNIPPETS, name), 'utf8');
  assert.ok(text.includes(PUBLIC_API) || text.includes(PUBLIC_WIDGETS) || !/smsbat\.com/.test(text),
    `${name}: unexpected host`);
  return text.split(PUBLIC_API).join(base).split(PUBLIC_WIDGETS).join(base);
}

/**
 * Starts the guide's Express backend (snippets/guide-server-token.js) on a free
 * port. operators maps the app's user ids to ChatHub operator ids (the guide's
 * getOperatorIdForUser). clockOffsetMs moves the process's clock.
 * Returns {base, stop()}.
 */
async function startGuideBackend(chathubBase, { companyToken, operators, clockOffsetMs = 0 }) {
  const dir = h.makeTempDir('chathub-compat-');
  const port = await h.freePort();
  const file = path.join(dir, 'server.js');
  fs.writeFileSync(file, `${snippet('guide-server-token.js', chathubBase)}
// ---- supplied by the integrator, not part of the guide ----
const OPERATORS = JSON.parse(process.env.OPERATORS_BY_USER);
async function getOperatorIdForUser(userId) { return OPERATORS[userId]; }
app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
`);
  const env = {
    ...process.env,
    NODE_PATH: path.join(h.REPO, 'node_modules'),
    CHATHUB_COMPANY_TOKEN: companyToken,
    OPERATORS_BY_USER: JSON.stringify(operators),
    PORT: String(port),
    FAKE_CLOCK_OFFSET_MS: String(clockOffsetMs),
  };
  const child = spawn(process.execPath, ['-r', path.join(__dirname, 'fake-clock.js'),
    '-r', path.join(__dirname, 'express-session.js'), file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const deadline = Date.now() + 10000;
  while (!out.includes('listening')) {
    if (child.exitCode !== null) assert.fail(`the guide's backend exited: ${out}`);
    if (Date.now() > deadline) { child.kill('SIGKILL'); assert.fail(`the guide's backend did not start: ${out}`); }
    await h.sleep(20);
  }
  return {
    base: `http://127.0.0.1:${port}`,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      await h.waitExit(child, 5000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { snippet, startGuideBackend, SNIPPETS, PUBLIC_API, PUBLIC_WIDGETS };
