/** An in-memory ConsoleApi for component tests: records calls, lets a test push live changes. */
import type {
  ActionRecord,
  ChangeEvent,
  ConsoleApi,
  Incident,
  IncidentDetail,
  IncidentQuery,
  Readiness,
  SettingsView,
} from '../src/api';
import { ApiError, NotLoggedIn, summarize, touches } from '../src/api';

export function incident(id: string, over: Partial<Incident> = {}): Incident {
  return {
    id,
    status: 'open',
    severity: 'critical',
    title: `svc-${id}: known-bad indicator`,
    actor: { name: `svc-${id}`, kind: 'service' },
    identities: [
      {
        identity: { name: `svc-${id}`, kind: 'service' },
        relation: 'actor',
        '@timestamp': 1_700_000_000_000,
      },
    ],
    firstTimestamp: 1_700_000_000_000,
    lastTimestamp: 1_700_000_600_000,
    detections: [
      {
        id: `${id}-d1`,
        rule: {
          id: 'ioc-ip-activity',
          title: 'Activity from a published attacker address',
          severity: 'critical',
          category: 'ioc',
          attack: ['T1078'],
        },
        severity: 'critical',
        '@timestamp': 1_700_000_600_000,
        firstTimestamp: 1_700_000_000_000,
        actor: { name: `svc-${id}`, kind: 'service' },
        summary: 'svc acted from 193.142.58.126',
        evidenceCount: 2,
        events: [
          {
            '@timestamp': 1_700_000_000_000,
            'event.action': 'repository.cloned',
            'atlassian.product': 'bitbucket',
            'user.name': `svc-${id}`,
            targets: [{ kind: 'repository', name: 'OPS/ops-vpn-client' }],
          },
          {
            '@timestamp': 1_700_000_600_000,
            'event.action': 'page.viewed',
            'atlassian.product': 'confluence',
            'user.name': `svc-${id}`,
            'atlassian.space.key': 'ENG',
          },
        ],
      },
    ],
    timeline: [],
    ...over,
  };
}

export function action(id: string, incidentId: string, state: ActionRecord['state']): ActionRecord {
  return {
    id,
    incidentId,
    action: {
      kind: 'remove-from-group',
      group: 'jira-administrators',
      product: 'jira',
      identity: { name: 'svc-a', kind: 'service' },
    },
    state,
    reason: 'critical incident',
    at: 1_700_000_700_000,
  };
}

export interface FakeApi extends ConsoleApi {
  incidents: Incident[];
  actions: ActionRecord[];
  settings: SettingsView;
  readinessResult: Readiness;
  calls: { name: string; args: unknown[] }[];
  loggedIn: boolean;
  failList?: Error;
  emit(e: ChangeEvent): void;
}

export function fakeApi(over: Partial<FakeApi> = {}): FakeApi {
  const listeners = new Set<(e: ChangeEvent) => void>();
  const api: FakeApi = {
    kind: 'http',
    incidents: [],
    actions: [],
    calls: [],
    loggedIn: true,
    settings: {
      rules: {
        'admin-group-member-added': { enabled: true, dryRun: false, allowList: [] },
        'bulk-page-reads': {
          enabled: true,
          dryRun: false,
          allowList: ['backup-bot'],
          threshold: 50,
          defaultThreshold: 50,
        },
      },
      response: {
        minSeverity: 'critical',
        actions: ['remove-from-admin-groups'],
        allowList: ['bulkhead'],
        maxPerHour: 20,
      },
      secrets: { 'containment.products[0].token': { set: true }, 'notify.slack.webhook': { set: false } },
    },
    readinessResult: {
      ready: false,
      checks: [
        { kind: 'source', name: 'jira audit log /var/log', ok: true, why: 'reading' },
        { kind: 'action', name: 'suspend-account on bitbucket', ok: false, why: 'Bitbucket cannot suspend' },
      ],
    },
    async session() {
      api.calls.push({ name: 'session', args: [] });
      if (!api.loggedIn) throw new NotLoggedIn();
      return { username: 'admin' };
    },
    async login(username, password) {
      api.calls.push({ name: 'login', args: [username, password] });
      if (password !== 'right') throw new Error('wrong username or password');
      api.loggedIn = true;
      return { username };
    },
    async logout() {
      api.loggedIn = false;
    },
    async listIncidents(q: IncidentQuery) {
      api.calls.push({ name: 'listIncidents', args: [q] });
      if (api.failList) throw api.failList;
      const hits = api.incidents.filter(
        (i) => (q.scope ? touches(i, q.scope) : true) && (!q.status || q.status.includes(i.status)),
      );
      return {
        total: hits.length,
        offset: q.offset ?? 0,
        limit: q.limit ?? 50,
        incidents: hits.map((i) =>
          summarize(
            i,
            api.actions.filter((a) => a.incidentId === i.id),
          ),
        ),
      };
    },
    async getIncident(id: string): Promise<IncidentDetail> {
      const i = api.incidents.find((x) => x.id === id);
      if (!i) throw new Error(`no incident ${id}`);
      return {
        incident: i,
        actions: api.actions.filter((a) => a.incidentId === id),
        notifications: [],
        history: [],
      };
    },
    async setStatus(id, status, note) {
      api.calls.push({ name: 'setStatus', args: [id, status, note] });
      api.incidents = api.incidents.map((i) => (i.id === id ? { ...i, status } : i));
      const d = await api.getIncident(id);
      return { ...d, history: [{ status, note, by: 'admin', at: 1_700_000_800_000 }] };
    },
    async undo(id) {
      api.calls.push({ name: 'undo', args: [id] });
      api.actions = api.actions.map((a) =>
        a.id === id ? { ...a, state: 'undone', result: 'added back', by: 'admin' } : a,
      );
      return api.actions.find((a) => a.id === id) as ActionRecord;
    },
    async approve(id) {
      api.calls.push({ name: 'approve', args: [id] });
      api.actions = api.actions.map((a) => (a.id === id ? { ...a, state: 'done', by: 'admin' } : a));
      return api.actions.find((a) => a.id === id) as ActionRecord;
    },
    async retry(id) {
      api.calls.push({ name: 'retry', args: [id] });
      api.actions = api.actions.map((a) => (a.id === id ? { ...a, state: 'done', by: 'admin' } : a));
      return api.actions.find((a) => a.id === id) as ActionRecord;
    },
    async getSettings() {
      return structuredClone(api.settings);
    },
    async putSettings(s) {
      api.calls.push({ name: 'putSettings', args: [structuredClone(s)] });
      // As the service: a threshold only for rules that have one, a whole number ≥ 1; omitted keeps the current
      // one; defaultThreshold is the rule file's and not taken from the request.
      const rules: SettingsView['rules'] = {};
      for (const [id, r] of Object.entries(s.rules)) {
        const before = api.settings.rules[id];
        const field = `rules.${id}.threshold`;
        if (r.threshold !== undefined && before?.defaultThreshold === undefined)
          throw new ApiError(400, 'invalid', `${field}: this rule has no threshold`, field);
        if (r.threshold !== undefined && !(Number.isInteger(r.threshold) && r.threshold >= 1))
          throw new ApiError(400, 'invalid', `${field}: must be a whole number, 1 or more`, field);
        const { defaultThreshold: _ignored, ...sent } = structuredClone(r) as typeof r & {
          defaultThreshold?: number;
        };
        rules[id] =
          before?.defaultThreshold !== undefined
            ? { ...sent, threshold: sent.threshold ?? before.threshold, defaultThreshold: before.defaultThreshold }
            : sent;
      }
      api.settings = { rules, response: structuredClone(s.response), secrets: api.settings.secrets };
      return structuredClone(api.settings);
    },
    async readiness() {
      return api.readinessResult;
    },
    async exportIncidents(format) {
      return { href: `api/export/incidents.${format}` };
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit(e) {
      for (const l of listeners) l(e);
    },
    ...over,
  };
  return api;
}
