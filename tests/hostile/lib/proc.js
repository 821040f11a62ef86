'use strict';
// The server process as the hostile tests see it: its memory from
// /proc/<pid>/status (VmRSS now, VmHWM the peak), a reset of the peak before
// each attack, a guard that stops a runaway server before it exhausts the
// machine, the stated memory bounds of each build, and a server start with
// the settings every hostile test shares.
//
// Memory bounds. A test states the bound for the normal build in MiB;
// `bound(n)` turns it into the bound of the build under test. Under the
// ASan build every allocation carries redzones and shadow memory, freed
// blocks wait in a quarantine before reuse (limited to 32 MiB for these
// servers: ASAN_OPTIONS quarantine_size_mb=32 unless the caller set one),
// and the allocator keeps what it got from the system. Its bound is
// therefore 2 × the normal bound + 96 MiB — still far below what any of the
// amplifications costs (hundreds of MiB to GiB).

const fs = require('node:fs');
const h = require('../../e2e/lib/harness');

const MiB = 1024 * 1024;
const ASAN = /build-asan/.test(h.BIN);

function bound(normalMiB) {
  return ASAN ? 2 * normalMiB + 96 : normalMiB;
}

// {rss, hwm} in bytes, or null when the process is gone.
function status(pid) {
  let text;
  try { text = fs.readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return null; }
  const kb = (k) => Number((new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text) || [])[1] || 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

// Resets VmHWM to the current VmRSS (Linux ≥ 4.0), so that the next reading
// of VmHWM is the peak of what happened since. Returns false when refused.
function resetPeak(pid) {
  try { fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); return true; } catch { return false; }
}

const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;

// Polls VmRSS every 100 ms; when it passes `limitBytes` the server gets
// SIGKILL (the test then fails) instead of taking the machine's memory.
function guard(srv, limitBytes) {
  const pid = srv.pid;
  const g = { tripped: null, peakRss: 0 };
  const timer = setInterval(() => {
    const s = status(pid);
    if (!s) return;
    if (s.rss > g.peakRss) g.peakRss = s.rss;
    if (s.rss > limitBytes && !g.tripped) {
      g.tripped = `server RSS ${mib(s.rss)} passed the test's safety limit ${mib(limitBytes)}: killed`;
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }, 100);
  timer.unref();
  g.stop = () => clearInterval(timer);
  return g;
}

// Soft RLIMIT_NOFILE and hard one of a process, from /proc/<pid>/limits.
function fileLimits(pid) {
  const text = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  return m ? { soft: m[1], hard: m[2] } : null;
}

function openFds(pid) {
  try { return fs.readdirSync(`/proc/${pid}/fd`).length; } catch { return -1; }
}

// A server with the hostile tier's shared settings: production defaults
// (no lifted rate limits), quiet logs, the ASan quarantine bounded.
async function startServer(env = {}, opts = {}) {
  const e = { ...env };
  if (ASAN && !/quarantine_size_mb/.test(process.env.ASAN_OPTIONS || '')) {
    e.ASAN_OPTIONS = [process.env.ASAN_OPTIONS, 'quarantine_size_mb=32'].filter(Boolean).join(':');
  }
  return h.startServer({ ...opts, env: e });
}

module.exports = { MiB, ASAN, bound, status, resetPeak, mib, guard, fileLimits, openFds, startServer };
