// Starts Swagger UI (npm swagger-ui-dist, copied into the build by
// scripts/vendor.js) on this server's OpenAPI document. A file of its own,
// not the stock index.html's inline script: the page's CSP runs scripts of this
// origin only. BaseLayout, not the standalone preset's layout: its top bar's
// logo is an SVG with a <style> element, which that CSP refuses (and its spec
// URL box has nothing to explore here). validatorUrl: null, or Swagger UI would
// load a badge from a third-party validator. The Authorize dialog takes a
// company, operator or visitor token (or a company API key), sent as
// `Authorization: Bearer`.
window.addEventListener('DOMContentLoaded', () => {
  window.ui = window.SwaggerUIBundle({
    url: '/swagger/v1/swagger.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    validatorUrl: null,
    displayRequestDuration: true,
    showExtensions: true, // x-chathub-tokens: the token kinds each operation takes
  });
});
