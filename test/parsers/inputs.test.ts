/** Reading real inputs: mixed NDJSON, pages, access logs, CSV exports, directories, .gz and stdin. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { expandInputs, readInput } from '../../src/parsers';
import { FIXTURES, readAll } from './helpers';

const fx = (p: string): string => path.join(FIXTURES, p);
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-parsers-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('readInput', () => {
  it('NDJSON mixing six formats, a blank line and a one-line page', async () => {
    const r = await readAll(fx('mixed.ndjson'));
    expect(r.rejects).toEqual([]);
    expect([...r.formats].sort()).toEqual(['bitbucket-cloud-webhook', 'dc-audit-file', 'forge-event', 'jira-cloud-audit', 'org-audit']);
    const [space, jira, token, user, fork, imp, admin] = r.events;
    expect(space).toMatchObject({
      'event.action': 'access.anonymous.granted',
      'atlassian.audit.action': 'Space permission added',
      'atlassian.permission': 'EXPORTSPACE',
      'atlassian.space.name': 'Engineering',
      'source.ip': '203.0.113.7',
      'related.ip': ['203.0.113.7', '10.0.0.2'],
      'user.name': 'mallory',
      ref: { line: 1 },
    });
    expect(jira).toMatchObject({ 'event.action': 'group.member.added', 'group.name': 'jira-administrators', 'user.target.name': 'svc-backup', '@timestamp': Date.parse('2023-11-23T10:15:00Z'), ref: { line: 2 } });
    expect(token).toMatchObject({ 'event.action': 'token.api.created', 'atlassian.token.name': 'ci-token', 'source.geo.country_iso_code': 'NL', ref: { line: 4 } });
    expect(user).toMatchObject({ 'event.action': 'user.created', 'atlassian.product': 'jira', 'user.target.id': '712020:new', 'group.name': 'jira-software-users', ref: { line: 5 } });
    expect(fork).toMatchObject({ 'event.action': 'repository.forked', 'atlassian.repository.name': 'acme/payments', 'user.name': 'mallory', '@timestamp': Date.parse('2023-11-23T10:30:00Z') });
    expect(fork!.targets.map((t) => t.name)).toEqual(['acme/payments', 'mallory/payments']);
    expect(imp).toMatchObject({ 'event.action': 'user.impersonated', 'user.target.name': 'The CEO', ref: { line: 7, index: 0 } });
    expect(admin).toMatchObject({ 'event.action': 'role.admin.granted', ref: { line: 7, index: 1 } });
  });

  it('a pretty-printed page: good records kept, the bad one rejected with its index', async () => {
    const r = await readAll(fx('org-page.json'));
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ 'event.action': 'auth.2sv.disabled', 'user.target.name': 'Victim', ref: { line: 2, index: 0 } });
    expect(r.rejects).toEqual([expect.objectContaining({ line: 2, index: 1, format: 'org-audit', reason: expect.stringContaining('attributes.time is not a timestamp') })]);
  });

  it('Bitbucket access log: archive downloads, https clone, API request; i lines and anonymous /status skipped', async () => {
    const r = await readAll(fx('access.log'));
    expect(r.rejects).toEqual([]);
    expect(r.records).toBe(6);
    expect(r.events.map((e) => e['event.action'])).toEqual(['repository.archive.downloaded', 'repository.archive.downloaded', 'repository.cloned', 'api.request']);
    expect(r.events[0]).toMatchObject({
      'atlassian.repository.name': 'PAY/payments',
      'http.response.body.bytes': 73400320,
      'http.response.status_code': 200,
      'event.duration_ms': 4800,
      'user.name': 'mallory',
      'url.path': '/rest/api/latest/projects/PAY/repos/payments/archive',
      'url.query': 'format=zip',
      '@timestamp': Date.UTC(2023, 10, 23, 11, 5, 4, 900),
      ref: { line: 2 },
    });
    expect(r.events[1]!['atlassian.repository.name']).toBe('OPS/infra');
    expect(r.events[2]!['atlassian.repository.name']).toBe('PAY/payments');
    expect(r.events[3]).toMatchObject({ 'url.path': '/rest/api/1.0/users', 'http.response.body.bytes': 20480 });
  });

  it('access log times follow the timezone option', async () => {
    const r = await readAll(fx('access.log'), { timezone: 'Europe/Berlin' });
    expect(r.events[0]!['@timestamp']).toBe(Date.UTC(2023, 10, 23, 10, 5, 4, 900));
    await expect(readAll(fx('access.log'), { timezone: 'Mars/Olympus' })).rejects.toThrow(/IANA zone/);
  });

  it('org audit CSV export: detected by header, a bad row is one reject', async () => {
    const r = await readAll(fx('org-audit.csv'));
    expect([...r.formats]).toEqual(['org-audit-csv']);
    expect(r.events.map((e) => e['event.action'])).toEqual(['role.admin.granted', 'token.api.created']);
    expect(r.events[0]).toMatchObject({ 'user.email': 'mallory@example.com', 'source.ip': '203.0.113.7', 'atlassian.product': 'org', ref: { line: 2 } });
    expect(r.events[1]!['@timestamp']).toBe(Date.UTC(2023, 10, 23, 11, 11));
    expect(r.rejects).toEqual([expect.objectContaining({ line: 4, format: 'org-audit-csv', reason: expect.stringContaining('bad date') })]);
  });

  it('Confluence audit CSV export', async () => {
    const r = await readAll(fx('confluence-audit.csv'));
    expect(r.rejects).toEqual([]);
    expect(r.events[0]).toMatchObject({ 'event.dataset': 'confluence-audit-csv', 'event.action': 'export.space', 'user.name': 'mallory', 'atlassian.product': 'confluence' });
    expect(r.events[0]!.message).toBe('Exported space "Engineering" as XML');
    expect(r.events[1]).toMatchObject({ 'event.action': 'permission.global.granted', 'user.kind': 'system' });
  });

  it('Confluence audit CSV with the column names of the audit log screen (Change, Event type, Item affected)', async () => {
    const r = await readAll(fx('confluence-audit-ui.csv'));
    expect(r.rejects).toEqual([]);
    expect([...r.formats]).toEqual(['confluence-audit-csv']);
    expect(r.events[0]).toMatchObject({
      'event.action': 'export.space',
      'user.name': 'mallory',
      'atlassian.audit.category': 'Spaces',
      '@timestamp': Date.UTC(2023, 10, 23, 11, 30),
    });
  });

  it('directories recursively and sorted; missing paths are an error', async () => {
    const dir = path.join(tmp, 'tree');
    fs.cpSync(fx('tree'), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, '.DS_Store'), 'junk');
    fs.writeFileSync(path.join(dir, 'README.md'), '# notes that came with the export\n');
    const inputs = await expandInputs([dir]);
    expect(inputs.map((i) => path.relative(tmp, i.path))).toEqual([path.join('tree', 'a.ndjson'), path.join('tree', 'sub', 'b.ndjson')]);
    expect(inputs[0]!.size).toBe(fs.statSync(fx('tree/a.ndjson')).size);
    await expect(expandInputs([fx('nope')])).rejects.toThrow(/nope/);
    const b = await readAll(inputs[1]!.path);
    expect(b.events[0]).toMatchObject({ 'event.action': 'search.performed', 'atlassian.search.query': 'password' });
  });

  it('.gz through streaming zlib, reporting compressed bytes; a truncated .gz keeps what was read', async () => {
    const text = fs.readFileSync(fx('mixed.ndjson'));
    const gz = path.join(tmp, 'mixed.ndjson.gz');
    const packed = gzipSync(text);
    fs.writeFileSync(gz, packed);
    let bytes = 0;
    const r = await readAll(gz, { onBytes: (n) => (bytes += n) });
    expect(r.events).toHaveLength(7);
    expect(r.rejects).toEqual([]);
    expect(bytes).toBe(packed.length);

    const rotated = path.join(tmp, 'atlassian-bitbucket-access.log.1');
    fs.writeFileSync(rotated, gzipSync(fs.readFileSync(fx('access.log'))));
    expect((await readAll(rotated)).events).toHaveLength(4);

    const cut = path.join(tmp, 'cut.ndjson.gz');
    fs.writeFileSync(cut, gzipSync(Buffer.concat(Array.from({ length: 200 }, () => text))).subarray(0, 600));
    const t = await readAll(cut);
    expect(t.events.length).toBeGreaterThan(0);
    expect(t.rejects.at(-1)).toMatchObject({ reason: expect.stringMatching(/could not be read to the end/) });
  });

  it('stdin: `-` read from a real pipe of a child process', async () => {
    const child = spawn(process.execPath, ['-e', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(fx('access.log'))}))`]);
    const r = await readAll('-', { stdin: child.stdout });
    expect(r.events).toHaveLength(4);
    expect(r.events[0]!.ref.file).toBe('-');
  });

  it('stdin: gzip is recognised by its magic bytes (zcat not needed)', async () => {
    const gz = gzipSync(fs.readFileSync(fx('mixed.ndjson')));
    const r = await readAll('-', { stdin: Readable.from([gz.subarray(0, 1), gz.subarray(1)]) });
    expect(r.rejects).toEqual([]);
    expect(r.events).toHaveLength(7);
    const empty = await readAll('-', { stdin: Readable.from([]) });
    expect(empty).toMatchObject({ events: [], rejects: [] });
  });

  it('batches of about batchSize events, in order', async () => {
    const lines = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ eventType: 'avi:jira:viewed:issue', atlassianId: 'a', timestamp: 1700000000000 + i, issue: { id: String(i), key: `K-${i}` } }));
    const r = await readAll('-', { stdin: Readable.from([Buffer.from(lines.join('\n'))]), batchSize: 1000 });
    expect(r.batches).toBe(3);
    expect(r.events.map((e) => e.ref.line)).toEqual(lines.map((_, i) => i + 1));
  });

  it('unreadable inputs become one reject instead of a crash', async () => {
    const batches = [];
    for await (const b of readInput(path.join(tmp, 'missing.ndjson'))) batches.push(b);
    expect(batches[0]!.rejects[0]).toMatchObject({ line: 0, reason: expect.stringContaining('cannot read input') });
  });

  it('a pretty-printed document with a byte-order mark and CRLF line ends', async () => {
    const f = path.join(tmp, 'bom.json');
    fs.writeFileSync(f, '\ufeff' + fs.readFileSync(fx('org-page.json'), 'utf8').replace(/\n/g, '\r\n'));
    const r = await readAll(f);
    expect(r.events[0]).toMatchObject({ 'event.action': 'auth.2sv.disabled', ref: { line: 2, index: 0 } });
  });

  it('a document over the size cap is rejected clearly', async () => {
    const r = await readAll(fx('org-page.json'), { maxDocumentBytes: 100 });
    expect(r.events).toEqual([]);
    expect(r.rejects[0]!.reason).toMatch(/larger than/);
  });
});
