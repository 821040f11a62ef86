// style.js — the visitor widget's stylesheet (adopted as a constructable sheet).
// User colours arrive as custom properties set from script (--main, --om, … and
// their -d dark variants); the dark set applies under prefers-color-scheme: dark,
// or always with theme="dark". .pv is the preview mode: in place, not fixed.

// theme="light|dark" (docs/widgets.md) forces one set whatever the system's scheme
const LIGHT = '--bg:#fff;--fg:#1a1d21;--mu:#56606d;--bd:#cfd5dd;--soft:#f4f6f9;--c:var(--main);--cf:var(--main-fg);--ic:var(--icon);--o:var(--om);--of:var(--om-fg);--err:#b00020;';
const DARK = '--bg:#1b1f24;--fg:#eceff3;--mu:#aab4c0;--bd:#3a424d;--soft:#242a31;--c:var(--main-d);--cf:var(--main-fg-d);--ic:var(--icon-d);--o:var(--om-d);--of:var(--om-fg-d);--err:#ff8a80';

export const STYLE = `
.w{${LIGHT}
all:initial;box-sizing:border-box;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:var(--fg);position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;flex-direction:column;
align-items:flex-end;gap:12px;text-align:left;direction:ltr;letter-spacing:normal;text-transform:none}
@media (prefers-color-scheme:dark){.w{${DARK}}}
.w.tl{${LIGHT}}.w.td{${DARK}}
.w.pv{position:relative;right:auto;bottom:auto;z-index:auto}.pv .panel{max-width:100%}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
button,textarea,input{font:inherit;color:inherit;margin:0}
button{cursor:pointer;border:0;background:none;padding:0}
:focus-visible{outline:3px solid var(--c);outline-offset:2px}
.launcher{width:58px;height:58px;border-radius:50%;background:var(--c);color:var(--ic);display:flex;
align-items:center;justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.25);position:relative}
.launcher svg{width:28px;height:28px}
.launcher:focus-visible{outline-color:var(--fg)}
.badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;
background:#c8102e;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center}
.err{margin:0;max-width:300px;padding:10px 12px;border-radius:10px;background:var(--bg);color:var(--err);
border:1px solid var(--bd);box-shadow:0 4px 14px rgba(0,0,0,.18)}
.panel{width:370px;height:560px;max-height:calc(100vh - 110px);background:var(--bg);color:var(--fg);
border:1px solid var(--bd);border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;
flex-direction:column;overflow:hidden}
.head{display:flex;align-items:center;gap:8px;padding:12px 12px 12px 16px;background:var(--c);color:var(--cf)}
.hd{flex:1;min-width:0}
.title{margin:0;font-size:16px;font-weight:700;line-height:1.3;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.sub{margin:2px 0 0;font-size:12.5px}
.icon{width:36px;height:36px;border-radius:8px;display:inline-flex;align-items:center;justify-content:center;flex:none}
.head .icon:focus-visible{outline-color:var(--cf)}
.banner{margin:0;padding:6px 12px;background:#fff4ce;color:#5c4400;font-size:13px}
.off{margin:0;padding:8px 12px;font-size:13px;font-weight:600;background:var(--bg);border-bottom:1px solid var(--bd)}
.lw{flex:1;min-height:0;position:relative;display:flex;flex-direction:column}
.newer{position:absolute;bottom:10px;left:50%;transform:translateX(-50%);padding:5px 12px;border-radius:14px;
background:var(--c);color:var(--cf);font-size:12.5px;font-weight:600;box-shadow:0 2px 8px rgba(0,0,0,.25)}
.newer:focus-visible{outline-color:var(--fg)}
.log{flex:1;min-height:0;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:var(--soft)}
.msg{display:flex;flex-direction:column;max-width:82%;align-self:flex-start}
.msg.a1{align-self:flex-end;align-items:flex-end}
.msg.a2{align-self:center;color:var(--mu);font-size:12.5px}
.bubble{padding:8px 11px;border-radius:14px;background:var(--o);color:var(--of);overflow-wrap:anywhere}
.a0 .bubble{border-bottom-left-radius:4px}
.a1 .bubble{background:var(--c);color:var(--cf);border-bottom-right-radius:4px}
.a2 .bubble{background:none;color:inherit;padding:2px}
.bubble a{color:inherit;text-decoration:underline}
.text{margin:0;white-space:pre-wrap}
.removed{font-style:italic}
.photo{display:block;max-width:100%;max-height:220px;border-radius:8px}
.fileln{display:inline-flex;align-items:center;gap:4px}
.meta{display:flex;gap:6px;font-size:11.5px;color:var(--mu);margin-top:2px;padding:0 4px}
.who{font-weight:600}
.tick.read{color:var(--fg);font-weight:700}
[data-pending]{opacity:.75}
.typing{margin:0;padding:4px 14px;font-size:12.5px;color:var(--mu);font-style:italic;background:var(--soft)}
.note{margin:0;padding:8px 12px;font-size:13px;border-top:1px solid var(--bd);background:var(--bg)}
.ferr{margin:2px 0 0;color:var(--err);font-size:12.5px}
.rate{padding:10px 14px;border-top:1px solid var(--bd);background:var(--bg)}
.rf{display:flex;flex-direction:column;gap:4px}
.rate fieldset{border:0;margin:0;padding:0}
.rate legend{padding:0;font-weight:600}
.stars{display:flex;align-items:center;gap:2px;margin-top:4px}
.rl{font-size:12px;color:var(--mu);padding:0 4px}
.star{position:relative;font-size:24px;line-height:1;color:var(--bd);cursor:pointer;padding:2px}
.star.on{color:#e5a00d}
.star input{position:absolute;opacity:0;width:100%;height:100%;inset:0;margin:0;cursor:pointer}
.star:focus-within{outline:3px solid var(--c);outline-offset:1px;border-radius:4px}
.rate textarea{min-height:0}
.thanks{margin:0;font-weight:600}
.foot{border-top:1px solid var(--bd);background:var(--bg)}
.composer{display:flex;align-items:flex-end;gap:4px;padding:8px}
textarea{flex:1;resize:none;min-height:38px;max-height:120px;padding:8px 10px;border:1px solid var(--bd);
border-radius:10px;background:var(--bg);line-height:1.4}
.send{color:var(--fg)}
.file{display:none}
.pre{display:flex;flex-direction:column;gap:4px;padding:12px 14px;border-top:1px solid var(--bd);background:var(--bg)}
.pre .intro{margin:0 0 4px;font-weight:600}
.pre input{padding:8px 10px;border:1px solid var(--bd);border-radius:8px;background:var(--bg);margin-bottom:4px}
.btn{margin-top:4px;padding:9px 12px;border-radius:8px;background:var(--c);color:var(--cf);font-weight:600}
@media (max-width:599px){.w.open{inset:0;gap:0}.w.open .panel{width:100%;height:100%;max-height:none;
border-radius:0;border:0}.w.open .launcher{display:none}}
`;
