'use strict';
// Copies the files of a pinned npm library (package-lock.json) that a page of
// web/ loads into OUT/<dir>/, with a gzip (level 9) and a brotli (quality 11)
// copy of each beside it (X.gz, X.br). The server serves OUT in place of web/
// at the same paths (web_bundle_dir) and takes X.gz and X.br as X's variants,
// so a large library costs no compression at start (net/static.c). The
// libraries' files are never committed: this copy is part of every build (one
// CMake target per library; skipped with a warning without node or the package).
//   swagger-ui  Swagger UI's bundle and stylesheet (not the standalone preset:
//               the page uses its BaseLayout, web/swagger/initializer.js says
//               why) for the API documentation page, /swagger/; the
//               `sourceMappingURL` comment is dropped: the maps are not served.
//   uplot       uPlot's ES module and stylesheet for the admin console's Reports
//               charts, /admin/vendor/; without them the page keeps its tables
//               and says the charts are missing (web/admin/pages/reports.js).
// Usage: node scripts/vendor.js swagger-ui|uplot [OUT]   (default OUT: build/web)

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const REPO = path.resolve(__dirname, '..');
const LIBS = {
  'swagger-ui': { pkg: 'swagger-ui-dist', from: '.', to: 'swagger', files: ['swagger-ui-bundle.js', 'swagger-ui.css'],
    noSourceMap: true },
  uplot: { pkg: 'uplot', from: 'dist', to: path.join('admin', 'vendor'), files: ['uPlot.esm.js', 'uPlot.min.css'] },
};

function write(file, data) {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function main() {
  const name = process.argv[2];
  const lib = LIBS[name];
  if (!lib) {
    console.error(`usage: node scripts/vendor.js ${Object.keys(LIBS).join('|')} [OUT]`);
    process.exit(2);
  }
  const out = path.join(path.resolve(process.argv[3] || path.join(REPO, 'build', 'web')), lib.to);
  let root;
  try {
    root = path.dirname(require.resolve(`${lib.pkg}/package.json`, { paths: [REPO] }));
  } catch {
    console.error(`${name}: ${lib.pkg} is not installed; run \`npm ci\` (scripts/deps.sh npm)`);
    process.exit(1);
  }
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  fs.mkdirSync(out, { recursive: true });
  for (const f of lib.files) {
    let bytes = fs.readFileSync(path.join(root, lib.from, f));
    if (lib.noSourceMap) {
      bytes = Buffer.from(bytes.toString('utf8').replace(/\n*\/[/*]# sourceMappingURL=[^\s*]+(?:\s*\*\/)?\s*$/, '\n'), 'utf8');
    }
    const file = path.join(out, f);
    write(file, bytes);
    // the variants after the file: the server ignores a variant older than its file
    write(`${file}.gz`, zlib.gzipSync(bytes, { level: 9 }));
    write(`${file}.br`, zlib.brotliCompressSync(bytes, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }));
    console.log(`${name}: ${path.relative(REPO, file)} ${bytes.length} bytes (${lib.pkg} ${version}; + .gz, .br)`);
  }
}

main();
