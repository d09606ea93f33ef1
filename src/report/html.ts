/**
 * The self-contained HTML report: summary, a timeline chart (Chart.js, inlined) and every incident with its
 * timeline. It opens offline and loads nothing: no external scripts, styles, fonts or images.
 *
 * Everything from the logs is attacker-controlled (a user can be named `<script>…`), so text is
 * HTML-escaped where it is written into markup, and the chart's data travels as JSON inside a
 * `<script type="application/json">` block with `<`, `>`, `&` and line separators escaped, then is read
 * with JSON.parse: it is never evaluated as code and never assigned as HTML.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Incident } from '../core/incident';
import { SEVERITIES, severityRank, type Severity } from '../core/severity';
import type { HuntResult } from '../hunt';
import { identityLabel, refLabel, relationText, utc } from './format';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESC[c] as string);
}

/** JSON safe to place inside a `<script>` element: cannot close it or open a comment. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const SEVERITY_COLOR: Record<Severity, string> = {
  info: '#8a8f98',
  low: '#2f80ed',
  medium: '#f2a900',
  high: '#eb5757',
  critical: '#9b1c1c',
};

let chartJsSource: string | undefined;
/** Chart.js's UMD build, read once. Its package exports map hides the file, so it is found beside the main entry. */
function chartJs(): string {
  if (chartJsSource === undefined) {
    const file = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');
    // Belt and braces: the bundle has no `</script`, but a future version must not be able to end our tag.
    chartJsSource = readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
  }
  return chartJsSource;
}

interface ChartPoint {
  x: number;
  y: number;
  severity: Severity;
  rule: string;
  summary: string;
}

function chartData(incidents: readonly Incident[]): {
  labels: string[];
  points: ChartPoint[];
  colors: Record<Severity, string>;
} {
  // An incident about an address has no actor name: its title starts with who it is about.
  const labels = incidents.map(
    (inc, i) => `#${i + 1} ${inc.actor.name ?? inc.actor.id ?? inc.title.split(': ')[0]}`,
  );
  const points: ChartPoint[] = [];
  incidents.forEach((inc, i) => {
    for (const t of inc.timeline) {
      points.push({ x: t['@timestamp'], y: i, severity: t.severity, rule: t.ruleId, summary: t.summary });
    }
  });
  return { labels, points, colors: SEVERITY_COLOR };
}

function badge(s: Severity): string {
  return `<span class="sev sev-${s}">${s}</span>`;
}

function renderIncident(inc: Incident, n: number): string {
  const byId = new Map(inc.detections.map((d) => [d.id, d]));
  const linked = inc.identities.filter((l) => l.relation !== 'actor');
  const rows = inc.timeline
    .map((t) => {
      const d = byId.get(t.detectionId);
      const ev =
        d === undefined
          ? ''
          : d.evidence
              .slice(0, 5)
              .map((r) => escapeHtml(refLabel(r)))
              .join('<br>');
      const more = d !== undefined && d.evidenceCount > 5 ? `<br>+${d.evidenceCount - 5} more` : '';
      return `<tr><td class="t">${escapeHtml(utc(t['@timestamp']))}</td><td>${badge(t.severity)}</td><td><code>${escapeHtml(
        t.ruleId,
      )}</code></td><td>${escapeHtml(t.summary)}${
        d?.escalation === undefined ? '' : `<div class="esc">escalated: ${escapeHtml(d.escalation)}</div>`
      }</td><td class="ev">${ev}${more}</td></tr>`;
    })
    .join('\n');
  const linkedHtml =
    linked.length === 0
      ? ''
      : `<p><b>Linked identities</b></p><ul>${linked
          .map(
            (l) =>
              `<li>${escapeHtml(identityLabel(l.identity))}: ${escapeHtml(relationText(l))} at ${escapeHtml(
                utc(l['@timestamp']),
              )}</li>`,
          )
          .join('')}</ul>`;
  return `<section class="incident">
<h3>${badge(inc.severity)} #${n} ${escapeHtml(inc.title)}</h3>
<p>Actor: <b>${escapeHtml(identityLabel(inc.actor))}</b> &middot; ${escapeHtml(utc(inc.firstTimestamp))} .. ${escapeHtml(
    utc(inc.lastTimestamp),
  )} &middot; <code>${escapeHtml(inc.id)}</code></p>
${linkedHtml}
<table><thead><tr><th>time (UTC)</th><th>severity</th><th>rule</th><th>summary</th><th>evidence</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</section>`;
}

function renderSummary(result: HuntResult): string {
  const s = result.summary;
  const sev = [...SEVERITIES]
    .reverse()
    .map((k) => `${badge(k)} ${s.bySeverity[k]}`)
    .join(' ');
  const files = result.files
    .map(
      (f) =>
        `<tr><td>${escapeHtml(f.file)}</td><td>${escapeHtml(
          Object.entries(f.formats)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'no recognised records',
        )}</td><td>${f.records}</td><td>${f.events}</td><td>${f.rejected}</td></tr>`,
    )
    .join('\n');
  const rejects = result.rejects
    .slice(0, 50)
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.index === undefined ? `${r.file}:${r.line}` : `${r.file}:${r.line}#${r.index}`)}</td><td>${escapeHtml(
          r.format,
        )}</td><td>${escapeHtml(r.reason)}</td><td><code>${escapeHtml(r.excerpt)}</code></td></tr>`,
    )
    .join('\n');
  return `<section>
<h2>Summary</h2>
<p>${s.records} records in ${s.files} file(s) &middot; ${s.events} events &middot; ${s.rejected} rejected &middot; ${
    s.detections
  } detections &middot; ${s.incidents} incidents &middot; run at ${escapeHtml(s.startedAt)} in ${s.durationMs} ms</p>
<p>${sev}</p>
<table><thead><tr><th>file</th><th>formats</th><th>records</th><th>events</th><th>rejected</th></tr></thead><tbody>
${files}
</tbody></table>
${
  rejects === ''
    ? ''
    : `<h3>Rejected records${s.rejected > 50 ? ` (first 50 of ${s.rejected})` : ''}</h3>
<table><thead><tr><th>where</th><th>format</th><th>reason</th><th>excerpt</th></tr></thead><tbody>
${rejects}
</tbody></table>`
}
</section>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#1d2125}
h1{font-size:1.6em}table{border-collapse:collapse;width:100%;margin:.5em 0 1em}
th,td{border-bottom:1px solid #dfe1e6;padding:4px 6px;text-align:left;vertical-align:top}
td.t{white-space:nowrap;font-family:ui-monospace,monospace}td.ev{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
.sev{display:inline-block;border-radius:3px;padding:0 6px;color:#fff;font-size:12px;text-transform:uppercase}
${SEVERITIES.map((s) => `.sev-${s}{background:${SEVERITY_COLOR[s]}}`).join('\n')}
.incident{border:1px solid #dfe1e6;border-radius:6px;padding:0 1em;margin:1em 0}.esc{color:#6b778c;font-size:12px}
#chart-wrap{position:relative;height:NNpx}`;

const CHART_SCRIPT = `
(function(){
  var data = JSON.parse(document.getElementById('bulkhead-data').textContent);
  if (!data.points.length || typeof Chart === 'undefined') return;
  function iso(ms){ return new Date(ms).toISOString().replace('T',' ').replace(/\\.\\d{3}Z$/,'Z'); }
  new Chart(document.getElementById('timeline'), {
    type: 'scatter',
    data: { datasets: [{
      data: data.points,
      pointRadius: 6,
      pointBackgroundColor: data.points.map(function(p){ return data.colors[p.severity]; }),
      pointBorderColor: data.points.map(function(p){ return data.colors[p.severity]; })
    }]},
    options: {
      animation: false, maintainAspectRatio: false,
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: function(ctx){
        var p = ctx.raw; return [iso(p.x) + '  ' + p.severity + '  ' + p.rule, p.summary];
      }}}},
      scales: {
        x: { type: 'linear', ticks: { callback: function(v){ return iso(v); }, maxRotation: 30 } },
        y: { type: 'linear', reverse: true, min: -0.5, max: data.labels.length - 0.5,
             // One tick per incident row: with min -0.5 the generated ticks fall between rows.
             afterBuildTicks: function(axis){ axis.ticks = data.labels.map(function(_, i){ return { value: i }; }); },
             ticks: { autoSkip: false, callback: function(v){ return data.labels[v] || ''; } } }
      }
    }
  });
})();`;

export function renderHtml(result: HuntResult): string {
  const incidents = [...result.incidents].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.firstTimestamp - b.firstTimestamp,
  );
  const data = chartData(incidents);
  const chartHeight = Math.max(160, 60 + incidents.length * 36);
  const incidentsHtml =
    incidents.length === 0
      ? '<p>No incidents.</p>'
      : incidents.map((inc, i) => renderIncident(inc, i + 1)).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>Bulkhead hunt report</title>
<style>${STYLE.replace('NN', String(chartHeight))}</style>
</head><body>
<h1>Bulkhead hunt report</h1>
<p>${result.summary.incidents} incident(s), ${result.summary.detections} detection(s) from ${result.summary.records} record(s). Schema <code>${
    result.schema
  }</code>.</p>
<h2>Timeline</h2>
${
  data.points.length === 0
    ? '<p>No detections to plot.</p>'
    : `<p>Each row is an incident (its actor), each dot a detection at its event time (UTC), coloured by severity: ${[
        ...SEVERITIES,
      ]
        .reverse()
        .map(badge)
        .join(' ')}</p>\n<div id="chart-wrap"><canvas id="timeline"></canvas></div>`
}
<h2>Incidents</h2>
${incidentsHtml}
${renderSummary(result)}
<script type="application/json" id="bulkhead-data">${jsonForScript(data)}</script>
<script>${chartJs()}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
