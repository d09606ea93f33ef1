import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HuntResult } from '../../src/hunt';
import { run, tempDir, writeFixture, T0, jiraDcLine } from './support';

describe('bulkhead CLI: usage', () => {
  it('prints the version and help', async () => {
    const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(await run(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    const help = await run(['hunt', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--fail-on');
    expect(help.stdout).toContain('--no-builtin-rules');
    for (const cmd of [['simulate'], ['demo'], ['rules', 'list'], ['rules', 'validate'], ['rules', 'test']]) {
      expect((await run([...cmd, '--help'])).code).toBe(0);
    }
  });

  it.each([
    [['hunt'], /at least one input path/],
    [['hunt', '/nonexistent/audit.log'], /input not found: \/nonexistent\/audit.log/],
    [
      ['hunt', '--rules', '/nonexistent/rules', '.'],
      /rule folder \(--rules\) not found: \/nonexistent\/rules/,
    ],
    [['hunt', '--json', '--ndjson', '.'], /cannot be combined/],
    [['hunt', '--since', 'yesterday-ish', '.'], /--since: not a time: "yesterday-ish"/],
    [['hunt', '--timezone', 'Mars/Olympus', '.'], /unknown IANA time zone "Mars\/Olympus"/],
    [['hunt', '--fail-on', 'severe', '.'], /severe/],
    [['frobnicate'], /unknown command/],
  ])('exits 2 with a clear message: %j', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('bulkhead rules', () => {
  it('lists the built-in rules', async () => {
    const r = await run(['rules', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /admin-group-member-added\s+high\s+privilege-escalation\s+User added to an administrators group/,
    );
  });

  it('layers --rules over the built-in rules: a rule with the same id replaces the built-in one', async () => {
    const dir = tempDir();
    const builtin = path.resolve(__dirname, '../../rules/privilege-escalation/admin-group-member-added.yml');
    const text = readFileSync(builtin, 'utf8').replace(/^severity: high$/m, 'severity: medium');
    writeFileSync(path.join(dir, 'admin-group-member-added.yml'), text);
    const r = await run(['rules', 'list', '--rules', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^admin-group-member-added\s+medium\s/m);
    expect(r.stdout.match(/^admin-group-member-added /gm)).toHaveLength(1);
    // And the hunt uses the override: the fixture's admin addition is now medium, below --fail-on high.
    const { file } = writeFixture(tempDir());
    expect((await run(['hunt', '--rules', dir, file])).code).toBe(0);
  });

  it('validates the built-in rules, and names file and key of a broken one (exit 2)', async () => {
    expect((await run(['rules', 'validate'])).code).toBe(0);
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'broken.yml'),
      'id: broken-rule\ntitle: t\ndescription: d\nseverity: apocalyptic\ncategory: ioc-match\nattack: [T1078]\n' +
        'incident: x\ndetection: { sel: { event.action: user.login }, condition: sel }\nsummary: s\nexamples: []\n',
    );
    const r = await run(['rules', 'validate', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(path.join(dir, 'broken.yml'));
    expect(r.stderr).toMatch(/severity/);
  });

  it("runs every rule's examples", async () => {
    const r = await run(['rules', 'test']);
    expect(r.stdout).toMatch(/^pass {2}admin-group-member-added #1 /m);
    expect(r.stdout).toMatch(/\d+ passed, \d+ failed, \d+ rule\(s\)/);
  });
});

describe('bulkhead hunt', () => {
  it('exits 1 on a high detection, 0 when --fail-on critical, and names the evidence line', async () => {
    const dir = tempDir();
    const { file, adminLine } = writeFixture(dir);
    const r = await run(['hunt', '--no-progress', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('admin-group-member-added');
    expect(r.stdout).toContain(`${file}:${adminLine}`);
    expect(r.stdout).toMatch(/rejected: +2/);
    expect(r.stdout).toContain(`${file}:2:`);
    const lenient = await run(['hunt', '--no-progress', '--fail-on', 'critical', file]);
    expect(lenient.code).toBe(0);
  });

  it('exits 0 when nothing matches', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'quiet.audit.log');
    writeFileSync(
      file,
      jiraDcLine(T0, 'Group created', 'alice', [{ name: 'team-red', type: 'GROUP' }]) + '\n',
    );
    const r = await run(['hunt', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No incidents.');
  });

  it('applies --since / --until', async () => {
    const dir = tempDir();
    const { file } = writeFixture(dir);
    // The admin addition is at T0+120 s: a window ending before it sees no detection.
    const until = new Date((T0 + 90) * 1000).toISOString();
    const before = JSON.parse((await run(['hunt', '--json', '--until', until, file])).stdout) as HuntResult;
    expect(before.summary.detections).toBe(0);
    expect(before.summary.events).toBe(2);
    expect(before.summary.filtered).toBe(1);
    const since = new Date((T0 + 90) * 1000).toISOString();
    const after = JSON.parse((await run(['hunt', '--json', '--since', since, file])).stdout) as HuntResult;
    expect(after.summary.events).toBe(1);
    expect(after.summary.detections).toBe(1);
  });

  it('reads standard input as -', async () => {
    const dir = tempDir();
    const { file } = writeFixture(dir);
    const r = await run(['hunt', '--json', '-'], { stdin: readFileSync(file, 'utf8') });
    const result = JSON.parse(r.stdout) as HuntResult;
    expect(r.code).toBe(1);
    expect(result.detections[0]?.evidence[0]).toEqual({ file: '-', line: 5 });
  });

  it('--ioc adds indicators: the fixture source address becomes a known-bad IP', async () => {
    const dir = tempDir();
    const { file } = writeFixture(dir);
    const ioc = path.join(dir, 'iocs.txt');
    writeFileSync(ioc, '# from the incident report\n10.50.33.72\n');
    const without = JSON.parse((await run(['hunt', '--json', file])).stdout) as HuntResult;
    const withIoc = JSON.parse((await run(['hunt', '--json', '--ioc', ioc, file])).stdout) as HuntResult;
    expect(without.detections.some((d) => d.rule.category === 'ioc-match')).toBe(false);
    expect(withIoc.detections.some((d) => d.rule.category === 'ioc-match')).toBe(true);
    expect((await run(['hunt', '--ioc', path.join(dir, 'missing.txt'), file])).stderr).toMatch(
      /IOC file \(--ioc\) not found/,
    );
  });

  it('fails with exit 2 naming a broken rule folder', async () => {
    const dir = tempDir();
    const rules = path.join(dir, 'rules');
    mkdirSync(rules);
    writeFileSync(path.join(rules, 'bad.yml'), 'id: [unclosed\n');
    const { file } = writeFixture(dir);
    const r = await run(['hunt', '--rules', rules, file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(path.join(rules, 'bad.yml'));
  });
});
