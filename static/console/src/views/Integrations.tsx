import Button from '@atlaskit/button/new';
import DynamicTable from '@atlaskit/dynamic-table';
import Heading from '@atlaskit/heading';
import Lozenge from '@atlaskit/lozenge';
import SectionMessage from '@atlaskit/section-message';
import Textfield from '@atlaskit/textfield';
import { useState } from 'react';
import type { ConsoleApi } from '../api';
import { Empty, ErrorState, Loading } from '../ui';
import { useSettings } from './useSettings';

/**
 * Secrets (product tokens, webhooks, the SMTP password) are shown as set or not, never read back. Where the host
 * can store them (the Forge app: `secrets.set` / `secrets.clear`) each has a write-only field; the self-hosted
 * service's API has no such endpoint (they are environment variables or files named in its configuration), so
 * over HTTP the page shows their state and where to change them.
 */
export function IntegrationsView({
  api,
  onAuthError,
}: {
  api: ConsoleApi;
  onAuthError: (e: unknown) => void;
}) {
  const s = useSettings(api, onAuthError);
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<string>();
  const [writeError, setWriteError] = useState<unknown>();
  const [said, setSaid] = useState<string>();
  if (s.error !== undefined)
    return <ErrorState title="Integrations could not be loaded" error={s.error} onRetry={s.load} />;
  if (!s.saved) return <Loading what="integrations" />;
  const secrets = Object.entries(s.saved.secrets).sort(([a], [b]) => a.localeCompare(b));
  const writable = api.setSecret !== undefined;
  const slug = (k: string) => k.replace(/[^A-Za-z0-9_-]/g, '_');

  const write = (key: string, clear: boolean) => {
    setBusy(key);
    setWriteError(undefined);
    setSaid(undefined);
    const done = clear ? api.clearSecret?.(key) : api.setSecret?.(key, values[key] ?? '');
    void (done ?? Promise.resolve())
      .then(
        () => {
          setValues((v) => ({ ...v, [key]: '' }));
          setSaid(
            clear ? `${key} cleared.` : `${key} saved. It cannot be read back, only replaced or cleared.`,
          );
          s.load();
        },
        (e: unknown) => {
          onAuthError(e);
          setWriteError(e);
        },
      )
      .finally(() => setBusy(undefined));
  };

  return (
    <section aria-labelledby="integrations-title">
      <Heading size="large" as="h1">
        <span id="integrations-title">Integrations and secrets</span>
      </Heading>
      {writable ? (
        <SectionMessage appearance="information" title="Secrets are write-only">
          <p>Type a new value to set or replace a secret. A saved value is never shown again.</p>
        </SectionMessage>
      ) : (
        <SectionMessage appearance="information" title="Secrets are set outside the console">
          <p>
            Tokens, webhook URLs and passwords come from environment variables or files named in the service’s
            configuration (see docs/serve-config.md), and are never sent to the browser. Change them there and
            restart the service; this page shows only whether each one is set.
          </p>
        </SectionMessage>
      )}
      <div aria-live="polite">
        {said ? (
          <SectionMessage appearance="success">
            <p>{said}</p>
          </SectionMessage>
        ) : null}
      </div>
      {writeError !== undefined ? <ErrorState title="The secret was not changed" error={writeError} /> : null}
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
              ...(writable ? [{ key: 'write', content: 'New value' }] : []),
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
              ...(writable
                ? [
                    {
                      key: 'write',
                      content: (
                        <form
                          className="secret"
                          onSubmit={(e) => {
                            e.preventDefault();
                            write(k, false);
                          }}
                        >
                          <Textfield
                            id={`secret-${slug(k)}`}
                            aria-label={`New value for ${k}`}
                            type="password"
                            autoComplete="new-password"
                            isCompact
                            value={values[k] ?? ''}
                            onChange={(e) => {
                              const value = e.currentTarget.value;
                              setValues((x) => ({ ...x, [k]: value }));
                            }}
                          />
                          <Button type="submit" isDisabled={busy !== undefined || !(values[k] ?? '')}>
                            Save
                          </Button>
                          {v.set ? (
                            <Button
                              appearance="subtle"
                              isDisabled={busy !== undefined}
                              onClick={() => write(k, true)}
                              aria-label={`Clear ${k}`}
                            >
                              Clear
                            </Button>
                          ) : null}
                        </form>
                      ),
                    },
                  ]
                : []),
            ],
          }))}
        />
      )}
    </section>
  );
}
