import DynamicTable from '@atlaskit/dynamic-table';
import Heading from '@atlaskit/heading';
import Lozenge from '@atlaskit/lozenge';
import SectionMessage from '@atlaskit/section-message';
import type { ConsoleApi } from '../api';
import { Empty, ErrorState, Loading } from '../ui';
import { useSettings } from './useSettings';

/**
 * Secrets (product tokens, webhooks, the SMTP password) are shown as set or not, never read back. The API has
 * no endpoint to write them: they are environment variables or files named in the service configuration.
 */
export function IntegrationsView({
  api,
  onAuthError,
}: {
  api: ConsoleApi;
  onAuthError: (e: unknown) => void;
}) {
  const s = useSettings(api, onAuthError);
  if (s.error !== undefined)
    return <ErrorState title="Integrations could not be loaded" error={s.error} onRetry={s.load} />;
  if (!s.saved) return <Loading what="integrations" />;
  const secrets = Object.entries(s.saved.secrets).sort(([a], [b]) => a.localeCompare(b));
  return (
    <section aria-labelledby="integrations-title">
      <Heading size="large" as="h1">
        <span id="integrations-title">Integrations and secrets</span>
      </Heading>
      <SectionMessage appearance="information" title="Secrets are set outside the console">
        <p>
          Tokens, webhook URLs and passwords come from environment variables or files named in the service’s
          configuration (see docs/serve-config.md), and are never sent to the browser. Change them there and
          restart the service; this page shows only whether each one is set.
        </p>
      </SectionMessage>
      {secrets.length === 0 ? (
        <Empty title="No secrets configured">
          <p>
            No integration needs one yet: add containment products or notification channels to the
            configuration.
          </p>
        </Empty>
      ) : (
        <DynamicTable
          label="Secrets"
          head={{
            cells: [
              { key: 'key', content: 'Setting' },
              { key: 'set', content: 'Set' },
            ],
          }}
          rows={secrets.map(([k, v]) => ({
            key: k,
            cells: [
              { key: 'key', content: <code>{k}</code> },
              {
                key: 'set',
                content: (
                  <Lozenge appearance={v.set ? 'success' : 'removed'}>{v.set ? 'set' : 'not set'}</Lozenge>
                ),
              },
            ],
          }))}
        />
      )}
    </section>
  );
}
