/**
 * Property tests: whatever mix of valid records and garbage a file holds, every valid record comes out as an
 * event on its own line, every bad line is exactly one reject naming file, line and reason, and nothing throws.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { parseLine, parseRecord, MAX_LINE_BYTES } from '../../src/parsers';
import { readAll } from './helpers';

const name = fc.stringMatching(/^[a-z][a-z0-9._-]{0,11}$/);
const key = fc.stringMatching(/^[A-Z][A-Z0-9]{1,5}$/);
const epochSec = fc.integer({ min: 1_000_000_000, max: 2_000_000_000 });
const iso = epochSec.map((s) => new Date(s * 1000).toISOString());

/** One valid record line of each line format, as text. */
const validLine: fc.Arbitrary<string> = fc.oneof(
  fc.record({ user: name, group: name, t: epochSec }).map(({ user, group, t }) =>
    JSON.stringify({ affectedObjects: [{ name: group, type: 'GROUP' }], auditType: { action: 'User added to group', actionI18nKey: 'jira.auditing.user.added.to.group' }, author: { id: '10', name: user, type: 'user' }, source: '10.0.0.1', timestamp: { epochSecond: t, nano: 0 } }),
  ),
  fc.record({ user: name, t: iso }).map(({ user, t }) =>
    JSON.stringify({ timestamp: t, author: { name: user, id: '2', type: 'NORMAL' }, type: { action: 'Global permission granted', actionI18nKey: 'bitbucket.service.user.audit.action.globalpermissiongranted' }, affectedObjects: [], extraAttributes: [{ name: 'Permission', value: 'SYS_ADMIN' }] }),
  ),
  fc.record({ id: fc.nat(), t: iso }).map(({ id, t }) => JSON.stringify({ id, summary: 'User created', created: t, objectItem: { id: 'u', name: 'u', typeName: 'USER' } })),
  fc.record({ t: epochSec, user: name }).map(({ t, user }) => JSON.stringify({ author: { displayName: user, accountId: 'x' }, creationDate: t * 1000, summary: 'Space exported', affectedObject: { name: 'S', objectType: 'Space' } })),
  fc.record({ t: iso, user: name }).map(({ t, user }) => JSON.stringify({ type: 'events', id: 'e', attributes: { time: t, action: 'user_login', actor: { id: 'a', name: user } } })),
  fc.record({ t: iso }).map(({ t }) => JSON.stringify({ eventType: 'avi:confluence:viewed:page', atlassianId: 'a', eventCreatedDate: t, content: { id: '1', title: 'P' } })),
  fc.record({ t: iso, user: name }).map(({ t, user }) => JSON.stringify({ actor: { nickname: user, uuid: '{u}' }, repository: { full_name: `${user}/r`, uuid: '{r}' }, fork: { full_name: 'x/r', created_on: t } })),
  fc.record({ user: name, proj: key, slug: name, t: epochSec, bytes: fc.nat() }).map(({ user, proj, slug, t, bytes }) => {
    const d = new Date(t * 1000).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
    return `10.1.2.3 | https | o@ABCx1x2x0 | ${user} | ${d} | "GET /rest/api/latest/projects/${proj}/repos/${slug}/archive?format=zip HTTP/1.1" | "" "curl" | 200 | 0 | ${bytes} | - | 12 | s1 |`;
  }),
);

const NOT_BLANK = (s: string): boolean => /[^\s\ufeff]/.test(s);
/** Lines that must each be exactly one reject. */
const garbageLine: fc.Arbitrary<string> = fc.oneof(
  // binary / random bytes (no newline; a leading control byte keeps them from being JSON or blank)
  fc.uint8Array({ minLength: 1, maxLength: 80 }).map((b) => '\u0001' + Buffer.from(b.filter((x) => x !== 10)).toString('latin1')),
  fc.string({ minLength: 1, maxLength: 60 }).filter((s) => !s.includes('\n') && NOT_BLANK(s) && !/^[\s{[]/.test(s)),
  // truncated JSON
  fc.tuple(validLine.filter((l) => l.startsWith('{')), fc.integer({ min: 1, max: 40 })).map(([l, cut]) => l.slice(0, Math.max(2, l.length - cut))),
  // wrong types
  fc.constantFrom(
    '{"auditType":5,"timestamp":{"epochSecond":1700000000,"nano":0}}',
    '{"auditType":{"action":"User created"},"timestamp":"x"}',
    '{"type":{"action":"User created"},"timestamp":"yesterday"}',
    '{"summary":"User created","created":12.5e400}',
    '{"type":"events","attributes":{"action":7,"time":"2023-01-01T00:00:00Z"}}',
    '{"eventType":"avi:jira:created:user","timestamp":"soon"}',
    '{"hello":"world"}',
    '42',
    '"just a string"',
    'null',
    '10.0.0.1 | https | o@X | bob | not a time | "GET / HTTP/1.1" | "" | 200 | 0 | 0 | - | 1 | s |',
  ),
  // over 1 MiB
  fc.constantFrom('{"auditType":"' + 'A'.repeat(MAX_LINE_BYTES + 10) + '"}', 'z'.repeat(MAX_LINE_BYTES + 1)),
);

const entry = fc.oneof({ arbitrary: validLine.map((text) => ({ ok: true as const, text })), weight: 3 }, { arbitrary: garbageLine.map((text) => ({ ok: false as const, text })), weight: 2 }, { arbitrary: fc.constant({ ok: null, text: '' }), weight: 1 });

describe('parser properties', () => {
  it('interleaved valid and garbage lines: one event per valid line, one reject per bad line, right line numbers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 4096 }), fc.boolean(), async (entries, chunk, crlf) => {
        const text = Buffer.from(entries.map((e) => e.text).join(crlf ? '\r\n' : '\n'));
        const chunks: Buffer[] = [];
        for (let i = 0; i < text.length; i += chunk) chunks.push(text.subarray(i, i + chunk));
        const r = await readAll('-', { stdin: Readable.from(chunks) });
        const validLines = entries.flatMap((e, i) => (e.ok === true ? [i + 1] : []));
        const badLines = entries.flatMap((e, i) => (e.ok === false ? [i + 1] : []));
        expect(r.events.map((e) => e.ref.line)).toEqual(validLines);
        expect(r.rejects.map((x) => x.line)).toEqual(badLines);
        for (const x of r.rejects) {
          expect(x.file).toBe('-');
          expect(x.reason.length).toBeGreaterThan(5);
          expect(x.excerpt.length).toBeLessThanOrEqual(200);
          // eslint-disable-next-line no-control-regex
          expect(x.excerpt).not.toMatch(/[\u0000-\u001f]/);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('parseRecord never throws on arbitrary values, and what it returns is well-formed', () => {
    const ref = { file: 'mem', line: 1 };
    const mutated = fc.tuple(validLine.filter((l) => l.startsWith('{')), fc.string({ maxLength: 12 }), fc.jsonValue()).map(([l, k, v]) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      const keys = Object.keys(o);
      o[keys.length > 0 && k.length % 2 === 0 ? keys[k.length % keys.length]! : k] = v;
      return o;
    });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.jsonValue(), mutated), (v) => {
        const out = parseRecord(v, ref);
        for (const e of out.events) {
          expect(Number.isFinite(e['@timestamp'])).toBe(true);
          expect(e['event.action']).not.toBe('');
        }
        for (const x of out.rejects) expect(x.reason).not.toBe('');
      }),
      { numRuns: 1500 },
    );
  });

  it('round trip: ref.line points at the line the record is on', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(validLine, fc.nat({ max: 2 })), { minLength: 1, maxLength: 20 }), async (recs) => {
        const lines: string[] = [];
        for (const [l, blanks] of recs) {
          for (let i = 0; i < blanks; i++) lines.push('');
          lines.push(l);
        }
        const r = await readAll('-', { stdin: Readable.from([Buffer.from(lines.join('\n'))]) });
        expect(r.rejects).toEqual([]);
        expect(r.events).toHaveLength(recs.length);
        for (const e of r.events) {
          const again = parseLine(lines[e.ref.line - 1]!, e.ref);
          expect(again.events[0]).toEqual(e);
        }
      }),
      { numRuns: 60 },
    );
  });
});
