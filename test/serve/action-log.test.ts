/**
 * The service's action log and incident status in SQLite: what the responder decided survives a restart (so a
 * restarted service neither repeats an action nor forgets the hourly cap), and an undo does not free a slot.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ActionRecord } from '../../src/respond/responder';
import { ServeState } from '../../src/serve/state';

const rec = (id: string, state: ActionRecord['state'], at: number): ActionRecord => ({
  id: `inc-1/${id}`,
  incidentId: 'inc-1',
  action: { kind: 'suspend-account', product: 'jira', identity: { name: id, kind: 'service' } },
  state,
  reason: 'actor of incident inc-1',
  at,
});

describe('SqliteActionLog', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bulkhead-actions-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps records and run times across a reopen; undo and re-put do not count twice', async () => {
    const file = path.join(dir, 'state.sqlite');
    const a = new ServeState(file);
    const log = a.actionLog();
    await log.put(rec('svc-a', 'done', 1_000));
    await log.put(rec('svc-b', 'failed', 2_000));
    await log.put(rec('svc-c', 'awaiting-approval', 3_000));
    await log.put(rec('svc-a', 'undone', 4_000));
    await log.put(rec('svc-b', 'failed', 5_000));
    expect(await log.countRunSince(0)).toBe(2);
    a.close();

    const b = new ServeState(file);
    const again = b.actionLog();
    expect(await again.countRunSince(0)).toBe(2);
    expect(await again.countRunSince(1_500)).toBe(1);
    expect((await again.get('inc-1/svc-a'))?.state).toBe('undone');
    expect(await again.get('inc-1/nobody')).toBeUndefined();
    expect(again.forIncident('inc-1').map((r) => [r.id, r.state])).toEqual([
      ['inc-1/svc-a', 'undone'],
      ['inc-1/svc-b', 'failed'],
      ['inc-1/svc-c', 'awaiting-approval'],
    ]);
    // Approving the waiting one makes it count from then on.
    await again.put(rec('svc-c', 'done', 6_000));
    expect(await again.countRunSince(5_500)).toBe(1);
    b.close();
  });

  it('keeps a person’s status and note for an incident', async () => {
    const s = new ServeState(path.join(dir, 'state.sqlite'));
    expect(s.statusOf('inc-9')).toBeUndefined();
    s.setStatus('inc-9', 'acknowledged', 'looking', 'alice', 10);
    s.setStatus('inc-9', 'resolved', 'svc account rotated', 'bob', 20);
    expect(s.statusOf('inc-9')).toEqual({ status: 'resolved', note: 'svc account rotated', by: 'bob', at: 20 });
    s.close();
  });
});
