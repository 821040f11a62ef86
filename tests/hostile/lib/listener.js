'use strict';
// A local HTTP listener standing for an internal service (or a channel
// bridge): records every request; `mode: 'reset'` drops each connection at
// once instead of answering.

const http = require('node:http');
const net = require('node:net');

async function listen({ mode = 'ok' } = {}) {
  const got = [];
  let server;
  if (mode === 'reset') {
    server = net.createServer((s) => { got.push({ at: Date.now() }); s.on('error', () => {}); s.destroy(); });
  } else {
    server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (d) => chunks.push(d));
      req.on('end', () => {
        got.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks), at: Date.now() });
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
      });
    });
  }
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { got, port: server.address().port, close: () => new Promise((r) => server.close(() => r())) };
}

module.exports = { listen };
