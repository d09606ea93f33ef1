/**
 * The actor's events on a time axis (chart.js scatter: time across, product down, one colour per severity of
 * the detection the event belongs to), with the same data as a list for screen readers and for when a canvas
 * cannot draw. Colours are read from the design tokens so the chart follows light and dark.
 */
import {
  Chart,
  Legend,
  LinearScale,
  PointElement,
  ScatterController,
  Tooltip,
  CategoryScale,
} from 'chart.js';
import { useEffect, useMemo, useRef } from 'react';
import type { Incident, Product, Severity } from '../api';
import type { ColorMode } from '../theme';
import { time } from '../format';

Chart.register(ScatterController, LinearScale, CategoryScale, PointElement, Tooltip, Legend);

export interface TimelinePoint {
  readonly t: number;
  readonly product: Product;
  readonly action: string;
  readonly actor: string;
  readonly severity: Severity;
  readonly rule: string;
}

/** Every event of the incident's detections, once each, oldest first. */
export function timelinePoints(i: Incident): TimelinePoint[] {
  const seen = new Set<string>();
  const out: TimelinePoint[] = [];
  for (const d of i.detections) {
    for (const e of d.events) {
      const key = `${e['@timestamp']}|${e['event.action']}|${e['user.name'] ?? e['user.id'] ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        t: e['@timestamp'],
        product: e['atlassian.product'],
        action: e['event.action'],
        actor: e['user.name'] ?? e['user.id'] ?? '?',
        severity: d.severity,
        rule: d.rule.id,
      });
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

const PRODUCT_ROWS: readonly Product[] = ['jira', 'confluence', 'bitbucket'];
const SEVERITY_TOKEN: Record<Severity, [string, string]> = {
  critical: ['--ds-icon-danger', '#C9372C'],
  high: ['--ds-icon-warning', '#E56910'],
  medium: ['--ds-icon-discovery', '#8270DB'],
  low: ['--ds-icon-information', '#1D7AFC'],
  info: ['--ds-icon-subtle', '#626F86'],
};

const token = (name: string, fallback: string): string =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

export function TimelineChart({ incident, mode }: { incident: Incident; mode: ColorMode }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const points = useMemo(() => timelinePoints(incident), [incident]);
  useEffect(() => {
    const el = canvas.current;
    if (!el || points.length === 0 || !el.getContext?.('2d')) return;
    const text = token('--ds-text-subtle', mode === 'dark' ? '#9FADBC' : '#44546F');
    const grid = token('--ds-border', mode === 'dark' ? '#A6C5E229' : '#091E4224');
    const severities = [...new Set(points.map((p) => p.severity))];
    let chart: Chart | undefined;
    try {
      chart = new Chart(el, {
        type: 'scatter',
        data: {
          datasets: severities.map((s) => {
            const [name, fallback] = SEVERITY_TOKEN[s];
            const colour = token(name, fallback);
            return {
              label: s,
              data: points
                .filter((p) => p.severity === s)
                .map((p) => ({ x: p.t, y: PRODUCT_ROWS.indexOf(p.product), point: p })),
              backgroundColor: colour,
              borderColor: colour,
              pointRadius: 5,
            };
          }),
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          responsive: true,
          scales: {
            x: {
              type: 'linear',
              ticks: { color: text, maxTicksLimit: 6, callback: (v) => time(Number(v)).slice(5, 16) },
              grid: { color: grid },
            },
            y: {
              type: 'linear',
              min: -0.5,
              max: 2.5,
              ticks: { color: text, stepSize: 1, callback: (v) => PRODUCT_ROWS[Number(v)] ?? '' },
              grid: { color: grid },
            },
          },
          plugins: {
            legend: { labels: { color: text } },
            tooltip: {
              callbacks: {
                label: (ctx) => {
                  const p = (ctx.raw as { point: TimelinePoint }).point;
                  return `${time(p.t)} ${p.actor}: ${p.action} (${p.rule})`;
                },
              },
            },
          },
        },
      });
    } catch {
      // No canvas (tests, very old browsers): the list below carries the same data.
    }
    return () => chart?.destroy();
  }, [points, mode]);

  if (points.length === 0) return <p className="sub">No events recorded for this incident.</p>;
  return (
    <div className="timeline">
      <div className="chart">
        <canvas
          ref={canvas}
          role="img"
          aria-label={`Timeline of ${points.length} events from ${time(points[0]?.t ?? 0)} to ${time(points[points.length - 1]?.t ?? 0)}; listed below`}
        />
      </div>
      <details>
        <summary>The {points.length} events as a list</summary>
        <ol className="events">
          {points.map((p, n) => (
            <li key={n}>
              <time dateTime={new Date(p.t).toISOString()}>{time(p.t)}</time> {p.product} · {p.actor} ·{' '}
              {p.action}{' '}
              <span className="sub">
                ({p.rule}, {p.severity})
              </span>
            </li>
          ))}
        </ol>
      </details>
    </div>
  );
}
