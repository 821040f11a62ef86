#!/usr/bin/env node
'use strict';
// Copies the files of Swagger UI (npm swagger-ui-dist, pinned in
// package-lock.json) that the API documentation page needs — the bundle and the
// stylesheet (not the standalone preset: the page uses Swagger UI's BaseLayout,
// web/swagger/initializer.js says why) — into OUT/swagger/, with a gzip (level
// 9) and a brotli (quality 11) copy of each beside it (X.gz, X.br). The server
// serves OUT in place of web/ at the same paths (web_bundle_dir) and takes X.gz
// and X.br as X's variants, so the 1.7 MB bundle costs no compression at start
// (net/static.c). The page itself (web/swagger/index.html, with no inline
// script for the strict CSP) and its initializer are in web/swagger/. The
// `sourceMappingURL` comment is dropped: the maps are not served.
// Usage: node scripts/swagger-ui.js [OUT]   (default: build/web)

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const REPO = path.resolve(__dirname, '..');
const FILES = ['swagger-ui-bundle.js', 'swagger-ui.css'];

function write(file, data) {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function main() {
  const out = path.join(path.resolve(process.argv[2] || path.join(REPO, 'build', 'web')), 'swagger');
  let dist;
  try {
    dist = path.dirname(require.resolve('swagger-ui-dist/package.json', { paths: [REPO] }));
  } catch {
    console.error('swagger-ui: swagger-ui-dist is not installed; run `npm ci` (scripts/deps.sh npm)');
    process.exit(1);
  }
  const version = JSON.parse(fs.readFileSync(path.join(dist, 'package.json'), 'utf8')).version;
  fs.mkdirSync(out, { recursive: true });
  for (const name of FILES) {
    const text = fs.readFileSync(path.join(dist, name), 'utf8').replace(/\n*\/[/*]# sourceMappingURL=[^\s*]+(?:\s*\*\/)?\s*$/, '\n');
    const bytes = Buffer.from(text, 'utf8');
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
    console.log(`swagger-ui: ${path.relative(REPO, file)} ${bytes.length} bytes (swagger-ui-dist ${version}; + .gz, .br)`);
  }
}

main();
