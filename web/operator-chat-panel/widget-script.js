// operator-chat-panel/widget-script.js — the operator's real-time console,
// embedded with <script type="module" id="operator-chat-panel-script" token="…">.
// One panel (panel.js) per matching script element (watchScripts): removed
// element → panel unmounted (connection, timers, listeners, DOM, title badge);
// `token` changed → reconnect with the new token. The panel's modules are
// plain ES modules next to this one; the build bundles them into this URL.
import { watchScripts } from '../shared/dom.js';
import { Panel } from './panel.js';

watchScripts('script[id^="operator-chat-panel-script"]', ['token', 'lang', 'theme'], {
  mount: (script) => { const inst = new Panel(script); inst.start(); return inst; },
  unmount: (inst) => inst.unmount(),
  update: (inst, attr) => inst.update(attr),
});
