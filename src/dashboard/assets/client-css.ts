/** The dashboard's stylesheet, served as /assets/dashboard.css (a string module: tsc ships it in dist/). */
export const CLIENT_CSS = `
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fafafa; --line: #d0d0d0; --muted: #666; --bad: #c62828; --ok: #2e7d32; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e6e6; --bg: #161616; --line: #3a3a3a; --muted: #9a9a9a; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.1rem; margin: 0; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1rem; padding: 1rem; }
section { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .8rem; overflow-x: auto; }
section h2 { font-size: 1rem; margin: .2rem 0 .5rem; }
#summary { grid-column: 1 / -1; display: flex; flex-wrap: wrap; gap: 1.5rem; margin: 0; }
#summary dt { color: var(--muted); font-size: .8rem; }
#summary dd { margin: 0; font-size: 1.2rem; }
#cluster, #failures, #hosts, #models, #trends { grid-column: 1 / -1; }
.cluster-error { color: var(--bad); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
tr.empty td { color: var(--muted); font-style: italic; }
td[data-field=reason], td[data-field=hint] { max-width: 28rem; overflow-wrap: anywhere; }
tr.state-OPEN td[data-field=state] { color: var(--bad); font-weight: 600; }
tr.state-CLOSED td[data-field=state] { color: var(--ok); }
form.retry { display: flex; gap: .3rem; align-items: center; }
.retry-result { color: var(--muted); }
.range button[aria-pressed=true] { font-weight: 700; }
footer { padding: .5rem 1rem; color: var(--muted); }
`;
