#!/usr/bin/env node
'use strict';
// Bundles each widget of web/ into one minified ES module with a linked source
// map (esbuild, pinned in package-lock.json), under OUT with the same paths as
// in web/: OUT/chat-widget/widget-script.js and widget-script.js.map. The server
// serves OUT in place of those files of web/ (web_bundle_dir, net/static.c),
// so the public URLs stay the same. The map's `sources` are the readable
// sources' URLs relative to the map (their paths under web/, which the server
// keeps serving and checks the bundle's age against), so a browser's developer
// tools fetch them from the same server. Only a source whose URL a bundle now
// answers (the widget's own widget-script.js) is copied into `sourcesContent`;
// the others are null there ("fetch it by its URL").
// Usage: node scripts/bundle-widgets.js [OUT]   (default: build/web)

const fs = require('node:fs');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const WEB = path.join(REPO, 'web');
const WIDGETS = ['operator-chat-panel/widget-script.js', 'chat-widget/widget-script.js'];

let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  console.error('bundle-widgets: esbuild is not installed; run `npm ci` (scripts/deps.sh npm)');
  process.exit(1);
}

/** The map's sources as URLs relative to the bundle's URL directory. */
function rewriteMap(text, outfile, widget) {
  const map = JSON.parse(text);
  const paths = map.sources.map((s) => {
    const rel = path.relative(WEB, path.resolve(path.dirname(outfile), s)).split(path.sep).join('/');
    if (rel.startsWith('..')) throw new Error(`${widget} includes ${s}, which is outside web/`);
    return rel;
  });
  map.sources = paths.map((rel) => path.posix.relative(path.posix.dirname(`/${widget}`), `/${rel}`));
  map.sourcesContent = paths.map((rel) => (WIDGETS.includes(rel) ? fs.readFileSync(path.join(WEB, rel), 'utf8') : null));
  delete map.sourceRoot;
  return JSON.stringify(map);
}

async function bundle(out, widget) {
  const outfile = path.join(out, widget);
  const r = await esbuild.build({
    entryPoints: [path.join(WEB, widget)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    charset: 'utf8', // the Ukrainian strings as UTF-8, not \u escapes (a third of the size)
    legalComments: 'none',
    sourcemap: 'linked', // //# sourceMappingURL=widget-script.js.map
    sourcesContent: false,
    write: false,
    logLevel: 'warning',
  });
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  for (const f of r.outputFiles) {
    const body = f.path.endsWith('.map') ? rewriteMap(f.text, outfile, widget) : f.contents;
    const tmp = `${f.path}.tmp`;
    fs.writeFileSync(tmp, body);
    fs.renameSync(tmp, f.path);
  }
  return fs.statSync(outfile).size;
}

async function main() {
  const out = path.resolve(process.argv[2] || path.join(REPO, 'build', 'web'));
  for (const w of WIDGETS) {
    const size = await bundle(out, w);
    console.log(`bundle-widgets: ${path.relative(REPO, path.join(out, w))} ${size} bytes (+ .map)`);
  }
}

main().catch((e) => {
  console.error(`bundle-widgets: ${e.message}`);
  process.exit(1);
});
