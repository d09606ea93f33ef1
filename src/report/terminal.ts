/** The human report `bulkhead hunt` prints: incidents with their timelines, then a summary. */
import pc from 'picocolors';
import type { Detection } from '../core/detection';
import type { Incident } from '../core/incident';
import { SEVERITIES, severityRank, type Severity } from '../core/severity';
import type { HuntResult } from '../hunt';
import { clean, identityLabel, refLabel, relationText, utc } from './format';

type Colors = ReturnType<typeof pc.createColors>;

export interface TerminalOptions {
  /** ANSI colours; decide from the stream (`isTTY`, NO_COLOR) at the call site. */
  color: boolean;
  /** Rejects named in the summary before "and N more". */
  maxRejectsShown?: number;
  /** Files listed with their formats before the rest are summed. */
  maxFilesShown?: number;
}

function paint(c: Colors, s: Severity, text: string): string {
  switch (s) {
    case 'critical':
      return c.bold(c.bgRed(c.white(text)));
    case 'high':
      return c.bold(c.red(text));
    case 'medium':
      return c.yellow(text);
    case 'low':
      return c.cyan(text);
    case 'info':
      return c.dim(text);
  }
}

const SEV_WIDTH = Math.max(...SEVERITIES.map((s) => s.length));

function evidenceOf(d: Detection): string {
  const first = d.evidence.slice(0, 3).map(refLabel).join(', ');
  const more = d.evidenceCount > 3 ? ` +${d.evidenceCount - 3} more` : '';
  return first + more;
}

function renderIncident(c: Colors, inc: Incident, n: number): string[] {
  const out: string[] = [];
  const head = `${paint(c, inc.severity, ` ${inc.severity.toUpperCase()} `)} ${c.bold(`#${n} ${clean(inc.title)}`)}`;
  out.push(head);
  out.push(`  actor:     ${clean(identityLabel(inc.actor))}`);
  out.push(`  period:    ${utc(inc.firstTimestamp)} .. ${utc(inc.lastTimestamp)}   id ${inc.id}`);
  const linked = inc.identities.filter((l) => l.relation !== 'actor');
  if (linked.length > 0) {
    out.push('  linked identities:');
    for (const l of linked) {
      out.push(
        `    - ${clean(identityLabel(l.identity))}: ${clean(relationText(l))} at ${utc(l['@timestamp'])}`,
      );
    }
  }
  out.push('  timeline:');
  const byId = new Map(inc.detections.map((d) => [d.id, d]));
  for (const t of inc.timeline) {
    const d = byId.get(t.detectionId);
    const sev = paint(c, t.severity, t.severity.padEnd(SEV_WIDTH));
    out.push(`    ${utc(t['@timestamp'])}  ${sev}  ${c.bold(t.ruleId)}  ${clean(t.summary)}`);
    if (d !== undefined) {
      out.push(c.dim(`      evidence: ${clean(evidenceOf(d))}`));
      if (d.escalation !== undefined) out.push(c.dim(`      escalated: ${clean(d.escalation)}`));
    }
  }
  return out;
}

export function renderTerminal(result: HuntResult, opts: TerminalOptions): string {
  const c = pc.createColors(opts.color);
  const lines: string[] = [];
  const incidents = [...result.incidents].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || a.firstTimestamp - b.firstTimestamp,
  );
  if (incidents.length === 0) lines.push(c.green('No incidents.'), '');
  incidents.forEach((inc, i) => lines.push(...renderIncident(c, inc, i + 1), ''));

  const s = result.summary;
  lines.push(c.bold('Summary'));
  lines.push(`  records:    ${s.records} in ${s.files} file(s), ${(s.durationMs / 1000).toFixed(1)} s`);
  const range =
    s.since !== undefined || s.until !== undefined
      ? ` (${s.filtered} outside ${s.since ?? '-'} .. ${s.until ?? '-'})`
      : '';
  lines.push(
    `  events:     ${s.events}${range}${s.late > 0 ? `, ${s.late} arrived out of order beyond the reorder window` : ''}`,
  );
  lines.push(`  rejected:   ${s.rejected > 0 ? c.yellow(String(s.rejected)) : '0'}`);
  const shown = result.rejects.slice(0, opts.maxRejectsShown ?? 5);
  for (const r of shown) {
    const where = r.index === undefined ? `${r.file}:${r.line}` : `${r.file}:${r.line}#${r.index}`;
    lines.push(c.dim(`    ${clean(where)}: ${clean(r.reason)} [${r.format}]`));
  }
  if (s.rejected > shown.length)
    lines.push(c.dim(`    ... and ${s.rejected - shown.length} more (see --json)`));
  const sev = [...SEVERITIES]
    .reverse()
    .filter((k) => s.bySeverity[k] > 0)
    .map((k) => paint(c, k, `${k} ${s.bySeverity[k]}`));
  lines.push(`  detections: ${s.detections}${sev.length > 0 ? ` (${sev.join(', ')})` : ''}`);
  lines.push(`  incidents:  ${s.incidents}`);
  lines.push('  formats:');
  const fmt = (formats: Readonly<Record<string, number>>): string =>
    Object.entries(formats)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const listed = result.files.slice(0, opts.maxFilesShown ?? 12);
  for (const f of listed) {
    const fm = fmt(f.formats);
    lines.push(`    ${clean(f.file)}: ${fm === '' ? c.yellow('no recognised records') : fm}`);
  }
  const rest = result.files.slice(listed.length);
  if (rest.length > 0) {
    // A simulated or exported tree holds one file per day; past a screenful, the remainder is summed.
    const sum: Record<string, number> = {};
    for (const f of rest) for (const [k, v] of Object.entries(f.formats)) sum[k] = (sum[k] ?? 0) + v;
    lines.push(`    ... ${rest.length} more file(s): ${fmt(sum)}`);
  }
  return lines.join('\n') + '\n';
}
