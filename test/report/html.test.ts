import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import { escapeHtml, jsonForScript } from '../../src/report/html';
import { run, tempDir, writeFixture } from '../cli/support';

const EVIL = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';

describe('HTML report', () => {
  let html: string;
  let stderr: string;
  beforeAll(async () => {
    const dir = tempDir();
    const { file } = writeFixture(dir, EVIL);
    const out = path.join(dir, 'report.html');
    const r = await run(['hunt', '--html', out, file]);
    expect(r.code).toBe(1);
    stderr = r.stderr;
    html = readFileSync(out, 'utf8');
  });

  it('says where it was written', () => {
    expect(stderr).toMatch(/HTML report written to .*report\.html/);
  });

  it('is self-contained: no external URLs in src or href, Chart.js inlined, network blocked by CSP', () => {
    const refs = [...html.matchAll(/\b(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1] ?? '');
    for (const ref of refs) expect(ref).not.toMatch(/^(?:[a-z][a-z0-9+.-]*:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script[^>]*\bsrc=/i);
    expect(html).toContain("default-src 'none'");
    expect(html.length).toBeGreaterThan(100_000); // the Chart.js bundle is in the page
    expect(html).toMatch(/new Chart\(/);
  });

  it('escapes a <script> planted in a user name everywhere it appears', () => {
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;',
    );
    // Exactly three script elements: the JSON data block, Chart.js, and the chart setup.
    expect(html.match(/<script\b/gi)).toHaveLength(3);
  });

  it('has chart setup code that compiles and reads the data block', () => {
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
    const setup = scripts[scripts.length - 1] ?? '';
    expect(setup).toContain("getElementById('bulkhead-data')");
    // Run it against a stand-in DOM and Chart constructor to see what it would plot.
    const dataText = /id="bulkhead-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const charts: Array<{
      type: string;
      data: { datasets: Array<{ data: unknown[]; pointBackgroundColor: string[] }> };
      options: {
        scales: {
          y: {
            afterBuildTicks(axis: { ticks: Array<{ value: number }> }): void;
            ticks: { callback(v: number): string };
          };
        };
      };
    }> = [];
    runInNewContext(setup, {
      document: { getElementById: (id: string) => (id === 'bulkhead-data' ? { textContent: dataText } : {}) },
      Chart: function Chart(_el: unknown, cfg: (typeof charts)[number]) {
        charts.push(cfg);
      },
    });
    expect(charts).toHaveLength(1);
    expect(charts[0]?.type).toBe('scatter');
    const ds = charts[0]?.data.datasets[0];
    expect(ds?.data.length).toBeGreaterThan(0);
    expect(ds?.pointBackgroundColor).toContain('#eb5757'); // high
    // The y axis labels every incident row: one tick per row, each tick's label the row's actor.
    const y = charts[0]!.options.scales.y;
    const axis = { ticks: [{ value: -0.5 }, { value: 0.5 }] };
    y.afterBuildTicks(axis);
    const labels = (JSON.parse(dataText) as { labels: string[] }).labels;
    expect(axis.ticks.map((t) => t.value)).toEqual(labels.map((_, i) => i));
    expect(axis.ticks.map((t) => y.ticks.callback(t.value))).toEqual(labels);
  });

  it('carries the chart data as JSON that parses back to the planted text', () => {
    const m = /<script type="application\/json" id="bulkhead-data">([\s\S]*?)<\/script>/.exec(html);
    expect(m).not.toBeNull();
    const data = JSON.parse(m?.[1] ?? '') as {
      labels: string[];
      points: Array<{ severity: string; rule: string }>;
    };
    expect(data.labels.join(' ')).toContain(EVIL);
    expect(data.points.some((p) => p.rule === 'admin-group-member-added' && p.severity === 'high')).toBe(
      true,
    );
  });
});

describe('escaping helpers', () => {
  it('escapeHtml covers the five markup characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
  it('jsonForScript cannot close the script element and round-trips', () => {
    const value = { s: '</script><!-- \u2028 & >' };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/<|>|&|\u2028/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
