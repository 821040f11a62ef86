'use strict';
// Preload (`node -r`) that moves this process's wall clock by
// FAKE_CLOCK_OFFSET_MS, as an integrator's server would see time a day later:
// Date.now() and `new Date()` shift; dates built from values do not.
const offset = Number(process.env.FAKE_CLOCK_OFFSET_MS || 0);
if (offset) {
  const RealDate = Date;
  class MovedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }

    static now() { return RealDate.now() + offset; }
  }
  globalThis.Date = MovedDate;
}
