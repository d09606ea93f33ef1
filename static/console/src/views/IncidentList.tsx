import Button from '@atlaskit/button/new';
import DynamicTable from '@atlaskit/dynamic-table';
import Heading from '@atlaskit/heading';
import Lozenge from '@atlaskit/lozenge';
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  PRODUCTS,
  SEVERITIES,
  type ConsoleApi,
  type IncidentFilters,
  type IncidentPage,
  type IncidentStatus,
  type Product,
  type Scope,
  type Severity,
} from '../api';
import { severityAppearance, stateAppearance, statusAppearance, time, who } from '../format';
import { Empty, ErrorState, Loading } from '../ui';

const PAGE = 25;

type StatusChoice = 'active' | IncidentStatus | 'any';
const STATUS_CHOICES: readonly { value: StatusChoice; label: string }[] = [
  { value: 'active', label: 'Open or acknowledged' },
  { value: 'open', label: 'Open' },
  { value: 'acknowledged', label: 'Acknowledged' },
  { value: 'resolved', label: 'Resolved' },
  { value: 'any', label: 'Any status' },
];

export interface FilterState {
  status: StatusChoice;
  minSeverity: Severity | '';
  product: Product | '';
  /** yyyy-mm-dd (UTC days) */
  since: string;
  until: string;
}

export const DEFAULT_FILTERS: FilterState = {
  status: 'any',
  minSeverity: '',
  product: '',
  since: '',
  until: '',
};

export function toQuery(f: FilterState): IncidentFilters {
  const status: IncidentStatus[] | undefined =
    f.status === 'any' ? undefined : f.status === 'active' ? ['open', 'acknowledged'] : [f.status];
  const day = (s: string, end: boolean): number | undefined => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return undefined;
    const t = Date.parse(`${s}T00:00:00Z`);
    return end ? t + 86_400_000 - 1 : t;
  };
  const since = day(f.since, false);
  const until = day(f.until, true);
  return {
    ...(status ? { status } : {}),
    ...(f.minSeverity ? { minSeverity: f.minSeverity } : {}),
    ...(f.product ? { product: f.product } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
  };
}

export function IncidentList({
  api,
  scope,
  onAuthError,
}: {
  api: ConsoleApi;
  scope: Scope;
  onAuthError: (e: unknown) => void;
}) {
  const [filters, setFilters] = useState<FilterState>(DEFAULT_FILTERS);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<IncidentPage>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [lastChange, setLastChange] = useState<string>();
  const [exportError, setExportError] = useState<unknown>();
  const seq = useRef(0);

  const load = useCallback(() => {
    const n = ++seq.current;
    setLoading(true);
    api.listIncidents({ ...toQuery(filters), scope, offset, limit: PAGE }).then(
      (p) => {
        if (n !== seq.current) return;
        setPage(p);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (n !== seq.current) return;
        onAuthError(e);
        setError(e);
        setLoading(false);
      },
    );
  }, [api, filters, scope, offset, onAuthError]);

  useEffect(load, [load]);

  // Live: reload on every change the service reports (coalesced), and say when it happened.
  useEffect(() => {
    let t: ReturnType<typeof setTimeout> | undefined;
    const off = api.subscribe((e) => {
      if (e.type !== 'poll') setLastChange(new Date().toLocaleTimeString());
      clearTimeout(t);
      t = setTimeout(load, 200);
    });
    return () => {
      clearTimeout(t);
      off();
    };
  }, [api, load]);

  const set = <K extends keyof FilterState>(k: K, v: FilterState[K]) => {
    setOffset(0);
    setFilters((f) => ({ ...f, [k]: v }));
  };

  const doExport = (format: 'csv' | 'json') => {
    setExportError(undefined);
    api.exportIncidents(format, toQuery(filters)).then(
      (r) => {
        const a = document.createElement('a');
        if ('href' in r) {
          a.href = r.href;
        } else {
          a.href = URL.createObjectURL(new Blob([r.body], { type: r.type }));
          a.download = r.filename;
        }
        a.rel = 'noopener';
        document.body.appendChild(a);
        a.click();
        a.remove();
      },
      (e: unknown) => setExportError(e),
    );
  };

  const head = {
    cells: [
      { key: 'severity', content: 'Severity' },
      { key: 'title', content: 'Incident' },
      { key: 'actor', content: 'Actor' },
      { key: 'status', content: 'Status' },
      { key: 'last', content: 'Last seen' },
      { key: 'actions', content: 'Containment' },
    ],
  };
  const rows = (page?.incidents ?? []).map((i) => ({
    key: i.id,
    cells: [
      {
        key: 'severity',
        content: (
          <Lozenge appearance={severityAppearance[i.severity]} isBold={i.severity === 'critical'}>
            {i.severity}
          </Lozenge>
        ),
      },
      {
        key: 'title',
        content: (
          <span>
            <a href={`#/incident/${encodeURIComponent(i.id)}`}>{i.title}</a>
            <span className="sub">
              {i.detectionCount} detection{i.detectionCount === 1 ? '' : 's'} ·{' '}
              {i.rules.slice(0, 3).join(', ')}
              {i.rules.length > 3 ? ` +${i.rules.length - 3}` : ''}
            </span>
          </span>
        ),
      },
      { key: 'actor', content: who(i.actor) },
      {
        key: 'status',
        content: <Lozenge appearance={statusAppearance[i.status] ?? 'default'}>{i.status}</Lozenge>,
      },
      { key: 'last', content: time(i.lastTimestamp) },
      {
        key: 'actions',
        content:
          i.actions.length === 0 ? (
            <span className="sub">none</span>
          ) : (
            <span className="chips">
              {summarizeStates(i.actions.map((a) => a.state)).map(([state, n]) => (
                <Lozenge
                  key={state}
                  appearance={stateAppearance[state as keyof typeof stateAppearance] ?? 'default'}
                >
                  {`${n} ${state}`}
                </Lozenge>
              ))}
            </span>
          ),
      },
    ],
  }));

  const filtered = JSON.stringify(filters) !== JSON.stringify(DEFAULT_FILTERS);
  return (
    <section aria-labelledby="incidents-title">
      <div className="title-row">
        <Heading size="large" as="h1">
          <span id="incidents-title">
            {scope.kind === 'all'
              ? 'Incidents'
              : scope.kind === 'space'
                ? `Incidents touching space ${scope.key}`
                : `Incidents touching repository ${scope.name}`}
          </span>
        </Heading>
        <div className="export">
          <Button onClick={() => doExport('csv')}>Export CSV</Button>
          <Button onClick={() => doExport('json')}>Export JSON</Button>
        </div>
      </div>
      {scope.kind !== 'all' ? (
        <p className="sub">
          Incidents whose detections acted on this {scope.kind}. Exports cover every incident matching the
          filters.
        </p>
      ) : null}
      {exportError ? <ErrorState title="The export failed" error={exportError} /> : null}
      <form className="filters" aria-label="Filter incidents" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor="f-status">Status</label>
          <select
            id="f-status"
            value={filters.status}
            onChange={(e) => set('status', e.target.value as StatusChoice)}
          >
            {STATUS_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="f-severity">Severity at least</label>
          <select
            id="f-severity"
            value={filters.minSeverity}
            onChange={(e) => set('minSeverity', e.target.value as Severity | '')}
          >
            <option value="">Any severity</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="f-product">Product</label>
          <select
            id="f-product"
            value={filters.product}
            onChange={(e) => set('product', e.target.value as Product | '')}
          >
            <option value="">Any product</option>
            {PRODUCTS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="f-since">Active since (UTC day)</label>
          <input
            id="f-since"
            type="date"
            value={filters.since}
            onChange={(e) => set('since', e.target.value)}
          />
        </div>
        <div>
          <label htmlFor="f-until">Active until (UTC day)</label>
          <input
            id="f-until"
            type="date"
            value={filters.until}
            onChange={(e) => set('until', e.target.value)}
          />
        </div>
        {filtered ? (
          <div className="reset">
            <Button
              appearance="subtle"
              onClick={() => {
                setOffset(0);
                setFilters(DEFAULT_FILTERS);
              }}
            >
              Clear filters
            </Button>
          </div>
        ) : null}
      </form>
      <p className="live" aria-live="polite">
        {api.kind === 'http' ? 'Updates live.' : 'Refreshes every few seconds.'}
        {lastChange ? ` Last change ${lastChange}.` : ''}
        {page ? ` ${page.total} incident${page.total === 1 ? '' : 's'}.` : ''}
      </p>
      {error !== undefined ? (
        <ErrorState title="The incidents could not be loaded" error={error} onRetry={load} />
      ) : page === undefined ? (
        <Loading what="incidents" />
      ) : page.incidents.length === 0 ? (
        <Empty title={filtered ? 'No incident matches these filters' : 'No incidents yet'}>
          {filtered ? (
            <p>Widen the filters or clear them to see every incident.</p>
          ) : (
            <p>
              Bulkhead opens an incident when a rule fires; this list updates by itself. If you expected some,
              check{' '}
              {scope.kind === 'all' ? <a href="#/readiness">Readiness</a> : 'readiness in the full console'}{' '}
              to see which sources are being read.
            </p>
          )}
        </Empty>
      ) : (
        <>
          <DynamicTable
            caption={<span className="visually-hidden">Incidents, newest first</span>}
            head={head}
            rows={rows}
            isLoading={loading}
            label="Incidents"
          />
          {page.total > PAGE ? (
            <div className="pager">
              <Button isDisabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                Previous
              </Button>
              <span>
                {offset + 1}–{Math.min(offset + PAGE, page.total)} of {page.total}
              </span>
              <Button isDisabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
                Next
              </Button>
            </div>
          ) : null}
        </>
      )}
    </section>
  );
}

function summarizeStates(states: readonly string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const s of states) m.set(s, (m.get(s) ?? 0) + 1);
  return [...m.entries()];
}
