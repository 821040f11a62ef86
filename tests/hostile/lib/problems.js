'use strict';
// Collects every violated expectation of a test before failing, so that one
// run shows all the effects of an attack (on the attacker's answers, on the
// bystanders, on memory, on storage) rather than the first one only.

const assert = require('node:assert/strict');

class Problems {
  constructor() { this.list = []; }

  add(msg) { this.list.push(msg); }

  // Records msg (a string or a function making one) when cond is false.
  check(cond, msg) {
    if (!cond) this.add(typeof msg === 'function' ? msg() : msg);
    return !!cond;
  }

  assertNone(what = 'expectations') {
    if (this.list.length) {
      assert.fail(`${this.list.length} ${what} violated:\n  - ${this.list.join('\n  - ')}`);
    }
  }
}

module.exports = { Problems };
