// operator-chat-panel/channel.js — where a chat comes from, as the list and
// the chat header show it: a bot channel (source 1 Viber, 2 Telegram) as its
// small round icon, labelled with the platform's name; the widget and the API
// as the words they always were. The icons are inline SVG drawn here (no
// request leaves the page, no style attribute: the colours are SVG fills).
const SVG_NS = 'http://www.w3.org/2000/svg';

/* source → [name, disc colour, white glyph path (24×24)] */
const BOTS = {
  1: ['Viber', '#7360f2', 'M6.2 5.6C8.8 3.4 15.2 3.4 17.8 5.6c1.9 1.6 2 4.6 1.5 7.2-.6 3-2.8 4.5-5.8 4.7-1 .1-2 0-2.9-.1L8 19.9v-3.1C5.4 15.8 4.6 14 4.5 11.6c-.1-2.4.1-4.6 1.7-6zM9.4 7.6c-.4-.4-1-.3-1.3.1l-.5.6c-.4.5-.4 1.2-.1 1.8.9 1.9 2.4 3.4 4.3 4.3.6.3 1.3.3 1.8-.1l.6-.5c.4-.3.5-.9.1-1.3l-1.1-1c-.3-.3-.8-.3-1.1 0l-.4.4c-.9-.4-1.6-1.1-2-2l.4-.4c.3-.3.3-.8 0-1.1z'],
  2: ['Telegram', '#229ed9', 'M5.3 11.6l11.9-4.6c.6-.2 1.1.1.9.9l-2 9.5c-.2.7-.6.8-1.1.5l-3-2.2-1.5 1.4c-.2.2-.3.3-.6.3l.2-3.1 5.6-5.1c.2-.2 0-.3-.4-.1l-6.9 4.4-3-.9c-.7-.2-.7-.7.1-1z'],
};

/** The chat's channel as nodes: a labelled icon (bot channels) or the source's name. */
export function channel(source, t) {
  const bot = BOTS[source];
  if (!bot) return t.src[source] || '';
  const [name, disc, glyph] = bot;
  const svg = document.createElementNS(SVG_NS, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 24 24', width: '16', height: '16', class: 'chan',
    role: 'img', 'aria-label': name, focusable: 'false', 'data-channel': name.toLowerCase() })) svg.setAttribute(k, v);
  const title = document.createElementNS(SVG_NS, 'title');
  title.textContent = name;
  const circle = document.createElementNS(SVG_NS, 'circle');
  for (const [k, v] of Object.entries({ cx: '12', cy: '12', r: '12', fill: disc })) circle.setAttribute(k, v);
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', glyph);
  path.setAttribute('fill', '#fff');
  path.setAttribute('fill-rule', 'evenodd'); // Viber's handset is a hole in its bubble
  svg.append(title, circle, path);
  return svg;
}

