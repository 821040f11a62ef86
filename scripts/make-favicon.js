#!/usr/bin/env node
'use strict';
// Draws web/favicon.ico: a blue chat bubble with three white dots, at 16×16
// and 32×32, as 32-bit (alpha) bitmaps in one .ico file. The file is
// committed; rerun this only to change the icon.
// Usage: node scripts/make-favicon.js [out]   (default: web/favicon.ico)

const fs = require('node:fs');
const path = require('node:path');

const BLUE = [0x0a, 0x66, 0xc2]; // the demo's main colour
const WHITE = [0xff, 0xff, 0xff];
const SUPER = 4; // samples per pixel edge (anti-aliasing)

// The shape on a 32×32 canvas: the colour at (x, y), or null outside.
function shade(x, y) {
  const dot = [10, 16, 22].some((cx) => (x - cx) ** 2 + (y - 13) ** 2 <= 2.4 ** 2);
  const r = 6;
  const inRect = x >= 2 && x <= 30 && y >= 3 && y <= 23;
  const cx = Math.min(Math.max(x, 2 + r), 30 - r);
  const cy = Math.min(Math.max(y, 3 + r), 23 - r);
  const inBubble = inRect && (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  // the tail: a triangle below the bubble's left part
  const inTail = y >= 22 && y <= 29.5 && x >= 7 && x <= 7 + (29.5 - y) * 1.1;
  if (!inBubble && !inTail) return null;
  return dot && inBubble ? WHITE : BLUE;
}

/** BGRA rows, bottom-up, of the icon at size×size. */
function render(size) {
  const scale = 32 / size;
  const px = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let a = 0;
      const sum = [0, 0, 0];
      for (let sy = 0; sy < SUPER; sy++) {
        for (let sx = 0; sx < SUPER; sx++) {
          const c = shade((x + (sx + 0.5) / SUPER) * scale, (y + (sy + 0.5) / SUPER) * scale);
          if (!c) continue;
          a++;
          for (let i = 0; i < 3; i++) sum[i] += c[i];
        }
      }
      const o = ((size - 1 - y) * size + x) * 4;
      if (a) {
        px[o] = Math.round(sum[2] / a);
        px[o + 1] = Math.round(sum[1] / a);
        px[o + 2] = Math.round(sum[0] / a);
      }
      px[o + 3] = Math.round((255 * a) / (SUPER * SUPER));
    }
  }
  return px;
}

/** One icon image: BITMAPINFOHEADER, the pixels, an all-opaque AND mask (alpha decides). */
function image(size) {
  const header = Buffer.alloc(40);
  const maskRow = Math.ceil(size / 32) * 4;
  const pixels = render(size);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // XOR bitmap + AND mask
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  header.writeUInt32LE(pixels.length + maskRow * size, 20);
  return Buffer.concat([header, pixels, Buffer.alloc(maskRow * size)]);
}

function ico(sizes) {
  const images = sizes.map(image);
  const dir = Buffer.alloc(6 + 16 * sizes.length);
  dir.writeUInt16LE(1, 2); // type: icon
  dir.writeUInt16LE(sizes.length, 4);
  let offset = dir.length;
  sizes.forEach((s, i) => {
    const e = 6 + 16 * i;
    dir[e] = s;
    dir[e + 1] = s;
    dir.writeUInt16LE(1, e + 4); // planes
    dir.writeUInt16LE(32, e + 6); // bits per pixel
    dir.writeUInt32LE(images[i].length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += images[i].length;
  });
  return Buffer.concat([dir, ...images]);
}

const out = path.resolve(process.argv[2] || path.join(__dirname, '..', 'web', 'favicon.ico'));
fs.writeFileSync(out, ico([16, 32]));
console.log(`make-favicon: ${path.relative(process.cwd(), out)} ${fs.statSync(out).size} bytes`);
