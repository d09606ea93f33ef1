import { createHmac } from 'node:crypto';
import { signature } from '../../src/notify/webhook';
import { SECRETS } from '../../src/forge/core/keys';
import {
  checkForwarderSignature,
  constantTimeEqual,
  type WebTriggerRequest,
} from '../../src/forge/core/webtriggers';
import { adminGroupRecord, inboxIds, testApp } from './support';

const SECRET = 'fwd-secret-0123456789';

function forwarded(body: string, ts: number, secret = SECRET): WebTriggerRequest {
  const t = String(Math.floor(ts / 1000));
  return {
    method: 'POST',
    headers: { 'x-bulkhead-timestamp': [t], 'x-bulkhead-signature': [signature(secret, t, body)] },
    body,
  };
}

describe('forwarder web trigger (HMAC-SHA256 over timestamp and body, 5-minute window, replay)', () => {
  test('a good signature is accepted once and its records reach the inbox; the same request again is a replay', async () => {
    const t = testApp();
    await t.kv.setSecret(SECRETS.forwarder, SECRET);
    const body = JSON.stringify([adminGroupRecord()]);
    const req = forwarded(body, t.clock.now);
    const ok = await t.app.webtrigger('forwarder', req);
    expect(ok.statusCode).toBe(202);
    expect(inboxIds(t.sqlDb)).toHaveLength(1);
    // An admin-group change can start containment: drained at once (Ingestor.urgent).
    expect(t.pushed).toEqual([{ queue: 'ingest', body: { kind: 'drain', urgent: true } }]);
    const again = await t.app.webtrigger('forwarder', req);
    expect(again.statusCode).toBe(409);
    expect(inboxIds(t.sqlDb)).toHaveLength(1);
  });

  test('a bad signature, a signature with another secret, a changed body or missing headers are refused', async () => {
    const t = testApp();
    await t.kv.setSecret(SECRETS.forwarder, SECRET);
    const body = JSON.stringify([adminGroupRecord()]);
    const wrongSecret = forwarded(body, t.clock.now, 'another-secret');
    expect((await t.app.webtrigger('forwarder', wrongSecret)).statusCode).toBe(401);
    const good = forwarded(body, t.clock.now);
    expect(
      (await t.app.webtrigger('forwarder', { ...good, body: body.replace('42', '43') })).statusCode,
    ).toBe(401);
    expect((await t.app.webtrigger('forwarder', { method: 'POST', headers: {}, body })).statusCode).toBe(401);
    expect(
      (
        await t.app.webtrigger('forwarder', {
          ...good,
          headers: { ...good.headers, 'x-bulkhead-signature': ['sha256=00'] },
        })
      ).statusCode,
    ).toBe(401);
    expect(inboxIds(t.sqlDb)).toHaveLength(0);
  });

  test('a timestamp more than 5 minutes old or ahead is refused, inside the window it is accepted', async () => {
    const t = testApp();
    await t.kv.setSecret(SECRETS.forwarder, SECRET);
    const body = '[]';
    expect((await t.app.webtrigger('forwarder', forwarded(body, t.clock.now - 301_000))).statusCode).toBe(
      401,
    );
    expect((await t.app.webtrigger('forwarder', forwarded(body, t.clock.now + 301_000))).statusCode).toBe(
      401,
    );
    expect((await t.app.webtrigger('forwarder', forwarded(body, t.clock.now - 299_000))).statusCode).toBe(
      202,
    );
    expect(checkForwarderSignature(SECRET, 'abc', 'x', body, t.clock.now)).toEqual({
      ok: false,
      status: 401,
      reason: 'bad timestamp',
    });
  });

  test('without a configured secret nothing is accepted; a GET is refused', async () => {
    const t = testApp();
    expect((await t.app.webtrigger('forwarder', forwarded('[]', t.clock.now))).statusCode).toBe(503);
    await t.kv.setSecret(SECRETS.forwarder, SECRET);
    expect(
      (await t.app.webtrigger('forwarder', { ...forwarded('[]', t.clock.now), method: 'GET' })).statusCode,
    ).toBe(405);
  });
});

describe('org audit-log webhook (Authorization secret)', () => {
  const body = JSON.stringify({
    data: {
      id: 'e1',
      type: 'events',
      attributes: { time: '2026-11-01T11:00:00Z', action: 'user_added_to_group', actor: { id: 'a1' } },
    },
  });

  test('the configured Authorization value is accepted; a wrong, prefixed or missing one is refused', async () => {
    const t = testApp();
    await t.kv.setSecret(SECRETS.orgWebhookAuth, 'Bearer s3cr3t-value');
    const call = (auth?: string) =>
      t.app.webtrigger('org', {
        method: 'POST',
        headers: auth === undefined ? {} : { authorization: [auth] },
        body,
      });
    expect((await call()).statusCode).toBe(401);
    expect((await call('Bearer wrong')).statusCode).toBe(401);
    expect((await call('Bearer s3cr3t-value ')).statusCode).toBe(401);
    expect((await call('s3cr3t-value')).statusCode).toBe(401);
    expect((await call('Bearer s3cr3t-value')).statusCode).toBe(202);
    expect(inboxIds(t.sqlDb)).toHaveLength(1);
  });

  test('no secret configured: 503, and a refusal never echoes the secret', async () => {
    const t = testApp();
    expect((await t.app.webtrigger('org', { method: 'POST', headers: {}, body })).statusCode).toBe(503);
    await t.kv.setSecret(SECRETS.orgWebhookAuth, 'Bearer s3cr3t-value');
    const r = await t.app.webtrigger('org', { method: 'POST', headers: { authorization: ['nope'] }, body });
    expect(r.body).not.toContain('s3cr3t');
  });
});

describe('Bitbucket webhook (X-Hub-Signature)', () => {
  test('sha256 HMAC of the raw body with the hook secret; anything else is refused', async () => {
    const t = testApp();
    await t.kv.setSecret(SECRETS.bitbucketWebhook, 'bb-secret');
    const body = JSON.stringify({ repository: { full_name: 'ws/repo' }, actor: { account_id: 'x' } });
    const sig = `sha256=${createHmac('sha256', 'bb-secret').update(body).digest('hex')}`;
    expect(
      (await t.app.webtrigger('bitbucket', { method: 'POST', headers: { 'x-hub-signature': [sig] }, body }))
        .statusCode,
    ).toBe(202);
    expect(
      (
        await t.app.webtrigger('bitbucket', {
          method: 'POST',
          headers: { 'x-hub-signature': ['sha256=00'] },
          body,
        })
      ).statusCode,
    ).toBe(401);
    expect((await t.app.webtrigger('bitbucket', { method: 'POST', headers: {}, body })).statusCode).toBe(401);
  });
});

test('constantTimeEqual compares whole strings of any length', () => {
  expect(constantTimeEqual('abc', 'abc')).toBe(true);
  expect(constantTimeEqual('abc', 'abd')).toBe(false);
  expect(constantTimeEqual('abc', 'abcd')).toBe(false);
  expect(constantTimeEqual('', '')).toBe(true);
});
