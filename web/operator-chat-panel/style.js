// The panel's stylesheet (adopted as a constructable stylesheet: strict-CSP safe).
export const CSS = `
:host{all:initial}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.root{--bg:#fff;--fg:#1b1f24;--mut:#4a525c;--line:#d5d9de;--soft:#f1f3f5;--acc:#0b57d0;--accfg:#fff;
--me:#0b57d0;--mefg:#fff;--they:#eef0f3;--theyfg:#1b1f24;--err:#a50e0e;--warn:#fff4ce;--warnfg:#3d2e00;
--note:#fff3b0;--notefg:#3d2e00;--noteline:#d9b300;--ok:#0f6d31;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:14px;line-height:1.4;
font-weight:400;font-style:normal;letter-spacing:normal;text-align:left;color:var(--fg);box-sizing:border-box;
direction:ltr;text-transform:none}
.root.dark{--bg:#1b1e23;--fg:#e8eaed;--mut:#b4bac3;--line:#3b4048;--soft:#262a31;--acc:#8ab4f8;--accfg:#0b1a33;
--me:#8ab4f8;--mefg:#0b1a33;--they:#2e333b;--theyfg:#e8eaed;--err:#ffb4ab;--warn:#4a3c00;--warnfg:#ffe08a;
--note:#4a3c00;--notefg:#ffe9a3;--noteline:#b38f00;--ok:#8fdca0}
@media (prefers-color-scheme:dark){.root.auto{--bg:#1b1e23;--fg:#e8eaed;--mut:#b4bac3;--line:#3b4048;--soft:#262a31;
--acc:#8ab4f8;--accfg:#0b1a33;--me:#8ab4f8;--mefg:#0b1a33;--they:#2e333b;--theyfg:#e8eaed;--err:#ffb4ab;
--warn:#4a3c00;--warnfg:#ffe08a;--note:#4a3c00;--notefg:#ffe9a3;--noteline:#b38f00;--ok:#8fdca0}}
button,textarea,select,input{font:inherit;color:inherit;margin:0}
button{cursor:pointer;border:1px solid var(--line);background:var(--soft);color:var(--fg);border-radius:6px;
padding:4px 10px;min-height:32px}
button:focus-visible,textarea:focus-visible,select:focus-visible,input:focus-visible,.log:focus-visible,a:focus-visible,
.helpbox:focus-visible,.manage h3:focus-visible,[role="option"]:focus-visible{
outline:3px solid var(--acc);outline-offset:2px}
h2,h3,h4,p,ul,dl,dd{margin:0;padding:0;font:inherit}
ul{list-style:none}
a{color:inherit;text-decoration:underline}
.launcher{position:fixed;right:calc(20px + var(--slot,0) * 72px);bottom:20px;width:56px;height:56px;border-radius:50%;
background:var(--acc);color:var(--accfg);border:0;display:flex;align-items:center;justify-content:center;
z-index:2147483000;box-shadow:0 4px 14px rgba(0,0,0,.3)}
.launcher svg{width:26px;height:26px}
.badge{position:absolute;top:-4px;right:-4px;background:#b3261e;color:#fff;border-radius:10px;min-width:20px;
padding:0 5px;font-size:12px;line-height:20px;text-align:center;font-weight:700}
.panel{background:var(--bg);color:var(--fg);display:flex;flex-direction:column;overflow:hidden;position:relative;
container-type:inline-size}
.float .panel{position:fixed;right:20px;bottom:88px;width:min(1040px,calc(100vw - 40px));
height:min(620px,calc(100vh - 110px));border:1px solid var(--line);border-radius:12px;z-index:2147483001;
box-shadow:0 8px 30px rgba(0,0,0,.3)}
.root.inline{height:100%}
.inline .panel{width:100%;height:100%;min-height:420px;border:1px solid var(--line);border-radius:8px}
.top{display:flex;align-items:center;gap:8px;padding:8px 12px;border-bottom:1px solid var(--line)}
.top h2{font-size:16px;font-weight:700;flex:1}
.presence.online{background:#0f6d31;color:#fff;border-color:#0f6d31}
.presence.away{background:#7a4f00;color:#fff;border-color:#7a4f00}
.icon{display:inline-flex;align-items:center;justify-content:center;padding:4px;min-width:34px}
.primary{background:var(--acc);color:var(--accfg);border-color:var(--acc)}
.banner,.note:not(:empty){background:var(--warn);color:var(--warnfg);padding:6px 12px;font-size:13px}
.error{padding:16px;color:var(--err);font-weight:600}
.body{display:flex;flex:1;min-height:0;position:relative}
.list{width:240px;flex:none;border-right:1px solid var(--line);overflow:auto;padding:6px}
.finder{display:flex;flex-direction:column;gap:4px;padding:2px 2px 6px;border-bottom:1px solid var(--line)}
.finder input,.finder select{width:100%;border:1px solid var(--line);border-radius:6px;padding:4px 8px;background:var(--bg);
color:var(--fg);min-height:32px}
mark{background:var(--note);color:var(--notefg);font-weight:700;border-radius:2px}
[data-snippet]{white-space:normal;display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical}
.chips{display:flex;flex-wrap:wrap;gap:4px;margin-top:2px}
.csat{display:inline-block;align-self:flex-start;margin-top:2px;padding:0 6px;border-radius:10px;font-size:12px;font-weight:600;
background:#fff4ce;color:#5c4400}
.csat-c{margin:2px 0 0;font-size:12.5px;font-style:italic;overflow-wrap:anywhere;white-space:pre-wrap;max-height:4.5em;overflow-y:auto}
.chip{background:var(--chip,#6b7280);color:var(--chipfg,#fff);border-radius:10px;padding:0 8px;font-size:12px;
font-weight:600;line-height:18px;max-width:100%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.lpop{position:absolute;right:12px;top:56px;z-index:7;background:var(--bg);border:1px solid var(--line);border-radius:8px;
box-shadow:0 4px 14px rgba(0,0,0,.25);padding:8px 10px;min-width:200px;max-width:min(320px,90%);max-height:60%;overflow:auto}
.lpop fieldset{border:0;margin:0;padding:0}
.lpop legend{font-weight:700;padding:0 0 4px}
.lbox{display:flex;gap:8px;align-items:center;padding:3px 0;cursor:pointer}
.lbox input{width:18px;height:18px;margin:0}
.profile{width:300px;flex:none;border-left:1px solid var(--line);overflow:auto;padding:8px 12px;display:flex;
flex-direction:column;gap:6px;background:var(--bg)}
.profile h3{font-weight:700;font-size:15px;flex:1}
.profile h4{font-weight:700;font-size:13px;margin-top:6px}
.pfields{display:flex;flex-direction:column;gap:4px}
.prow{display:flex;flex-direction:column}
.prow dt{font-size:12px;color:var(--mut)}
.prow dd{overflow-wrap:anywhere}
.verified{margin-left:6px;font-size:12px;color:var(--ok);font-weight:700}
.pchats{display:flex;flex-direction:column;gap:2px}
.attrrow{display:flex;gap:6px;align-items:flex-end}
.attrrow .field{flex:1;min-width:0}
.sect h3{font-size:12px;font-weight:700;text-transform:uppercase;color:var(--mut);margin:8px 4px 4px}
.muted{color:var(--mut);padding:4px;font-size:13px}
.item{display:flex;flex-direction:column;align-items:stretch;width:100%;text-align:left;background:transparent;
border:1px solid transparent;padding:6px 8px;margin:2px 0;border-radius:8px;gap:1px}
.item[aria-current="true"]{background:var(--soft);border-color:var(--line)}
.row{display:flex;gap:6px;align-items:center}
.name{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-weight:600}
.count{background:#b3261e;color:#fff;border-radius:10px;padding:0 6px;font-size:12px;font-weight:700}
.meta{color:var(--mut);font-size:12px}
.chan{vertical-align:-3px}
.msg.a0[data-status="2"]{box-shadow:0 0 0 2px var(--err)}
.msg[data-status="2"] .tick{font-weight:700}
.last{color:var(--mut);font-size:13px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.conv{flex:1;display:flex;flex-direction:column;min-width:0;position:relative}
.convhead{display:flex;align-items:center;gap:8px;padding:8px 12px;border-bottom:1px solid var(--line);flex-wrap:wrap}
.who{flex:1;min-width:120px}
.who h3{font-weight:700;font-size:15px;overflow-wrap:anywhere}
.acts{display:flex;gap:6px;flex-wrap:wrap;align-items:center}
select{border:1px solid var(--line);background:var(--bg);color:var(--fg);border-radius:6px;min-height:32px;padding:2px 6px}
.back{display:none}
.log{flex:1;overflow-y:auto;padding:10px 12px;display:flex;flex-direction:column;gap:6px;min-height:0}
.earlier{align-self:center}
.msg{max-width:78%;padding:6px 10px;border-radius:12px;overflow-wrap:anywhere;white-space:pre-wrap}
.msg .removed{font-style:italic}
.msg.a1{align-self:flex-start;background:var(--they);color:var(--theyfg)}
.msg.a0{align-self:flex-end;background:var(--me);color:var(--mefg)}
.msg.a2{align-self:stretch;max-width:none;background:transparent;color:var(--mut);font-size:12px;text-align:center;
display:flex;align-items:center;gap:8px;border-radius:0;padding:2px 0}
.msg.a2::before,.msg.a2::after{content:"";flex:1;border-top:1px solid var(--line)}
.msg.a2 .time{display:inline;text-align:center}
.msg.hit{outline:3px solid var(--noteline);outline-offset:1px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.pnote{align-self:stretch;background:var(--note);color:var(--notefg);border:1px dashed var(--noteline);
border-left:4px solid var(--noteline);border-radius:6px;padding:6px 10px;overflow-wrap:anywhere;white-space:pre-wrap}
.ntag{display:block;font-size:12px}
.composer.notemode{background:var(--note);color:var(--notefg)}
.composer.notemode textarea{border:2px dashed var(--noteline)}
.notetag{position:absolute;left:8px;top:-20px;background:var(--note);color:var(--notefg);font-size:12px;font-weight:700;
padding:0 8px;border-radius:6px 6px 0 0;border:1px solid var(--noteline);border-bottom:0}
.notebtn[aria-pressed="true"]{background:var(--noteline);color:#1b1f24;border-color:var(--noteline)}
.readonly{padding:8px 12px;border-top:1px solid var(--line);color:var(--mut);font-size:13px}
.at{background:var(--noteline);color:#1b1f24;border-radius:10px;padding:0 6px;font-size:12px;font-weight:700}
.msg[data-pending]{opacity:.85}
.by{display:block;font-size:12px;font-weight:700}
.time{display:block;font-size:11px;text-align:right}
.photo{max-width:220px;max-height:180px;display:block;border-radius:6px}
.fileln{display:block;font-weight:600}
.typing{padding:2px 12px;color:var(--mut);font-size:12px;font-style:italic}
.composer{display:flex;gap:6px;padding:8px;border-top:1px solid var(--line);align-items:flex-end;position:relative}
.composer textarea{flex:1;resize:none;border:1px solid var(--line);border-radius:8px;padding:6px 8px;
background:var(--bg);color:var(--fg);min-height:40px;max-height:120px}
.file{display:none}
.canned-pop{position:absolute;left:8px;right:8px;bottom:100%;max-height:240px;overflow:auto;background:var(--bg);
border:1px solid var(--line);border-radius:8px;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:5;padding:4px}
.canned-opt{display:flex;gap:8px;align-items:baseline;padding:6px 8px;border-radius:6px;cursor:pointer}
.canned-opt[aria-selected="true"]{background:var(--acc);color:var(--accfg)}
.canned-opt .sc,.mitem .sc{font-weight:700;font-family:ui-monospace,Menlo,Consolas,monospace}
.canned-opt .ti{flex:none;font-weight:600}
.canned-opt .tx{color:var(--mut);flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.canned-opt[aria-selected="true"] .tx{color:inherit}
.manage{flex:1;overflow:auto;padding:10px 12px;display:flex;flex-direction:column;gap:8px;min-height:0}
.mhead{display:flex;gap:8px;align-items:center}
.mhead h3{flex:1;font-weight:700;font-size:15px}
.merror:not(:empty){color:var(--err);font-weight:600}
.mstatus:not(:empty){color:var(--mut)}
.mlist{display:flex;flex-direction:column;gap:6px}
.mitem{border:1px solid var(--line);border-radius:8px;padding:8px}
.mrow{display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.scope{font-size:12px;color:var(--mut);border:1px solid var(--line);border-radius:10px;padding:0 6px}
.mitem .tx{white-space:pre-wrap;overflow-wrap:anywhere;margin:4px 0}
.mform{display:flex;flex-direction:column;gap:6px;border:1px solid var(--line);border-radius:8px;padding:8px}
.mform h4{font-size:14px;font-weight:700}
.field{display:flex;flex-direction:column;gap:2px;font-size:13px}
.field input,.field textarea,.field select{border:1px solid var(--line);border-radius:6px;padding:4px 8px;
background:var(--bg);color:var(--fg);min-height:32px}
.field textarea{resize:vertical}
.overlay{position:absolute;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:center;justify-content:center;
z-index:10}
.helpbox{background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:10px;padding:12px 16px;
min-width:min(300px,90%);max-width:90%;max-height:90%;overflow:auto}
.helpbox h3{font-weight:700;font-size:15px;flex:1}
.keys{margin-top:8px}
.krow{display:flex;gap:12px;padding:3px 0}
.keys dt{min-width:140px;flex:none}
kbd{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;border:1px solid var(--line);border-bottom-width:2px;
border-radius:4px;padding:0 5px;background:var(--soft);color:var(--fg)}
@container (max-width:879px){
.profile{position:absolute;top:0;right:0;bottom:0;width:min(320px,100%);z-index:8;box-shadow:-4px 0 14px rgba(0,0,0,.3)}
}
@media (max-width:599px){
.float .panel{right:0;bottom:0;width:100vw;height:100vh;border-radius:0;border:0}
.list{width:100%;border-right:0}
.has-chat .list{display:none}
.root:not(.has-chat) .conv{display:none}
.back{display:inline-flex}
}
`;
