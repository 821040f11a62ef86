#!/usr/bin/env node
// The peer of scenario 4: what a team without ChatHub would write — a minimal SignalR-JSON-over-WebSocket relay on
// the npm `ws` package, single process, persisting nothing.
//
//   node bench/relay/relay.js --port 18520
//
// Accepts the URLs ChatHub accepts (`/chathub?access_token=<JWT>` or `Authorization: Bearer`), decodes the JWT
// payload WITHOUT verifying it (`typ` operator|visitor, `sub`, `oid`), answers the handshake and pings, and relays
// `SendMessage(chatId | null, text, clientMessageId)`: a visitor's message creates / uses the visitor's chat (in
// memory, ids from a counter, `seq` per chat) and goes to the operator connections of its organization as
// `ReceiveMessage`; an operator's message goes to the chat's visitor connections. Every invocation is completed
// (type 3) with the message as its result. Same message shape as ChatHub (docs/api.md).
'use strict';
const { WebSocketServer } = require('ws');

const RS = '\x1e';
let port = 18520;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--port') port = Number(argv[++i]);
  else { console.log('usage: node bench/relay/relay.js [--port P]'); process.exit(argv[i] === '--help' ? 0 : 2); }
}

const operatorsByOrg = new Map();  // oid -> Set(conn)
const visitorsById = new Map();    // visitor sub -> Set(conn)
const chats = new Map();           // chatId -> {id, oid, visitor, seq}
const chatOfVisitor = new Map();   // visitor sub -> chatId
let nextChatId = 1, nextMessageId = 1;

function decodeJwt(token) {
  try {
    const p = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    if ((p.typ !== 'operator' && p.typ !== 'visitor') || p.sub == null || p.oid == null) return null;
    return p;
  } catch { return null; }
}

function setOf(map, key) {
  let s = map.get(key);
  if (!s) { s = new Set(); map.set(key, s); }
  return s;
}

function send(conn, obj) {
  if (conn.ws.readyState === 1) conn.ws.send(JSON.stringify(obj) + RS);
}

function broadcast(set, except, obj) {
  if (!set) return;
  const frame = JSON.stringify(obj) + RS;          // serialise once
  for (const c of set) if (c !== except && c.ws.readyState === 1) c.ws.send(frame);
}

function sendMessage(conn, args) {
  const [chatIdArg, text, clientMessageId] = args;
  if (typeof text !== 'string') return { error: 'bad arguments' };
  let chat;
  if (conn.typ === 'visitor') {
    const id = chatIdArg == null ? chatOfVisitor.get(conn.sub) : chatIdArg;
    chat = id == null ? null : chats.get(id);
    if (chatIdArg == null && !chat) {
      chat = { id: nextChatId++, oid: conn.oid, visitor: conn.sub, seq: 0 };
      chats.set(chat.id, chat);
      chatOfVisitor.set(conn.sub, chat.id);
    }
    if (!chat || chat.visitor !== conn.sub) return { error: 'not found' };
  } else {
    chat = chats.get(chatIdArg);
    if (!chat || chat.oid !== conn.oid) return { error: 'not found' };
  }
  const message = {
    id: nextMessageId++, chatId: chat.id, seq: ++chat.seq, author: conn.typ === 'visitor' ? 1 : 0,
    textMessage: text, clientMessageId: clientMessageId ?? null, createdAt: new Date().toISOString(),
  };
  const event = { type: 1, target: 'ReceiveMessage', arguments: [message] };
  // Both sides of the chat except the sending connection, as ChatHub does.
  broadcast(operatorsByOrg.get(chat.oid), conn, event);
  broadcast(visitorsById.get(chat.visitor), conn, event);
  return { result: message };
}

function onRecord(conn, text) {
  if (!conn.handshaken) {
    let hs;
    try { hs = JSON.parse(text); } catch { hs = null; }
    if (!hs || hs.protocol !== 'json' || hs.version !== 1) {
      conn.ws.send(JSON.stringify({ error: 'unsupported protocol' }) + RS);
      conn.ws.close();
      return;
    }
    conn.handshaken = true;
    conn.ws.send('{}' + RS);
    return;
  }
  let msg;
  try { msg = JSON.parse(text); } catch {
    send(conn, { type: 7, error: 'invalid JSON' });
    conn.ws.close();
    return;
  }
  if (msg.type === 6) return;                      // ping
  if (msg.type === 7) { conn.ws.close(); return; }
  if (msg.type !== 1) return;
  const out = msg.target === 'SendMessage' && Array.isArray(msg.arguments)
    ? sendMessage(conn, msg.arguments) : { error: 'unknown method' };
  if (msg.invocationId != null) send(conn, { type: 3, invocationId: msg.invocationId, ...out });
}

const wss = new WebSocketServer({ port, host: '127.0.0.1', path: '/chathub', maxPayload: 64 * 1024 });
wss.on('connection', (ws, req) => {
  const url = new URL(req.url, 'http://x');
  let token = url.searchParams.get('access_token');
  const auth = req.headers.authorization || '';
  if (!token && auth.startsWith('Bearer ')) token = auth.slice(7);
  const claims = token && decodeJwt(token);
  if (!claims) { ws.close(1008, 'unauthorized'); return; }
  const conn = { ws, typ: claims.typ, sub: claims.sub, oid: claims.oid, handshaken: false, buf: '', lastSeen: Date.now() };
  const set = conn.typ === 'operator' ? setOf(operatorsByOrg, conn.oid) : setOf(visitorsById, conn.sub);
  set.add(conn);
  ws.on('message', (data) => {
    conn.lastSeen = Date.now();
    conn.buf += data.toString('utf8');             // a record may span frames; a frame may hold several
    let i;
    while ((i = conn.buf.indexOf(RS)) !== -1) {
      const rec = conn.buf.slice(0, i);
      conn.buf = conn.buf.slice(i + 1);
      onRecord(conn, rec);
    }
  });
  ws.on('close', () => set.delete(conn));
  ws.on('error', () => {});
});

// Keep-alive as in ChatHub: a ping every 15 s, drop clients silent for 30 s.
setInterval(() => {
  const now = Date.now();
  for (const ws of wss.clients) {
    if (ws.readyState !== 1) continue;
    ws.send('{"type":6}' + RS);
  }
  for (const set of [...operatorsByOrg.values(), ...visitorsById.values()]) {
    for (const c of set) if (now - c.lastSeen > 30000) c.ws.terminate();
  }
}, 15000).unref();

wss.on('listening', () => process.stderr.write(`relay: listening on 127.0.0.1:${port}\n`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { wss.close(); process.exit(0); });
