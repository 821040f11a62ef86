// The demo CRM: its server side (POST /demo/api/operator-token) walks the
// public flow and hands back an operator token; this page embeds the operator
// chat panel with it, inline in #chathub-panel.
const base = new URL('/', import.meta.url);
const select = document.getElementById('operator');
const steps = document.getElementById('steps');
const status = document.getElementById('crm-status');

function showSteps(list) {
  steps.replaceChildren(...(list || []).map((s) => {
    const li = document.createElement('li');
    const code = document.createElement('code');
    code.textContent = s.request;
    li.append(code, ` → ${s.status}`);
    return li;
  }));
}

async function embed(name) {
  status.textContent = `Getting an operator token for ${name}…`;
  let data;
  try {
    const r = await fetch(new URL(`/demo/api/operator-token?operator=${encodeURIComponent(name)}`, base),
      { method: 'POST' });
    data = await r.json();
    showSteps(data.steps);
    if (!r.ok) throw new Error(data.error || data.message || r.statusText);
  } catch (e) {
    status.textContent = `No token: ${e.message}. Is the server running with --demo?`;
    return;
  }
  document.getElementById('operator-chat-panel-script')?.remove();
  const s = document.createElement('script');
  s.type = 'module';
  s.id = 'operator-chat-panel-script';
  s.src = new URL('/operator-chat-panel/widget-script.js', base).toString();
  s.setAttribute('token', data.token);
  s.setAttribute('container', '#chathub-panel');
  document.body.append(s);
  status.textContent = `${data.operator.name} of "${data.organization.name}", token valid until ` +
    `${new Date(data.expiresAt).toLocaleString()}.`;
}

select.addEventListener('change', () => embed(select.value));
embed(select.value);
