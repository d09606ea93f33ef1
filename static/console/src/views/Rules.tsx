import Button from '@atlaskit/button/new';
import DynamicTable from '@atlaskit/dynamic-table';
import Heading from '@atlaskit/heading';
import Textfield from '@atlaskit/textfield';
import Toggle from '@atlaskit/toggle';
import { useState } from 'react';
import { ApiError, validThreshold, type ConsoleApi, type RuleSetting } from '../api';
import { splitList } from '../format';
import { Empty, ErrorState, Loading, SaveOutcome } from '../ui';
import { useSettings } from './useSettings';

export function RulesView({ api, onAuthError }: { api: ConsoleApi; onAuthError: (e: unknown) => void }) {
  const s = useSettings(api, onAuthError);
  const [search, setSearch] = useState('');
  const [editedAfterError, setEditedAfterError] = useState<unknown>();
  if (s.error !== undefined)
    return <ErrorState title="The rules could not be loaded" error={s.error} onRetry={s.load} />;
  if (!s.draft) return <Loading what="rules" />;
  const draft = s.draft;
  const saved = s.saved?.rules ?? {};
  // An error the API tied to one rule's threshold is shown next to that field until it is edited.
  const fieldError = (id: string): string | undefined =>
    s.saveError instanceof ApiError &&
    s.saveError !== editedAfterError &&
    s.saveError.field === `rules.${id}.threshold`
      ? s.saveError.message
      : undefined;
  const allValid = Object.values(draft.rules).every((r) => validThreshold(r.threshold));
  const update = (id: string, patch: Partial<RuleSetting>) => {
    const cur = draft.rules[id];
    if (!cur) return;
    s.setDraft({ ...draft, rules: { ...draft.rules, [id]: { ...cur, ...patch } } });
  };
  const ids = Object.keys(draft.rules)
    .filter((id) => id.toLowerCase().includes(search.trim().toLowerCase()))
    .sort();
  const slug = (id: string) => id.replace(/[^A-Za-z0-9_-]/g, '_');
  const rows = ids.map((id) => {
    const r = draft.rules[id] as RuleSetting;
    return {
      key: id,
      cells: [
        { key: 'id', content: <code id={`rule-${slug(id)}`}>{id}</code> },
        {
          key: 'enabled',
          content: (
            <Toggle
              id={`enabled-${slug(id)}`}
              label={`${id} enabled`}
              isChecked={r.enabled}
              onChange={() => update(id, { enabled: !r.enabled })}
            />
          ),
        },
        {
          key: 'dry',
          content: (
            <Toggle
              id={`dry-${slug(id)}`}
              label={`${id} dry-run`}
              isChecked={r.dryRun}
              onChange={() => update(id, { dryRun: !r.dryRun })}
            />
          ),
        },
        {
          key: 'threshold',
          content:
            r.threshold !== undefined || saved[id]?.defaultThreshold !== undefined ? (
              <Threshold
                id={`threshold-${slug(id)}`}
                label={`Threshold for ${id}`}
                value={r.threshold}
                defaultValue={saved[id]?.defaultThreshold}
                error={fieldError(id)}
                onChange={(threshold) => {
                  if (fieldError(id) !== undefined) setEditedAfterError(s.saveError);
                  update(id, { threshold });
                }}
              />
            ) : (
              <span className="sub">none</span>
            ),
        },
        {
          key: 'allow',
          content: (
            <AllowList
              id={`allow-${slug(id)}`}
              label={`${id} allow-list`}
              value={r.allowList}
              onChange={(allowList) => update(id, { allowList })}
            />
          ),
        },
      ],
    };
  });
  return (
    <section aria-labelledby="rules-title">
      <div className="title-row">
        <Heading size="large" as="h1">
          <span id="rules-title">Rules</span>
        </Heading>
        <Button appearance="primary" onClick={s.save} isDisabled={!s.dirty || s.saving || !allValid}>
          {s.saving ? 'Saving…' : 'Save rules'}
        </Button>
      </div>
      <p className="sub">
        Turn a rule off to drop its detections (it keeps counting, so turning it back on needs no warm-up).
        Dry-run keeps its detections but takes no containment action. The allow-list names users the rule
        never fires for. Rules that count (events, or distinct targets, in a window) fire at their threshold:
        the rule file gives the default, and a value set here replaces it.
      </p>
      <SaveOutcome message={s.message} saveError={s.saveError} failedTitle="The rules were not saved" />
      <div className="search">
        <label htmlFor="rule-search">Find a rule</label>
        <Textfield
          id="rule-search"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          placeholder="e.g. admin-group"
        />
      </div>
      {ids.length === 0 ? (
        <Empty title={search ? 'No rule matches' : 'No rules loaded'}>
          <p>
            {search
              ? 'Try a shorter search.'
              : 'The service loaded no rules: check its rule folders and restart it.'}
          </p>
        </Empty>
      ) : (
        <DynamicTable
          label="Rules"
          head={{
            cells: [
              { key: 'id', content: 'Rule' },
              { key: 'enabled', content: 'Enabled' },
              { key: 'dry', content: 'Dry-run' },
              { key: 'threshold', content: 'Threshold' },
              { key: 'allow', content: 'Allow-list (comma-separated)' },
            ],
          }}
          rows={rows}
          rowsPerPage={20}
          defaultPage={1}
        />
      )}
    </section>
  );
}

/** A list edited as comma-separated text; the parsed list is reported on blur so typing a comma is not eaten. */
export function AllowList({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: readonly string[];
  onChange: (v: string[]) => void;
}) {
  const [text, setText] = useState(value.join(', '));
  const [seen, setSeen] = useState(value);
  if (seen !== value) {
    setSeen(value);
    if (splitList(text).join('\n') !== value.join('\n')) setText(value.join(', '));
  }
  return (
    <Textfield
      id={id}
      aria-label={label}
      value={text}
      isCompact
      onChange={(e) => {
        setText(e.currentTarget.value);
        onChange(splitList(e.currentTarget.value));
      }}
    />
  );
}

/** A rule's threshold: a whole number, 1 or more, with the rule file's default as help text. What was typed is
 *  kept as typed; the draft gets the number (NaN while it is not one, which blocks saving). */
export function Threshold({
  id,
  label,
  value,
  defaultValue,
  error,
  onChange,
}: {
  id: string;
  label: string;
  value: number | undefined;
  defaultValue: number | undefined;
  error: string | undefined;
  onChange: (v: number) => void;
}) {
  const shown = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '' : String(v));
  const [text, setText] = useState(shown(value));
  const [seen, setSeen] = useState(value);
  if (!Object.is(seen, value)) {
    setSeen(value);
    if (!Object.is(parse(text), value)) setText(shown(value));
  }
  const invalid = !validThreshold(value);
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const message = invalid ? 'Enter a whole number, 1 or more.' : error;
  return (
    <div className="threshold">
      <Textfield
        id={id}
        aria-label={label}
        aria-describedby={message !== undefined ? `${errorId} ${helpId}` : helpId}
        type="number"
        min={1}
        step={1}
        isCompact
        isInvalid={message !== undefined}
        value={text}
        onChange={(e) => {
          setText(e.currentTarget.value);
          onChange(parse(e.currentTarget.value));
        }}
      />
      {message !== undefined ? (
        <span className="invalid sub" id={errorId} role="alert">
          {message}
        </span>
      ) : null}
      <span className="sub" id={helpId}>
        {defaultValue !== undefined ? `Default ${defaultValue}` : 'No default given'}
      </span>
    </div>
  );
}

function parse(text: string): number {
  return text.trim() === '' ? NaN : Number(text);
}
