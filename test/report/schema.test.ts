/** Real hunt output (the public samples plus a fixture with bad lines) validated against the published schema. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { HuntResult } from '../../src/hunt';
import { run, SAMPLES, tempDir, writeFixture } from '../cli/support';

const schema = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../docs/schema/hunt-v1.schema.json'), 'utf8'),
) as Record<string, unknown>;
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
ajv.addSchema(schema);
const validateDoc = ajv.getSchema(schema.$id as string)!;
const validateLine = ajv.getSchema(`${schema.$id as string}#/$defs/ndjsonLine`)!;

const errorsOf = (v: typeof validateDoc): string => ajv.errorsText(v.errors, { separator: '\n' });

describe('hunt output schema (bulkhead.hunt/v1)', () => {
  let inputs: string[];
  beforeAll(() => {
    const dir = tempDir();
    inputs = [SAMPLES, writeFixture(dir).file];
  });

  it('--json validates, and carries incidents, detections and rejects', async () => {
    const r = await run(['hunt', '--json', ...inputs]);
    const doc = JSON.parse(r.stdout) as HuntResult;
    expect(validateDoc(doc)).toBe(true);
    if (validateDoc.errors) throw new Error(errorsOf(validateDoc));
    expect(doc.schema).toBe('bulkhead.hunt/v1');
    expect(doc.incidents.length).toBeGreaterThan(0);
    expect(doc.detections.length).toBeGreaterThan(0);
    expect(doc.rejects.length).toBeGreaterThan(0);
  });

  it('--ndjson validates line by line, summary first, every type present', async () => {
    const r = await run(['hunt', '--ndjson', ...inputs]);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; schema?: string });
    expect(lines[0]).toMatchObject({ type: 'summary', schema: 'bulkhead.hunt/v1' });
    for (const line of lines) {
      if (!validateLine(line)) throw new Error(`${line.type}: ${errorsOf(validateLine)}`);
    }
    expect(new Set(lines.map((l) => l.type))).toEqual(
      new Set(['summary', 'file', 'reject', 'incident', 'detection']),
    );
  });

  it('rejects a document that breaks the contract', () => {
    expect(
      validateDoc({
        schema: 'bulkhead.hunt/v2',
        summary: {},
        files: [],
        rejects: [],
        incidents: [],
        detections: [],
      }),
    ).toBe(false);
    expect(
      validateLine({ type: 'file', file: 'x', formats: {}, records: 1, events: 1, rejected: 0, extra: true }),
    ).toBe(false);
  });

  it('evidence and rejects point at the right input lines', async () => {
    const dir = tempDir();
    const { file, adminLine, badLines } = writeFixture(dir);
    const doc = JSON.parse((await run(['hunt', '--json', file])).stdout) as HuntResult;
    expect(doc.rejects.map((x) => x.line)).toEqual(badLines);
    const d = doc.detections.find((x) => x.rule.id === 'admin-group-member-added');
    expect(d?.evidence).toEqual([{ file, line: adminLine }]);
    expect(d?.rule).toMatchObject({ severity: 'high', category: 'privilege-escalation' });
    expect(d?.rule.attack.length).toBeGreaterThan(0);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[adminLine - 1]).toContain('jira-administrators');
    expect(doc.files).toEqual([
      { file, formats: { 'dc-audit-file': 3, unknown: 2 }, records: 5, events: 3, rejected: 2 },
    ]);
  });

  it('records inside a whole-JSON page carry their index', async () => {
    const page = path.join(SAMPLES, 'jira-cloud/audit-record-page.json');
    const doc = JSON.parse(
      (await run(['hunt', '--json', '--fail-on', 'critical', page])).stdout,
    ) as HuntResult;
    const refs = doc.detections.flatMap((d) => d.evidence);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref).toEqual({ file: page, line: 1, index: expect.any(Number) });
  });
});
