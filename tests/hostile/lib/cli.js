'use strict';
// The admin CLI with a standard input (the e2e harness's cli() gives it
// none): `input` is written to its stdin, then stdin is closed.

const { spawn } = require('node:child_process');
const h = require('../../e2e/lib/harness');

function runCli(args, { dataDir, env = {}, input } = {}) {
  const argv = [...args.map(String)];
  if (dataDir) argv.push('--data-dir', dataDir);
  return new Promise((resolve, reject) => {
    const child = spawn(h.BIN, argv, { cwd: h.REPO, env: { ...process.env, ...h.DEFAULT_ENV, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdin.on('error', () => { /* exited before reading */ });
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    if (input !== undefined) child.stdin.write(input);
    child.stdin.end();
  });
}

module.exports = { runCli };
