/** Summary templates: fields, `{count}`, `?` for a missing field, and `[...]` parts left out when a field inside is missing. */
import { compileSummary, renderSummary } from '../../src/engine/detections';
import { ev } from './helpers';

const render = (template: string, ...events: Parameters<typeof ev>[0][]) =>
  renderSummary(
    compileSummary(template),
    events.map((e) => ev(e)),
    events.length,
  );

describe('summary templates', () => {
  it('fills fields from the newest event that has them, counts, and marks a missing field with ?', () => {
    expect(
      render(
        '{user.name} did {count} things in {atlassian.project.key}',
        { 'user.name': 'a' },
        { 'user.name': 'b' },
      ),
    ).toBe('b did 2 things in ?');
  });

  it('leaves out an optional part whose field is missing, keeps it when present', () => {
    const t =
      '{user.name}: {atlassian.audit.action}[ ({atlassian.project.key})][: {atlassian.attr.permission}]';
    expect(render(t, { 'user.name': 'dan', 'atlassian.audit.action': 'Permission scheme updated' })).toBe(
      'dan: Permission scheme updated',
    );
    expect(
      render(t, {
        'user.name': 'dan',
        'atlassian.audit.action': 'Permission scheme updated',
        'atlassian.project.key': 'PAY',
        'atlassian.attributes': { permission: 'Browse Projects' },
      }),
    ).toBe('dan: Permission scheme updated (PAY): Browse Projects');
  });

  it('treats an unbalanced bracket as text', () => {
    expect(render('[{user.name} at [', { 'user.name': 'eve' })).toBe('[eve at [');
  });
});
