#!/usr/bin/env node
'use strict';
// Checks web/openapi.json against the server's route table (`chathub routes`):
// every route is documented with the same method and path, no operation is
// documented that the server does not serve, and each operation's query
// parameters are exactly the route's, its path parameters those of its path,
// its `x-chathub-tokens` the token kinds of the route, with a security
// requirement that matches (none for routes without a token) and the error
// answers every route of that kind can give. Also checks that every $ref
// resolves and that info.version is the server's version. Node built-ins only (a ctest test; no npm packages needed).
// Usage: node scripts/openapi-check.js BIN [SPEC]   (SPEC: web/openapi.json)
// Prints each disagreement, naming the route, and exits 1 when there is one.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const TOKEN_SCHEMES = ['bearer', 'authorizationKey', 'accessToken'];

function main() {
  const bin = process.argv[2];
  const specPath = process.argv[3] || path.join(__dirname, '..', 'web', 'openapi.json');
  if (!bin) {
    console.error('usage: openapi-check.js BIN [SPEC]');
    process.exit(2);
  }
  const routes = JSON.parse(execFileSync(bin, ['routes'], { encoding: 'utf8' }));
  const version = execFileSync(bin, ['version'], { encoding: 'utf8' }).trim().split(/\s+/).pop();
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
  const problems = check(routes, spec);
  if (!spec.info || spec.info.version !== version)
    problems.push(`info.version is ${JSON.stringify(spec.info && spec.info.version)}, the server is ${version}`);
  for (const p of problems) console.error(`openapi-check: ${p}`);
  if (problems.length) {
    console.error(`openapi-check: ${specPath} disagrees with \`chathub routes\` (${problems.length} problem(s))`);
    process.exit(1);
  }
  console.log(`openapi-check: ${routes.length} routes, ${specPath} agrees`);
}

function check(routes, spec) {
  const problems = [];
  const served = new Map(routes.map((r) => [`${r.method} ${r.path}`, r]));
  const documented = new Map();
  for (const [p, item] of Object.entries(spec.paths || {}))
    for (const m of METHODS)
      if (item[m]) documented.set(`${m.toUpperCase()} ${p}`, { item, op: item[m], path: p });

  for (const key of served.keys())
    if (!documented.has(key)) problems.push(`${key}: served by the server, missing from the spec`);
  for (const key of documented.keys())
    if (!served.has(key)) problems.push(`${key}: in the spec, not served by the server (chathub routes)`);

  for (const [key, d] of documented) {
    const r = served.get(key);
    if (r) problems.push(...checkOperation(key, r, d, spec));
  }
  problems.push(...checkRefs(spec));
  return problems;
}

function params(d, spec) {
  return [...(d.item.parameters || []), ...(d.op.parameters || [])].map((p) => resolve(spec, p));
}

function checkOperation(key, route, d, spec) {
  const out = [];
  const ps = params(d, spec);
  const query = ps.filter((p) => p.in === 'query').map((p) => p.name);
  const want = route.query;
  for (const q of want)
    if (!query.includes(q)) out.push(`${key}: query parameter \`${q}\` is taken by the server, missing from the spec`);
  for (const q of query)
    if (!want.includes(q)) out.push(`${key}: query parameter \`${q}\` is in the spec, the server does not take it`);

  const inPath = [...d.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const pathParams = ps.filter((p) => p.in === 'path');
  for (const n of inPath)
    if (!pathParams.some((p) => p.name === n && p.required === true))
      out.push(`${key}: path parameter \`${n}\` is not documented (as required)`);
  for (const p of pathParams)
    if (!inPath.includes(p.name)) out.push(`${key}: path parameter \`${p.name}\` is not in the path`);

  const tokens = d.op['x-chathub-tokens'];
  if (!Array.isArray(tokens) || tokens.join(' ') !== route.tokens.join(' '))
    out.push(`${key}: x-chathub-tokens is ${JSON.stringify(tokens)}, the server takes ${JSON.stringify(route.tokens)}`);
  const sec = d.op.security !== undefined ? d.op.security : spec.security || [];
  const anonymous = sec.length === 0 || sec.some((s) => Object.keys(s).length === 0);
  if (route.tokens.length && anonymous) out.push(`${key}: needs a token, but its security allows none`);
  if (route.tokens.length)
    for (const s of TOKEN_SCHEMES)
      if (!sec.some((x) => x[s])) out.push(`${key}: security lacks the \`${s}\` scheme`);
  if (!route.tokens.length && !anonymous) out.push(`${key}: takes no token, but its security requires one`);

  const codes = Object.keys(d.op.responses || {});
  const need = ['400', '429', '500', '503'];
  if (route.tokens.length) need.push('401');
  for (const c of need)
    if (!codes.includes(c)) out.push(`${key}: response ${c} is not documented (every such route can give it)`);
  if (!codes.some((c) => /^2/.test(c))) out.push(`${key}: no success response documented`);
  if (/\{(id|guid)\}/.test(d.path) && !codes.includes('404'))
    out.push(`${key}: response 404 is not documented (an unknown {id} or {guid} gives it)`);
  return out;
}

function resolve(spec, o) {
  let seen = 0;
  while (o && o.$ref && seen++ < 20) o = lookup(spec, o.$ref);
  return o;
}

function lookup(spec, ref) {
  if (!ref.startsWith('#/')) return undefined;
  return ref.slice(2).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((o, k) => (o === undefined ? undefined : o[k]), spec);
}

function checkRefs(spec) {
  const out = [];
  const walk = (o, where) => {
    if (!o || typeof o !== 'object') return;
    if (typeof o.$ref === 'string' && lookup(spec, o.$ref) === undefined) out.push(`${where}: $ref ${o.$ref} does not resolve`);
    for (const [k, v] of Object.entries(o)) walk(v, `${where}/${k}`);
  };
  walk(spec, '#');
  return out;
}

if (require.main === module) main();
module.exports = { check };
