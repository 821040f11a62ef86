'use strict';
// Checks a live REST response against web/openapi.json: the operation of its
// method and path must document its status, its Content-Type and, for JSON and
// text bodies, a schema the body satisfies; documented required headers must
// be there. The harness's api() runs it on every response (opts.validate:
// false opts out for a response a test makes malformed on purpose).
//
// Beyond the operations, what the spec's description promises: a path that
// exists without the request's method answers components.responses
// MethodNotAllowed; an unknown path the API owns answers NotFound; any of them
// may answer BadRequest, TooManyRequests, InternalError or ServiceUnavailable;
// an OPTIONS preflight answers 204. Outside the spec (not checked): static
// files, the hub's SignalR transports on /chathub (its negotiate is checked)
// and the /demo/api/ endpoints of `serve --demo`.
//
// Schemas are JSON Schema 2020-12 (OpenAPI 3.1), compiled once per process by
// ajv + ajv-formats and cached per operation, status and content type.

const fs = require('node:fs');
const path = require('node:path');

const SPEC_PATH = path.resolve(__dirname, '..', '..', '..', 'web', 'openapi.json');
const GENERIC = { 400: 'BadRequest', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' };

let state = null;

function load() {
  if (state) return state;
  const Ajv2020 = require('ajv/dist/2020');
  const addFormats = require('ajv-formats');
  const spec = JSON.parse(fs.readFileSync(SPEC_PATH, 'utf8'));
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat('int64', { type: 'number', validate: Number.isSafeInteger });
  ajv.addSchema(spec, 'openapi.json');
  // literal paths before templated ones, as OpenAPI matches them
  const paths = Object.keys(spec.paths).map((p) => ({
    path: p,
    templated: (p.match(/\{/g) || []).length,
    re: new RegExp(`^${p.split(/(\{[^}]+\})/).map((s) => (s.startsWith('{') ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('')}$`),
  })).sort((a, b) => a.templated - b.templated);
  state = { spec, ajv, paths, cache: new Map() };
  return state;
}

function deref(spec, o) {
  for (let i = 0; o && o.$ref && i < 10; i++) {
    o = o.$ref.slice(2).split('/').reduce((x, k) => (x === undefined ? undefined : x[k]), spec);
  }
  return o;
}

// Where the API takes a request (net/http.c: ch_api_owns_path), minus what the spec leaves out.
function apiOwns(p) {
  return p.startsWith('/api/') || p === '/api' || p === '/healthz' || p === '/metrics' || p.startsWith('/chathub');
}

function outsideSpec(p) {
  return p.startsWith('/demo/') || (p.startsWith('/chathub') && p !== '/chathub/negotiate') || !apiOwns(p);
}

function mediaTypeOf(ct) {
  return (ct || '').split(';')[0].trim().toLowerCase();
}

function contentFor(content, type) {
  if (content[type]) return [type, content[type]];
  for (const [k, v] of Object.entries(content)) {
    if (k === '*/*' || (k.endsWith('/*') && type.startsWith(k.slice(0, -1)))) return [k, v];
  }
  return null;
}

// The response object the spec gives for this request and status, with a name
// for messages; or a problem (string).
function findResponse(st, method, pathname, status) {
  const { spec, paths } = st;
  if (method === 'OPTIONS') return status === 204 || GENERIC[status] ? { options: true } : `an OPTIONS preflight answers 204, not ${status}`;
  const match = paths.find((p) => p.re.test(pathname));
  const generic = () => (GENERIC[status] ? { where: `components.responses.${GENERIC[status]}`, res: deref(spec, spec.components.responses[GENERIC[status]]) } : null);
  if (!match) {
    if (status === 404) return { where: 'components.responses.NotFound (unknown path)', res: deref(spec, spec.components.responses.NotFound) };
    return generic() || `${pathname} is not in the spec: only 404 (or ${Object.keys(GENERIC).join('/')}) may answer there, not ${status}`;
  }
  const item = spec.paths[match.path];
  const op = item[(method === 'HEAD' ? 'GET' : method).toLowerCase()];
  if (!op) {
    if (status === 405) return { where: `components.responses.MethodNotAllowed (${match.path})`, res: deref(spec, spec.components.responses.MethodNotAllowed) };
    return generic() || `${method} ${match.path} is not in the spec: only 405 may answer it, not ${status}`;
  }
  const res = op.responses[String(status)] || op.responses[`${String(status)[0]}XX`] || op.responses.default;
  if (!res) return `${method} ${match.path}: status ${status} is not documented (documented: ${Object.keys(op.responses).join(', ')})`;
  return { where: `${method} ${match.path} ${status}`, res: deref(spec, res), op: `${match.path}` };
}

// ptr: a JSON pointer into the spec; compiled through a $ref into the whole
// document, so that every $ref inside resolves against it.
function validatorFor(st, ptr) {
  let v = st.cache.get(ptr);
  if (!v) {
    v = st.ajv.compile({ $ref: `openapi.json${ptr}` });
    st.cache.set(ptr, v);
  }
  return v;
}

// JSON pointer of a response's schema inside the spec, for the compiled cache
// (a schema written inline is compiled through its place in the document).
function schemaPointer(pathname, method, status, where, ctype, st) {
  const esc = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  if (where.startsWith('components.responses.')) {
    const name = where.split(' ')[0].slice('components.responses.'.length);
    return `#/components/responses/${name}/content/${esc(ctype)}/schema`;
  }
  const [m, p] = where.split(' ');
  const raw = st.spec.paths[p][m.toLowerCase()].responses[String(status)];
  if (raw.$ref) return `${raw.$ref}/content/${esc(ctype)}/schema`;
  return `#/paths/${esc(p)}/${m.toLowerCase()}/responses/${status}/content/${esc(ctype)}/schema`;
}

/**
 * Checks one response. method, url (absolute or a path), status, headers (a
 * fetch Headers or a plain object of lower-case names), text (the body).
 * Returns null when it agrees with the spec, else a message naming the route,
 * the status and the mismatch.
 */
function checkResponse(method, url, status, headers, text) {
  const pathname = new URL(url, 'http://x').pathname;
  if (outsideSpec(pathname)) return null;
  const st = load();
  const get = (n) => (typeof headers.get === 'function' ? headers.get(n) : headers[n.toLowerCase()]);
  const found = findResponse(st, method, pathname, status);
  const where = `${method} ${pathname} → ${status}`;
  if (typeof found === 'string') return `openapi: ${where}: ${found}`;
  if (found.options) return null;
  const { res } = found;
  for (const [name, h] of Object.entries(res.headers || {})) {
    if (h.required && get(name) == null) return `openapi: ${where} (${found.where}): header ${name} is required, missing`;
  }
  const type = mediaTypeOf(get('content-type'));
  if (!res.content) {
    return text ? `openapi: ${where} (${found.where}): documented without a body, got ${text.length} bytes` : null;
  }
  const hit = contentFor(res.content, type);
  if (!hit) return `openapi: ${where} (${found.where}): Content-Type ${type || '(none)'} is not documented (${Object.keys(res.content).join(', ')})`;
  const [ctype, media] = hit;
  if (!media.schema || method === 'HEAD') return null;
  let data;
  if (ctype === 'application/json' || ctype.endsWith('+json')) {
    try { data = JSON.parse(text); } catch (e) { return `openapi: ${where}: the body is not JSON (${e.message}): ${text.slice(0, 200)}`; }
  } else if (ctype.startsWith('text/')) {
    data = text;
  } else {
    return null; // bytes: the type is what the spec promises
  }
  const ptr = schemaPointer(pathname, method === 'HEAD' ? 'GET' : method, status, found.where, ctype, st);
  const v = validatorFor(st, ptr);
  if (v(data)) return null;
  const why = v.errors.slice(0, 8).map((e) => `body${e.instancePath} ${e.message}`
    + (e.params && e.params.additionalProperty ? ` (\`${e.params.additionalProperty}\`)` : '')
    + (e.params && e.params.allowedValues ? ` (${JSON.stringify(e.params.allowedValues)})` : '')).join('; ');
  return `openapi: ${where} (${found.where}): the body does not match the spec: ${why}; body: ${String(text).slice(0, 300)}`;
}

module.exports = { checkResponse, SPEC_PATH };
