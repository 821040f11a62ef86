#!/usr/bin/env node
'use strict';
// Copies the files of uPlot (npm uplot, pinned in package-lock.json) that the
// admin console's Reports page draws its charts with — the ES module build and
// the stylesheet — into OUT/admin/vendor/, with a gzip (level 9) and a brotli
// (quality 11) copy of each beside it (X.gz, X.br), as scripts/swagger-ui.js
// does for Swagger UI. The server serves OUT in place of web/ at the same paths
// (web_bundle_dir), so the files are /admin/vendor/uPlot.esm.js and
// /admin/vendor/uPlot.min.css; without them (a build without node) the page
// shows its tables and says the charts are missing (web/admin/pages/reports.js).
// The library's files are never committed: this copy is part of every build.
// Usage: node scripts/uplot.js [OUT]   (default: build/web)

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const REPO = path.resolve(__dirname, '..');
const FILES = ['uPlot.esm.js', 'uPlot.min.css'];

function write(file, data) {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function main() {
  const out = path.join(path.resolve(process.argv[2] || path.join(REPO, 'build', 'web')), 'admin', 'vendor');
  let dist;
  try {
    dist = path.join(path.dirname(require.resolve('uplot/package.json', { paths: [REPO] })), 'dist');
  } catch {
    console.error('uplot: uplot is not installed; run `npm ci` (scripts/deps.sh npm)');
    process.exit(1);
  }
  const version = JSON.parse(fs.readFileSync(path.join(dist, '..', 'package.json'), 'utf8')).version;
  fs.mkdirSync(out, { recursive: true });
  for (const name of FILES) {
    const bytes = fs.readFileSync(path.join(dist, name));
    const file = path.join(out, name);
    write(file, bytes);
    // the variants after the file: the server ignores a variant older than its file
    write(`${file}.gz`, zlib.gzipSync(bytes, { level: 9 }));
    write(`${file}.br`, zlib.brotliCompressSync(bytes, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }));
    console.log(`uplot: ${path.relative(REPO, file)} ${bytes.length} bytes (uplot ${version}; + .gz, .br)`);
  }
}

main();
