/**
 * The simulator's own guarantees: same seed → same bytes; every ground-truth record exists and is the
 * attacker's; sizes are sane; the records are in the native shapes of the public samples.
 */
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { MANIFEST_FILE, SCENARIOS, simulateCloudflare2023, type ScenarioManifest } from '../../src/scenarios';

const dirs: string[] = [];
async function outDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'bulkhead-sim-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(root, p));
    }
  }
  await walk(root);
  return out.sort();
}

const lineCache = new Map<string, string[]>();
async function lines(root: string, file: string): Promise<string[]> {
  const key = join(root, file);
  let l = lineCache.get(key);
  if (l === undefined) {
    l = (await readFile(key, 'utf8')).split('\n');
    if (l[l.length - 1] === '') l.pop();
    lineCache.set(key, l);
  }
  return l;
}

describe.each(['dc', 'cloud'] as const)('simulate cloudflare-2023 --format %s', (format) => {
  let root: string;
  let manifest: ScenarioManifest;

  beforeAll(async () => {
    root = await outDir();
    manifest = await simulateCloudflare2023({ format, outDir: root, noise: 200, seed: 42 });
  });

  it('is byte-identical for the same seed and differs for another seed', async () => {
    const again = await outDir();
    await simulateCloudflare2023({ format, outDir: again, noise: 200, seed: 42 });
    const files = await listFiles(root);
    expect(await listFiles(again)).toEqual(files);
    for (const f of files) {
      const [a, b] = await Promise.all([readFile(join(root, f)), readFile(join(again, f))]);
      expect({ f, same: a.equals(b) }).toEqual({ f, same: true });
    }
    const other = await outDir();
    await simulateCloudflare2023({ format, outDir: other, noise: 200, seed: 43 });
    const main = manifest.files[0]!.file;
    expect((await readFile(join(other, main))).equals(await readFile(join(root, main)))).toBe(false);
  });

  it('writes the hidden .scenario.json equal to the returned manifest', async () => {
    expect(JSON.parse(await readFile(join(root, MANIFEST_FILE), 'utf8'))).toEqual(manifest);
  });

  it('points every step record at an existing line naming the attacker (or, for containment, its target)', async () => {
    const needles = [...manifest.attacker.identities, ...manifest.attacker.ips];
    for (const step of manifest.steps) {
      expect({ step: step.id, observable: step.observable, some: step.records.length > 0 }).toEqual({
        step: step.id,
        observable: step.observable,
        some: step.observable,
      });
      if (!step.observable) expect(step.note).toEqual(expect.any(String));
      for (const ref of step.records) {
        const text = (await lines(root, ref.file))[ref.line - 1];
        expect(text).toBeDefined();
        expect({ step: step.id, ref, hit: needles.some((n) => text!.includes(n)) }).toEqual({
          step: step.id,
          ref,
          hit: true,
        });
      }
    }
  });

  it("counts the attacker's reads and downloads as INCIDENTS.md does", () => {
    const count = (id: string): number => manifest.steps.find((s) => s.id === id)!.records.length;
    if (format === 'dc') {
      // Each view is both a Bitbucket audit record and an access-log request.
      expect(count('repo-views')).toBe(2 * 120);
      expect(count('archive-downloads')).toBe(76);
      expect(manifest.steps.find((s) => s.id === 'wiki-page-reads')!.observable).toBe(false);
    } else {
      expect(count('wiki-page-reads')).toBe(202);
      expect(count('jira-issue-reads')).toBe(36);
      expect(manifest.steps.find((s) => s.id === 'archive-downloads')!.observable).toBe(false);
      expect(manifest.steps.find((s) => s.id === 'archive-downloads')!.records).toEqual([]);
    }
  });

  it('keeps every file in time order and its manifest record count exact', async () => {
    for (const f of manifest.files) {
      const l = await lines(root, f.file);
      expect({ file: f.file, records: l.length }).toEqual({ file: f.file, records: f.records });
      let last = -Infinity;
      for (const text of l) {
        const t = timeOf(f.format, text);
        expect(t).toBeGreaterThanOrEqual(last);
        last = t;
      }
    }
  });

  it('has sane sizes for 200 background users over 24 days', async () => {
    const total = manifest.files.reduce((a, f) => a + f.records, 0);
    let bytes = 0;
    for (const f of manifest.files) bytes += (await stat(join(root, f.file))).size;
    expect(total).toBeGreaterThan(20_000);
    expect(total).toBeLessThan(400_000);
    expect(bytes).toBeLessThan(300 * 1024 * 1024);
    expect(manifest.background.users.length).toBeGreaterThanOrEqual(200);
    expect(new Set(manifest.background.users).size).toBe(manifest.background.users.length);
    for (const id of manifest.attacker.identities) expect(manifest.background.users).not.toContain(id);
  });
});

describe('record shapes', () => {
  it('writes DC audit lines with the sample keys and the access log with 13 fields', async () => {
    const root = await outDir();
    const m = await simulateCloudflare2023({ format: 'dc', outDir: root, noise: 20, seed: 1 });
    const jira = m.files.find((f) => f.file.startsWith('jira/log/audit/'))!;
    const rec = JSON.parse((await lines(root, jira.file))[0]!);
    expect(Object.keys(rec)).toEqual([
      'affectedObjects',
      'auditType',
      'author',
      'changedValues',
      'extraAttributes',
      'method',
      'node',
      'source',
      'system',
      'timestamp',
      'version',
    ]);
    expect(Object.keys(rec.auditType)).toEqual([
      'action',
      'actionI18nKey',
      'area',
      'category',
      'categoryI18nKey',
      'level',
    ]);
    expect(Object.keys(rec.timestamp)).toEqual(['epochSecond', 'nano']);
    const archive = m.steps.find((s) => s.id === 'archive-downloads')!.records[0]!;
    const line = (await lines(root, archive.file))[archive.line - 1]!;
    const f = line.split(' | ');
    expect(f).toHaveLength(13);
    expect(f[12]).toMatch(/^[a-z0-9]+ \|$/);
    expect(f[0]).toBe('193.142.58.126');
    expect(f[2]).toMatch(/^o\*/);
    expect(f[3]).toBe('svc-bitbucket');
    expect(f[5]).toMatch(
      /^"GET \/rest\/api\/latest\/projects\/[A-Z]+\/repos\/[a-z0-9-]+\/archive\?format=zip HTTP\/1\.1"$/,
    );
    expect(Number(f[9])).toBeGreaterThan(0);
  });

  it('rejects a bad format and bad noise with messages naming them', async () => {
    const root = await outDir();
    await expect(
      simulateCloudflare2023({ format: 'server' as 'dc', outDir: root, noise: 1 }),
    ).rejects.toThrow(/--format must be dc or cloud/);
    await expect(simulateCloudflare2023({ format: 'dc', outDir: root, noise: -1 })).rejects.toThrow(
      /--noise/,
    );
  });

  it('is registered for the CLI', () => {
    expect(SCENARIOS['cloudflare-2023']?.defaultNoise).toBe(200);
  });
});

function timeOf(format: string, text: string): number {
  if (format === 'bitbucket-dc-access') {
    const t = text.split(' | ')[4]!;
    return Date.parse(`${t.replace(' ', 'T').replace(',', '.')}Z`);
  }
  const r = JSON.parse(text);
  if (format === 'dc-audit-file') return r.timestamp.epochSecond * 1000 + r.timestamp.nano / 1e6;
  if (format === 'jira-cloud-audit') return Date.parse(r.created.replace('+0000', 'Z'));
  if (format === 'confluence-cloud-audit') return r.creationDate;
  if (format === 'org-audit') return Date.parse(r.attributes.time);
  if (format === 'forge-event') return Date.parse(r.eventCreatedDate ?? r.push.commits[0].date);
  throw new Error(`unknown format ${format}`);
}
