// Renders /openapi.json as a readable list of endpoints (no framework, no inline script: CSP-friendly).
const root = document.getElementById('api');

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function resolve(spec, schema) {
  if (schema && schema.$ref) return resolve(spec, schema.$ref.split('/').slice(1).reduce((o, k) => o[k], spec));
  return schema;
}

function schemaText(spec, schema) {
  return JSON.stringify(resolve(spec, schema), (k, v) => (v && v.$ref ? resolve(spec, v) : v), 2);
}

async function main() {
  const spec = await (await fetch('/openapi.json')).json();
  root.textContent = '';
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const s = el('section');
      s.append(el('h2', {}, el('span', { class: `method ${method}` }, method.toUpperCase()), el('code', {}, path)));
      s.append(el('p', {}, op.summary || ''));
      const kinds = op['x-chathub-tokens'] || [];
      if (kinds.length) s.append(el('p', { class: 'muted' }, `Token (${kinds.join(' or ')}): Authorization: Bearer … or X-Authorization-Key`));
      const body = op.requestBody?.content?.['application/json']?.schema;
      if (body) s.append(el('p', {}, 'Body:'), el('pre', {}, schemaText(spec, body)));
      const codes = Object.keys(op.responses || {}).join(', ');
      s.append(el('p', { class: 'muted' }, `Responses: ${codes}`));
      root.append(s);
    }
  }
}

main().catch((e) => { root.textContent = `Could not load /openapi.json: ${e.message}`; });
