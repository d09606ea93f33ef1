import Button from '@atlaskit/button/new';
import DynamicTable from '@atlaskit/dynamic-table';
import Heading from '@atlaskit/heading';
import Lozenge from '@atlaskit/lozenge';
import SectionMessage from '@atlaskit/section-message';
import TextArea from '@atlaskit/textarea';
import { useCallback, useEffect, useState } from 'react';
import type { ActionRecord, ConsoleApi, IncidentDetail } from '../api';
import { describeAction, severityAppearance, stateAppearance, statusAppearance, time, who } from '../format';
import type { ColorMode } from '../theme';
import { ErrorState, Loading } from '../ui';
import { TimelineChart } from './Timeline';

/** What a person can do to an action in each state: undo what was done, approve what waits for the hourly
 *  cap, retry what failed. */
interface PersonAction {
  readonly label: string;
  readonly call: 'undo' | 'approve' | 'retry';
  readonly primary?: true;
}
const PERSON_ACTIONS: Partial<Record<ActionRecord['state'], PersonAction>> = {
  done: { label: 'Undo', call: 'undo' },
  'awaiting-approval': { label: 'Approve', call: 'approve', primary: true },
  failed: { label: 'Retry', call: 'retry' },
};

export function IncidentDetailView({
  api,
  id,
  mode,
  onAuthError,
}: {
  api: ConsoleApi;
  id: string;
  mode: ColorMode;
  onAuthError: (e: unknown) => void;
}) {
  const [detail, setDetail] = useState<IncidentDetail>();
  const [error, setError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState<string>();
  const [note, setNote] = useState('');
  const [said, setSaid] = useState<string>();

  const load = useCallback(() => {
    api.getIncident(id).then(
      (d) => {
        setDetail(d);
        setError(undefined);
      },
      (e: unknown) => {
        onAuthError(e);
        setError(e);
      },
    );
  }, [api, id, onAuthError]);
  useEffect(load, [load]);
  useEffect(
    () =>
      api.subscribe((e) => {
        if (
          e.type === 'poll' ||
          (e.type === 'incident' && e.id === id) ||
          (e.type === 'action' && e.incidentId === id)
        )
          load();
      }),
    [api, id, load],
  );

  const act = (a: ActionRecord, what: PersonAction['call']) => {
    setBusy(a.id);
    setActionError(undefined);
    api[what](a.id)
      .then(
        (r) => setSaid(`${describeAction(r)} is now ${r.state}${r.result ? `: ${r.result}` : ''}.`),
        (e: unknown) => {
          onAuthError(e);
          setActionError(e);
        },
      )
      .finally(() => {
        setBusy(undefined);
        load();
      });
  };

  const setStatus = (status: 'acknowledged' | 'resolved') => {
    setBusy(status);
    setActionError(undefined);
    api
      .setStatus(id, status, note)
      .then(
        (d) => {
          setDetail(d);
          setNote('');
          setSaid(`Incident ${status}.`);
        },
        (e: unknown) => {
          onAuthError(e);
          setActionError(e);
        },
      )
      .finally(() => setBusy(undefined));
  };

  if (error !== undefined)
    return (
      <>
        <p>
          <a href="#/">← All incidents</a>
        </p>
        <ErrorState title="This incident could not be loaded" error={error} onRetry={load} />
      </>
    );
  if (!detail) return <Loading what="the incident" />;
  const { incident: i, actions, history, notifications } = detail;

  const actionRows = actions.map((a) => {
    const b = PERSON_ACTIONS[a.state];
    return {
      key: a.id,
      cells: [
        { key: 'what', content: describeAction(a) },
        {
          key: 'state',
          content: <Lozenge appearance={stateAppearance[a.state] ?? 'default'}>{a.state}</Lozenge>,
        },
        {
          key: 'why',
          content: (
            <span>
              {a.reason}
              {a.result ? <span className="sub">Result: {a.result}</span> : null}
              {a.by ? <span className="sub">By {a.by}</span> : null}
            </span>
          ),
        },
        { key: 'when', content: time(a.at) },
        {
          key: 'buttons',
          content: b ? (
            <Button
              {...(b.primary ? { appearance: 'primary' as const } : {})}
              isDisabled={busy !== undefined}
              onClick={() => act(a, b.call)}
              aria-label={`${b.label} ${describeAction(a)}`}
            >
              {b.label}
            </Button>
          ) : null,
        },
      ],
    };
  });

  return (
    <article aria-labelledby="incident-title" className="detail">
      <p>
        <a href="#/">← All incidents</a>
      </p>
      <Heading size="large" as="h1">
        <span id="incident-title">{i.title}</span>
      </Heading>
      <p className="meta">
        <Lozenge appearance={severityAppearance[i.severity]} isBold>
          {i.severity}
        </Lozenge>{' '}
        <Lozenge appearance={statusAppearance[i.status] ?? 'default'}>{i.status}</Lozenge> · actor{' '}
        <strong>{who(i.actor)}</strong> · {time(i.firstTimestamp)} – {time(i.lastTimestamp)} ·{' '}
        {i.detections.length} detections
      </p>
      <div aria-live="polite" className="said">
        {said ? (
          <SectionMessage appearance="success">
            <p>{said}</p>
          </SectionMessage>
        ) : null}
      </div>
      {actionError !== undefined ? (
        <ErrorState title="That did not work" error={actionError} onRetry={load} />
      ) : null}

      <section aria-labelledby="status-title" className="box">
        <Heading size="medium" as="h2">
          <span id="status-title">Status</span>
        </Heading>
        <label htmlFor="status-note">Note (kept in the history)</label>
        <TextArea
          id="status-note"
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
          minimumRows={2}
        />
        <div className="buttons">
          <Button
            isDisabled={busy !== undefined || i.status !== 'open'}
            onClick={() => setStatus('acknowledged')}
          >
            Acknowledge
          </Button>
          <Button
            appearance="primary"
            isDisabled={busy !== undefined || i.status === 'resolved'}
            onClick={() => setStatus('resolved')}
          >
            Resolve
          </Button>
        </div>
      </section>

      <section aria-labelledby="actions-title">
        <Heading size="medium" as="h2">
          <span id="actions-title">Containment actions</span>
        </Heading>
        {actions.length === 0 ? (
          <p className="sub">
            No action was planned: the response policy may not cover this severity, or the actor is on an
            allow-list. See <a href="#/policy">Response policy</a>.
          </p>
        ) : (
          <DynamicTable
            label="Containment actions"
            head={{
              cells: [
                { key: 'what', content: 'Action' },
                { key: 'state', content: 'State' },
                { key: 'why', content: 'Why' },
                { key: 'when', content: 'When' },
                { key: 'buttons', content: <span className="visually-hidden">Undo, approve or retry</span> },
              ],
            }}
            rows={actionRows}
          />
        )}
      </section>

      <section aria-labelledby="timeline-title">
        <Heading size="medium" as="h2">
          <span id="timeline-title">Timeline</span>
        </Heading>
        <TimelineChart incident={i} mode={mode} />
      </section>

      <section aria-labelledby="detections-title">
        <Heading size="medium" as="h2">
          <span id="detections-title">Detections</span>
        </Heading>
        <ul className="detections">
          {i.detections.map((d) => (
            <li key={d.id}>
              <Lozenge appearance={severityAppearance[d.severity]}>{d.severity}</Lozenge>{' '}
              <strong>{d.rule.title}</strong>{' '}
              <span className="sub">
                {d.rule.id} · {d.rule.category}
                {d.rule.attack.length > 0 ? ` · ATT&CK ${d.rule.attack.join(', ')}` : ''} ·{' '}
                {time(d['@timestamp'])} · {d.evidenceCount} evidence record{d.evidenceCount === 1 ? '' : 's'}
              </span>
              <span className="sub">{d.summary}</span>
              {d.escalation ? <span className="sub">Escalated: {d.escalation}</span> : null}
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="identities-title">
        <Heading size="medium" as="h2">
          <span id="identities-title">Linked identities</span>
        </Heading>
        <ul>
          {i.identities.map((l, n) => (
            <li key={n}>
              <strong>{who(l.identity)}</strong> ({l.identity.kind}) — {l.relation}
              {l.via ? ` via ${l.via}` : ''} · {time(l['@timestamp'])}
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="history-title">
        <Heading size="medium" as="h2">
          <span id="history-title">History</span>
        </Heading>
        {history.length === 0 ? (
          <p className="sub">Nobody has acknowledged or resolved it yet.</p>
        ) : (
          <ol>
            {history.map((h, n) => (
              <li key={n}>
                {time(h.at)} · {h.by} set it {h.status}
                {h.note ? `: “${h.note}”` : ''}
              </li>
            ))}
          </ol>
        )}
      </section>

      <section aria-labelledby="notifications-title">
        <Heading size="medium" as="h2">
          <span id="notifications-title">Notifications</span>
        </Heading>
        {notifications.length === 0 ? (
          <p className="sub">None sent: no notification channel is configured, or none has fired yet.</p>
        ) : (
          <ul>
            {notifications.map((n, k) => (
              <li key={k}>
                <code>{JSON.stringify(n)}</code>
              </li>
            ))}
          </ul>
        )}
      </section>
    </article>
  );
}
