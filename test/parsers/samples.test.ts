/** Every public sample record parses with zero rejects, and the normalized fields are what rules expect. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expandInputs } from '../../src/parsers';
import { readAll, SAMPLES } from './helpers';

const sample = (p: string): string => path.join(SAMPLES, p);

describe('public samples', () => {
  it('all parse with zero rejects', async () => {
    const inputs = (await expandInputs([SAMPLES])).filter((i) => !i.path.endsWith('.md'));
    expect(inputs.length).toBeGreaterThanOrEqual(13);
    for (const input of inputs) {
      const r = await readAll(input.path);
      expect({ file: input.path, rejects: r.rejects }).toEqual({ file: input.path, rejects: [] });
      expect(r.events.length).toBeGreaterThan(0);
    }
  });

  it('Bitbucket DC audit file: global permission grant of SYS_ADMIN to admin', async () => {
    const { events, formats } = await readAll(sample('dc-audit/bitbucket-audit-file.ndjson'));
    expect([...formats]).toEqual(['dc-audit-file']);
    const grant = events.find((e) => e['atlassian.audit.action'] === 'Global permission granted')!;
    expect(grant).toMatchObject({
      'event.action': 'permission.global.granted',
      'atlassian.product': 'bitbucket',
      'atlassian.permission': 'SYS_ADMIN',
      'user.target.name': 'admin',
      'user.kind': 'anonymous',
      'source.ip': '10.100.100.2',
      '@timestamp': 1638034466108,
      ref: { line: 2 },
    });
    const member = events[0]!;
    expect(member).toMatchObject({ 'event.action': 'group.member.added', 'group.name': 'stash-users', 'user.target.name': 'admin' });
    expect(member.targets.map((t) => t.kind)).toEqual(['group', 'user']);
    expect(events.find((e) => e['user.id'] === '-1')!['user.kind']).toBe('system');
    expect(events.some((e) => e['event.action'] === 'audit.config.changed')).toBe(true);
  });

  it('Jira DC audit file and REST: products, permissions, proxy chains, JQL', async () => {
    const file = await readAll(sample('dc-audit/jira-audit-file.ndjson'));
    expect(file.events.every((e) => e['atlassian.product'] === 'jira')).toBe(true);
    const gp = file.events.find((e) => e['event.action'] === 'permission.global.granted')!;
    expect(gp['atlassian.permission']).toBe('Browse Users');
    expect(gp['atlassian.attributes']).toMatchObject({ group: 'jira-software-users' });
    expect(file.events.find((e) => e['atlassian.audit.action'] === 'New license added')!['event.action']).toBe('new-license-added');

    const rest = await readAll(sample('dc-audit/jira-audit-rest.ndjson'));
    expect([...rest.formats]).toEqual(['dc-audit-rest']);
    const jql = rest.events[0]!;
    expect(jql).toMatchObject({
      'event.action': 'search.performed',
      'source.ip': '127.0.0.1',
      'related.ip': ['127.0.0.1', '192.168.22.33'],
      'user.name': 'max.mustermann',
      '@timestamp': Date.parse('2025-02-25T08:03:35.815Z'),
    });
    expect(jql['atlassian.search.query']).toContain('project="TEST"');
    expect(rest.events.find((e) => e['event.action'] === 'token.personal.created')!['atlassian.token.name']).toBeDefined();
  });

  it('Confluence DC: app enabled, SYSTEMADMINISTRATOR grant', async () => {
    const { events } = await readAll(sample('dc-audit/confluence-audit-file.ndjson'));
    expect(events.every((e) => e['atlassian.product'] === 'confluence')).toBe(true);
    expect(events[0]).toMatchObject({ 'event.action': 'app.enabled', 'atlassian.app.name': 'Synchrony Interop Bootstrap Plugin' });
    const admin = events.find((e) => e['atlassian.permission'] === 'SYSTEMADMINISTRATOR')!;
    expect(admin).toMatchObject({ 'event.action': 'permission.global.granted', 'group.name': 'confluence-administrators' });
  });

  it('Bitbucket DC REST entities', async () => {
    const { events } = await readAll(sample('dc-audit/bitbucket-audit-rest.ndjson'));
    expect(events.map((e) => e['event.action'])).toEqual(['user.deleted', 'user.renamed', 'user.password.changed']);
    expect(events[0]).toMatchObject({ 'user.name': 'admin', 'user.kind': 'human', 'user.target.name': 'test.user' });
  });

  it('Jira Cloud records and page', async () => {
    const nd = await readAll(sample('jira-cloud/audit-records.ndjson'));
    const added = nd.events.find((e) => e['event.action'] === 'group.member.added')!;
    expect(added).toMatchObject({ 'event.id': '11939', 'group.name': 'jira-software-users', 'user.kind': 'system', ref: { line: 4 } });
    const page = await readAll(sample('jira-cloud/audit-record-page.json'));
    expect(page.events).toHaveLength(3);
    expect(page.events.map((e) => e.ref)).toEqual([0, 1, 2].map((index) => ({ file: sample('jira-cloud/audit-record-page.json'), line: 1, index })));
    expect(page.events[0]).toMatchObject({ '@timestamp': Date.parse('2022-04-12T18:45:42.967Z'), 'user.id': '5ab8f18d741e9c2c7e9d4538', 'source.ip': '192.168.1.1' });
  });

  it('Confluence Cloud records', async () => {
    const { events } = await readAll(sample('confluence-cloud/audit-records.ndjson'));
    expect(events[1]).toMatchObject({ 'atlassian.space.key': 'SC', 'atlassian.space.name': 'Service Catalogue' });
    expect(events[2]).toMatchObject({ 'event.action': 'group.member.added', 'user.kind': 'system', 'user.target.name': 'ASP' });
  });

  it('organization audit event', async () => {
    const { events } = await readAll(sample('org-audit/event.json'));
    expect(events[0]).toMatchObject({
      'event.action': 'issue.viewed',
      'atlassian.product': 'org',
      'user.email': 'xyzabc@gmail.com',
      'source.ip': '91.225.122.155',
      'source.geo.country_name': 'Ukraine',
      'source.geo.city_name': 'Kyiv',
      'atlassian.issue.key': 'WEB-21003',
      'atlassian.site': 'https://gmail.atlassian.net',
      ref: { line: 1, index: 0 },
    });
  });

  it('Bitbucket Cloud push webhook and Forge events (no own time: delivery time = file mtime)', async () => {
    const push = await readAll(sample('bitbucket-cloud-webhook/repo-push.json'));
    expect(push.events[0]).toMatchObject({ 'event.action': 'repository.pushed', 'atlassian.repository.name': 'team_name/repo_name', 'user.name': 'emmap1' });
    const forge = await readAll(sample('forge-events/bitbucket.ndjson'));
    const mtime = Math.floor(fs.statSync(sample('forge-events/bitbucket.ndjson')).mtimeMs);
    expect(forge.events.map((e) => e['event.action'])).toEqual(['repository.created', 'repository.updated', 'repository.pushed', 'repository.deleted']);
    expect(forge.events[0]!['@timestamp']).toBe(mtime);
    expect(forge.events[0]!['user.id']).toBe('5ffed3379edf280075d75b20');
  });

  it('Bitbucket DC access log: git-upload-pack over ssh is a clone by username; i lines and anonymous status checks are skipped', async () => {
    const r = await readAll(sample('bitbucket-dc-access/atlassian-bitbucket-access.log'));
    expect(r.records).toBe(6);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({
      'event.action': 'repository.cloned',
      'user.name': 'username',
      'network.protocol': 'ssh',
      'atlassian.repository.name': 'FOO/bar',
      '@timestamp': Date.UTC(2015, 2, 2, 5, 54, 25, 425),
      ref: { line: 5 },
    });
  });
});
