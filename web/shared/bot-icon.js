// bot-icon.js — the round icons of the bot channels, drawn here as inline SVG
// (no request leaves the page, no style attribute: the colours are SVG fills),
// for the operator panel's chat list and header and the admin console's
// Channels page. Keyed by the public chat `source` numbers: 1 Viber, 2 Telegram.
const SVG_NS = 'http://www.w3.org/2000/svg';

/* source → [name, disc colour, white glyph path (24×24)] */
const BOTS = {
  1: ['Viber', '#7360f2', 'M6.2 5.6C8.8 3.4 15.2 3.4 17.8 5.6c1.9 1.6 2 4.6 1.5 7.2-.6 3-2.8 4.5-5.8 4.7-1 .1-2 0-2.9-.1L8 19.9v-3.1C5.4 15.8 4.6 14 4.5 11.6c-.1-2.4.1-4.6 1.7-6zM9.4 7.6c-.4-.4-1-.3-1.3.1l-.5.6c-.4.5-.4 1.2-.1 1.8.9 1.9 2.4 3.4 4.3 4.3.6.3 1.3.3 1.8-.1l.6-.5c.4-.3.5-.9.1-1.3l-1.1-1c-.3-.3-.8-.3-1.1 0l-.4.4c-.9-.4-1.6-1.1-2-2l.4-.4c.3-.3.3-.8 0-1.1z'],
  2: ['Telegram', '#229ed9', 'M5.3 11.6l11.9-4.6c.6-.2 1.1.1.9.9l-2 9.5c-.2.7-.6.8-1.1.5l-3-2.2-1.5 1.4c-.2.2-.3.3-.6.3l.2-3.1 5.6-5.1c.2-.2 0-.3-.4-.1l-6.9 4.4-3-.9c-.7-.2-.7-.7.1-1z'],
};

const find = (source) => BOTS[source] || Object.values(BOTS).find(([name]) => name.toLowerCase() === source);

/** The platform's name of a bot source (1, 2) or type ('viber', 'telegram'); '' for any other. */
export function botName(source) {
  const bot = find(source);
  return bot ? bot[0] : '';
}

/**
 * The icon of a bot source or type, or null for any other. Labelled with the platform's name
 * (role img, its name as tooltip) unless `decorative` (next to the name written out).
 */
export function botIcon(source, { size = 16, decorative = false } = {}) {
  const bot = find(source);
  if (!bot) return null;
  const [name, disc, glyph] = bot;
  const svg = document.createElementNS(SVG_NS, 'svg');
  const attrs = { viewBox: '0 0 24 24', width: String(size), height: String(size), class: 'chan', focusable: 'false',
    'data-channel': name.toLowerCase() };
  if (decorative) attrs['aria-hidden'] = 'true';
  else Object.assign(attrs, { role: 'img', 'aria-label': name });
  for (const [k, v] of Object.entries(attrs)) svg.setAttribute(k, v);
  if (!decorative) {
    const title = document.createElementNS(SVG_NS, 'title');
    title.textContent = name;
    svg.append(title);
  }
  const circle = document.createElementNS(SVG_NS, 'circle');
  for (const [k, v] of Object.entries({ cx: '12', cy: '12', r: '12', fill: disc })) circle.setAttribute(k, v);
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', glyph);
  path.setAttribute('fill', '#fff');
  path.setAttribute('fill-rule', 'evenodd'); // Viber's handset is a hole in its bubble
  svg.append(circle, path);
  return svg;
}
