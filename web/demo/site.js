// The demo website: asks the demo backend for the organization's widget guid
// and embeds the visitor widget the way a company's site does.
const base = new URL('/', import.meta.url);
const status = document.getElementById('site-status');

try {
  const r = await fetch(new URL('/demo/api/site', base));
  const site = await r.json();
  if (!r.ok) throw new Error(site.error || site.message || r.statusText);
  const s = document.createElement('script');
  s.type = 'module';
  s.id = 'chat-widget-script';
  s.src = new URL('/chat-widget/widget-script.js', base).toString();
  s.setAttribute('guid', site.guid);
  s.setAttribute('main-color', '#0a66c2');
  document.getElementById('embed-code').textContent =
    `<script type="module" id="chat-widget-script"\n        src="${s.src}"\n        guid="${site.guid}" main-color="#0a66c2"></script>`;
  document.body.append(s);
  status.textContent = `Widget of "${site.organization.name}" loaded: open the bubble and write.`;
} catch (e) {
  status.textContent = `The demo backend did not answer: ${e.message}. Is the server running with --demo?`;
}
