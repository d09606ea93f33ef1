/** The message model: what changed, the timeline cap, the console link, the plain text every channel shares. */
import {
  buildMessage,
  changeOf,
  incidentUrl,
  notifiedState,
  plainLines,
  stateVersion,
} from '../../src/notify/message';
import { redactUrl, retryAfterMs, scrub } from '../../src/notify/channel';
import { incident, record, T0 } from './fixtures';

describe('changeOf', () => {
  const inc = incident();
  it('an incident never notified is opened; the same state again is nothing new', () => {
    const c = changeOf(undefined, inc, []);
    expect(c?.kind).toBe('opened');
    expect(changeOf(notifiedState(inc, []), inc, [])).toBeUndefined();
  });
  it('a timeline that only grew is not notified', () => {
    expect(changeOf(notifiedState(inc, []), incident({ lines: 9 }), [])).toBeUndefined();
  });
  it('a higher severity is an escalation; new records at the same time are listed as new', () => {
    const c = changeOf(notifiedState(inc, []), incident({ severity: 'critical' }), [record()]);
    expect(c).toMatchObject({ kind: 'escalated', previousSeverity: 'high', newActions: [record().id] });
  });
  it('new action records, or a record whose state changed, are containment', () => {
    const before = notifiedState(inc, [record({ state: 'awaiting-approval' })]);
    const c = changeOf(before, inc, [record()]);
    expect(c?.kind).toBe('contained');
    expect(c?.newActions).toEqual([record().id]);
    expect(c?.version).not.toBe(stateVersion(before));
  });
  it('versions are deterministic and ignore record order', () => {
    const a = record();
    const b = record({ id: 'inc-1/revoke-tokens jira:5b10ac8d', state: 'failed' });
    expect(stateVersion(notifiedState(inc, [a, b]))).toBe(stateVersion(notifiedState(inc, [b, a])));
    expect(stateVersion(notifiedState(inc, []))).toBe('high');
  });
});

describe('buildMessage', () => {
  it('caps the timeline at 20 lines, keeping the first and the latest, and says how many are left out', () => {
    const inc = incident({ lines: 35 });
    const m = buildMessage(inc, [], changeOf(undefined, inc, [])!, {
      now: T0,
      consoleUrl: 'https://bh.example.com/',
    });
    expect(m.timeline).toHaveLength(20);
    expect(m.timelineOmitted).toBe(15);
    expect(m.timeline[0]?.summary).toContain('step 0');
    expect(m.timeline[19]?.summary).toContain('step 34');
    const text = plainLines(m);
    const gap = text.indexOf('  … and 15 more');
    expect(gap).toBeGreaterThan(0);
    expect(text[gap - 1]).toContain('step 9');
    expect(text[gap + 1]).toContain('step 25');
    expect(m.url).toBe('https://bh.example.com/#/incidents/inc-1');
  });
  it('carries actor, linked identities and actions with state and result; strips control characters', () => {
    const inc = incident({ title: 'evil\u001b[31m title\nsecond line' });
    const m = buildMessage(inc, [record()], changeOf(undefined, inc, [record()])!, { now: T0 });
    expect(m.title).toBe('evil\uFFFD[31m title second line');
    expect(m.actorLabel).toBe('svc-smartsheet [5b10ac8d] (service)');
    expect(m.identities).toEqual([
      expect.objectContaining({ label: 'mallory (human)', how: 'created by svc-smartsheet' }),
    ]);
    expect(m.actions[0]).toMatchObject({
      state: 'done',
      result: 'HTTP 204',
      label: 'suspend-account jira:5b10ac8d',
      isNew: true,
    });
    expect(m.url).toBeUndefined();
    const text = plainLines(m).join('\n');
    expect(text).toContain('2023-11-14 15:58:02Z  high  admin-group-member-added  step 0');
    expect(text).toContain('done: suspend-account jira:5b10ac8d (HTTP 204) [new]');
  });
  it('encodes the incident id in the console link', () => {
    expect(incidentUrl('https://x', 'a/b c')).toBe('https://x/#/incidents/a%2Fb%20c');
  });
});

describe('secrets in text', () => {
  it('a URL is named by scheme and host only', () => {
    expect(redactUrl('https://hooks.slack.com/services/T0/B0/XyZsecret')).toBe('https://hooks.slack.com/…');
    expect(redactUrl('not a url')).toBe('(invalid URL)');
  });
  it('scrub removes secrets and the path of secret URLs', () => {
    const url = 'https://hooks.slack.com/services/T0/B0/XyZsecret';
    expect(scrub(`posted to ${url}; path /services/T0/B0/XyZsecret; token abcd1234`, [url, 'abcd1234'])).toBe(
      'posted to [redacted]; path [redacted]; token [redacted]',
    );
  });
  it('Retry-After as seconds or a date', () => {
    expect(retryAfterMs('120', 0)).toBe(120_000);
    expect(retryAfterMs(new Date(T0 + 5000).toUTCString(), T0)).toBe(5000);
    expect(retryAfterMs(null, 0)).toBeUndefined();
    expect(retryAfterMs('soon', 0)).toBeUndefined();
  });
});
