import Button from '@atlaskit/button/new';
import Heading from '@atlaskit/heading';
import Textfield from '@atlaskit/textfield';
import Toggle from '@atlaskit/toggle';
import { RESPONSE_ACTIONS, SEVERITIES, type ConsoleApi, type ResponsePolicy, type Severity } from '../api';
import { ErrorState, Loading, SaveOutcome } from '../ui';
import { AllowList } from './Rules';
import { useSettings } from './useSettings';

const ACTION_HELP: Record<(typeof RESPONSE_ACTIONS)[number], string> = {
  'remove-from-admin-groups': 'Take the actor out of every admin group (undo puts them back).',
  'suspend-account': 'Deactivate the account (undo reactivates it; Bitbucket cannot).',
  'revoke-tokens': 'Revoke the actor’s API tokens and keys (cannot be undone: the owner makes new ones).',
  'block-merges': 'Block merges in the repositories touched.',
  'revoke-permissions': 'Remove the actor’s direct permission grants (undo restores exactly those).',
};

export function PolicyView({ api, onAuthError }: { api: ConsoleApi; onAuthError: (e: unknown) => void }) {
  const s = useSettings(api, onAuthError);
  if (s.error !== undefined)
    return <ErrorState title="The response policy could not be loaded" error={s.error} onRetry={s.load} />;
  if (!s.draft) return <Loading what="the response policy" />;
  const draft = s.draft;
  const p = draft.response;
  const set = (patch: Partial<ResponsePolicy>) => s.setDraft({ ...draft, response: { ...p, ...patch } });
  const maxValid = Number.isInteger(p.maxPerHour) && p.maxPerHour >= 0;
  return (
    <section aria-labelledby="policy-title">
      <div className="title-row">
        <Heading size="large" as="h1">
          <span id="policy-title">Response policy</span>
        </Heading>
        <Button appearance="primary" onClick={s.save} isDisabled={!s.dirty || s.saving || !maxValid}>
          {s.saving ? 'Saving…' : 'Save policy'}
        </Button>
      </div>
      <p className="sub">
        What Bulkhead does by itself when an incident reaches a severity, and the guardrails around it.
      </p>
      <SaveOutcome message={s.message} saveError={s.saveError} failedTitle="The policy was not saved" />
      <div className="form">
        <label htmlFor="min-severity">Act on incidents at least</label>
        <select
          id="min-severity"
          value={p.minSeverity}
          onChange={(e) => set({ minSeverity: e.target.value as Severity })}
        >
          {SEVERITIES.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>

        <fieldset>
          <legend>Actions</legend>
          {RESPONSE_ACTIONS.map((a) => (
            <div className="toggle-row" key={a}>
              <Toggle
                id={`action-${a}`}
                isChecked={p.actions.includes(a)}
                onChange={() =>
                  set({
                    actions: p.actions.includes(a) ? p.actions.filter((x) => x !== a) : [...p.actions, a],
                  })
                }
              />
              <label htmlFor={`action-${a}`}>
                <code>{a}</code> <span className="sub">{ACTION_HELP[a]}</span>
              </label>
            </div>
          ))}
        </fieldset>

        <label htmlFor="max-per-hour">At most this many actions an hour (guardrail; 0 stops all)</label>
        <Textfield
          id="max-per-hour"
          type="number"
          min={0}
          step={1}
          value={String(p.maxPerHour)}
          isInvalid={!maxValid}
          onChange={(e) =>
            set({ maxPerHour: e.currentTarget.value === '' ? NaN : Number(e.currentTarget.value) })
          }
        />
        {!maxValid ? (
          <p className="invalid" role="alert">
            Enter a whole number, 0 or more.
          </p>
        ) : null}

        <label htmlFor="policy-allow">Never act on (user names or ids, comma-separated)</label>
        <AllowList
          id="policy-allow"
          label="Never act on"
          value={p.allowList}
          onChange={(allowList) => set({ allowList })}
        />
      </div>
    </section>
  );
}
