import Button from '@atlaskit/button/new';
import DynamicTable from '@atlaskit/dynamic-table';
import Heading from '@atlaskit/heading';
import Lozenge from '@atlaskit/lozenge';
import SectionMessage from '@atlaskit/section-message';
import { useCallback, useEffect, useState } from 'react';
import type { ConsoleApi, Readiness } from '../api';
import { Empty, ErrorState, Loading } from '../ui';

export function ReadinessView({ api, onAuthError }: { api: ConsoleApi; onAuthError: (e: unknown) => void }) {
  const [r, setR] = useState<Readiness>();
  const [error, setError] = useState<unknown>();
  const load = useCallback(() => {
    setError(undefined);
    api.readiness().then(setR, (e: unknown) => {
      onAuthError(e);
      setError(e);
    });
  }, [api, onAuthError]);
  useEffect(load, [load]);
  if (error !== undefined)
    return <ErrorState title="Readiness could not be checked" error={error} onRetry={load} />;
  if (!r) return <Loading what="readiness checks" />;
  const failing = r.checks.filter((c) => !c.ok).length;
  return (
    <section aria-labelledby="readiness-title">
      <div className="title-row">
        <Heading size="large" as="h1">
          <span id="readiness-title">Readiness</span>
        </Heading>
        <Button onClick={load}>Check again</Button>
      </div>
      <SectionMessage
        appearance={r.ready ? 'success' : 'warning'}
        title={r.ready ? 'Everything works' : `${failing} check${failing === 1 ? '' : 's'} failing`}
      >
        <p>
          {r.ready
            ? 'Every source is being read and every configured action can run.'
            : 'Fix what the failing checks name (the service configuration, a token, a folder), then check again.'}
        </p>
      </SectionMessage>
      {r.checks.length === 0 ? (
        <Empty title="Nothing to check">
          <p>No source or action is configured: add them to the service configuration.</p>
        </Empty>
      ) : (
        <DynamicTable
          label="Readiness checks"
          head={{
            cells: [
              { key: 'kind', content: 'Kind' },
              { key: 'name', content: 'What' },
              { key: 'ok', content: 'Works' },
              { key: 'why', content: 'Why' },
            ],
          }}
          rows={r.checks.map((c, n) => ({
            key: `${n}`,
            cells: [
              { key: 'kind', content: c.kind },
              { key: 'name', content: c.name },
              {
                key: 'ok',
                content: <Lozenge appearance={c.ok ? 'success' : 'removed'}>{c.ok ? 'yes' : 'no'}</Lozenge>,
              },
              { key: 'why', content: c.why },
            ],
          }))}
        />
      )}
    </section>
  );
}
