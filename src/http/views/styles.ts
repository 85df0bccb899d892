// The UI's one stylesheet, served from /static/app.css (the page CSP allows
// styles from 'self'; no third-party fonts or assets).
export const appCss = `
:root { --fg:#1d2330; --muted:#5b6474; --line:#d9dee7; --bg:#fff; --soft:#f4f6fa; --accent:#1f5fbf; --warn-bg:#fff4d6; --warn-line:#e0b84a; --bad:#a8261b; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
a { color:var(--accent); }
header.top { display:flex; gap:1rem; align-items:center; padding:.6rem 1.2rem; border-bottom:1px solid var(--line); background:var(--soft); flex-wrap:wrap; }
header.top .brand { font-weight:700; text-decoration:none; color:var(--fg); }
header.top form { margin-left:auto; display:flex; gap:.4rem; }
main { max-width:72rem; margin:0 auto; padding:1rem 1.2rem 3rem; }
footer { color:var(--muted); font-size:.85rem; text-align:center; padding:1rem; }
h1 { font-size:1.4rem; margin:.4rem 0 .8rem; overflow-wrap:anywhere; }
h2 { font-size:1.1rem; margin:1.4rem 0 .5rem; }
input[type=text], input[type=email] { padding:.4rem .5rem; border:1px solid var(--line); border-radius:4px; min-width:16rem; font:inherit; }
button, .button { padding:.4rem .8rem; border:1px solid var(--accent); border-radius:4px; background:var(--accent); color:#fff; font:inherit; cursor:pointer; text-decoration:none; display:inline-block; }
.button.secondary, button.secondary { background:#fff; color:var(--accent); }
button.danger { background:#fff; color:var(--bad); border-color:var(--bad); }
.notice { padding:.6rem .8rem; border:1px solid var(--warn-line); background:var(--warn-bg); border-radius:4px; margin:.8rem 0; }
.notice.info { border-color:var(--line); background:var(--soft); }
.notice.bad { border-color:var(--bad); background:#fde9e7; }
.muted { color:var(--muted); }
.addr { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:.9em; overflow-wrap:anywhere; }
.flag { display:inline-block; padding:0 .35rem; border-radius:3px; font-size:.8em; border:1px solid var(--bad); color:var(--bad); }
.flag.pending { border-color:var(--muted); color:var(--muted); }
table.list { width:100%; border-collapse:collapse; }
table.list th, table.list td { text-align:left; padding:.45rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
table.list th { font-size:.85rem; color:var(--muted); font-weight:600; }
table.list td.subject { width:45%; overflow-wrap:anywhere; }
table.list td.num, table.list th.num { text-align:right; white-space:nowrap; }
table.list tr.unread td.subject a { font-weight:600; }
.pager { display:flex; gap:1rem; margin:1rem 0; }
dl.summary { display:grid; grid-template-columns:max-content 1fr; gap:.25rem 1rem; margin:0 0 1rem; }
dl.summary dt { color:var(--muted); }
dl.summary dd { margin:0; overflow-wrap:anywhere; }
nav.tabs { display:flex; gap:.3rem; border-bottom:1px solid var(--line); margin:1rem 0 0; flex-wrap:wrap; }
nav.tabs a { padding:.4rem .8rem; border:1px solid transparent; border-bottom:none; border-radius:4px 4px 0 0; text-decoration:none; }
nav.tabs a[aria-current=page] { border-color:var(--line); background:var(--bg); margin-bottom:-1px; color:var(--fg); font-weight:600; }
.pane { border:1px solid var(--line); border-top:none; padding:.8rem; }
iframe.body { width:100%; height:70vh; min-height:20rem; border:0; resize:vertical; background:#fff; }
pre.text, pre.raw { white-space:pre-wrap; overflow-wrap:anywhere; margin:0; font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; }
table.headers { border-collapse:collapse; width:100%; font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; }
table.headers th { text-align:left; vertical-align:top; padding:.2rem .8rem .2rem 0; white-space:nowrap; color:var(--muted); }
table.headers td { overflow-wrap:anywhere; white-space:pre-wrap; padding:.2rem 0; }
ul.links, ul.attachments { padding-left:1.2rem; }
ul.links li { margin:.2rem 0; overflow-wrap:anywhere; }
.host { font-weight:700; }
.actions { display:flex; gap:.6rem; align-items:center; flex-wrap:wrap; margin:.8rem 0; }
.actions form { margin:0; }
code.cmd { display:block; padding:.5rem .7rem; background:var(--soft); border:1px solid var(--line); border-radius:4px; overflow-x:auto; white-space:pre; }
`;
