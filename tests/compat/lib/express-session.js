'use strict';
// Preload (`node -r`) for the guide's Express snippet: the snippet reads
// req.session.userId ("Authenticate your user first") and leaves the session
// to the integrator. Every app made by express() gets a first middleware
// that takes the user from the X-Test-User header (none: no user).
const Module = require('node:module');

const load = Module._load;
Module._load = function (request, parent, isMain) {
  const mod = load.call(this, request, parent, isMain);
  if (request !== 'express' || mod.__withSession) return mod;
  const withSession = function (...args) {
    const app = mod(...args);
    app.use((req, _res, next) => {
      req.session = { userId: req.get('x-test-user') || undefined };
      next();
    });
    return app;
  };
  Object.assign(withSession, mod, { __withSession: true });
  return withSession;
};
