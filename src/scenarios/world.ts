/**
 * The simulated organisation: people (with home country, time zone and usual IPs), Jira projects, Confluence
 * spaces and pages, and Bitbucket repositories. Built once from the seed; generators only read it.
 */
import { NameGenerator } from './names';
import type { Rng } from './rng';
import type { CloudLocation, CloudUser, ConfluencePage, ConfluenceSpace } from './formats/cloud';

export interface Country {
  readonly name: string;
  readonly region: string;
  readonly city: string;
  /** Hours east of UTC in November. */
  readonly utcOffset: number;
  /** First two octets of consumer address space in that country. */
  readonly prefixes: readonly string[];
}

const COUNTRIES: readonly Country[] = [
  {
    name: 'United States',
    region: 'California',
    city: 'San Francisco',
    utcOffset: -8,
    prefixes: ['73.92', '67.169', '98.207'],
  },
  {
    name: 'United States',
    region: 'Texas',
    city: 'Austin',
    utcOffset: -6,
    prefixes: ['70.121', '99.39', '24.28'],
  },
  {
    name: 'United Kingdom',
    region: 'England',
    city: 'London',
    utcOffset: 0,
    prefixes: ['86.145', '81.102', '92.40'],
  },
  {
    name: 'Portugal',
    region: 'Lisbon',
    city: 'Lisbon',
    utcOffset: 0,
    prefixes: ['85.240', '89.152', '94.60'],
  },
  {
    name: 'Germany',
    region: 'Bavaria',
    city: 'Munich',
    utcOffset: 1,
    prefixes: ['91.64', '87.150', '79.216'],
  },
  {
    name: 'Singapore',
    region: 'Singapore',
    city: 'Singapore',
    utcOffset: 8,
    prefixes: ['116.86', '118.200', '220.255'],
  },
];

export type Role = 'developer' | 'staff' | 'admin';

export interface Person {
  readonly username: string;
  readonly displayName: string;
  readonly email: string;
  readonly role: Role;
  readonly country: Country;
  /** Usual addresses: the first almost always, the second now and then. */
  readonly ips: readonly [string, string];
  readonly dcId: { jira: string; bitbucket: string };
  readonly cloud: CloudUser & { uuid: string };
  /** Repositories a developer works on. */
  readonly repos: readonly Repo[];
  readonly gitProtocol: 'ssh' | 'https';
  /** Day index (0 = Nov 1) from which the person works here; new hires start later. */
  readonly startDay: number;
}

export interface Repo {
  readonly project: string;
  readonly slug: string;
  readonly uuid: string;
  readonly projectUuid: string;
  /** Bitbucket Data Center numeric ids. */
  readonly id: string;
  readonly projectId: string;
  /** Typical zip archive size. */
  readonly bytes: number;
}

export interface JiraProject {
  readonly key: string;
  readonly id: string;
  readonly name: string;
  readonly issues: number;
}

export interface World {
  readonly people: readonly Person[];
  readonly admins: readonly Person[];
  readonly newHires: readonly Person[];
  readonly repos: readonly Repo[];
  readonly projects: readonly JiraProject[];
  readonly spaces: readonly ConfluenceSpace[];
  readonly pages: readonly ConfluencePage[];
}

const PROJECT_KEYS = [
  'ENG',
  'WEB',
  'API',
  'OPS',
  'SEC',
  'DATA',
  'MOB',
  'INFRA',
  'EDGE',
  'DOCS',
  'BILL',
  'ID',
];
const REPO_WORDS = [
  'gateway',
  'auth',
  'billing',
  'dashboard',
  'edge',
  'proxy',
  'worker',
  'config',
  'terraform',
  'helm-charts',
  'cli',
  'sdk-go',
  'sdk-js',
  'docs',
  'metrics',
  'alerts',
  'ci-templates',
  'infra',
  'dns',
  'cache',
  'queue',
  'scheduler',
  'search',
  'ui-kit',
  'mobile-app',
  'notifications',
  'ledger',
  'audit',
  'tunnel',
  'vpn-client',
];
const SPACES = [
  ['ENG', 'Engineering'],
  ['OPS', 'Operations'],
  ['SEC', 'Security'],
  ['HR', 'People'],
  ['PM', 'Product'],
  ['IT', 'IT Help'],
  ['SALES', 'Sales'],
  ['ARCH', 'Architecture'],
  ['ONB', 'Onboarding'],
  ['REL', 'Releases'],
] as const;
const PAGE_TOPICS = [
  'Sprint planning',
  'Release notes',
  'Onboarding checklist',
  'Architecture overview',
  'Runbook',
  'Postmortem',
  'Meeting notes',
  'Design review',
  'Roadmap',
  'Team charter',
  'On-call handbook',
  'Retro',
  'How-to',
  'FAQ',
  'Remote access setup',
  'VPN troubleshooting',
  'Service credentials rotation',
  'Tunnel configuration',
];

export function buildWorld(rng: Rng, noise: number, reserved: readonly string[]): World {
  const names = new NameGenerator(rng, reserved);

  const projects: JiraProject[] = PROJECT_KEYS.map((key, i) => ({
    key,
    id: String(10000 + i),
    name: `${key} project`,
    issues: rng.int(300, 9000),
  }));

  const repos: Repo[] = [];
  PROJECT_KEYS.forEach((key, p) => {
    const projectUuid = `{${rng.uuid()}}`;
    for (const word of rng.sample(REPO_WORDS, rng.int(10, 16))) {
      repos.push({
        project: key,
        slug: `${key.toLowerCase()}-${word}`,
        uuid: `{${rng.uuid()}}`,
        projectUuid,
        id: String(100 + repos.length),
        projectId: String(p + 1),
        bytes: rng.int(200_000, 90_000_000),
      });
    }
  });

  const people: Person[] = [];
  const total = Math.max(noise, 6);
  const hires = Math.min(6, Math.max(1, Math.floor(total / 30)));
  for (let i = 0; i < total; i++) {
    const n = names.next();
    const country = rng.pick(COUNTRIES);
    const role: Role = i < 4 ? 'admin' : rng.chance(0.55) ? 'developer' : 'staff';
    const ip = (): string => `${rng.pick(country.prefixes)}.${rng.int(1, 254)}.${rng.int(1, 254)}`;
    const accountId = rng.hex(24);
    const isHire = i >= total - hires;
    people.push({
      username: n.username,
      displayName: n.displayName,
      email: `${n.username}@example.com`,
      role,
      country,
      ips: [ip(), ip()],
      dcId: { jira: `JIRAUSER${10100 + i}`, bitbucket: String(200 + i) },
      cloud: {
        accountId,
        displayName: n.displayName,
        email: `${n.username}@example.com`,
        name: n.username,
        uuid: `{${rng.uuid()}}`,
      },
      repos: role === 'staff' ? [] : rng.sample(repos, rng.int(2, 4)),
      gitProtocol: rng.chance(0.6) ? 'ssh' : 'https',
      // New hires start on the Monday of week 2, 3 or 4 (Nov 6, 13, 20 are days 5, 12, 19).
      startDay: isHire ? rng.pick([5, 12, 19]) : 0,
    });
  }

  const spaces: ConfluenceSpace[] = SPACES.map(([key, name], i) => ({ id: 98300 + i * 7, key, name }));
  const pages: ConfluencePage[] = [];
  for (let i = 0; i < 900; i++) {
    const space = rng.pick(spaces);
    const author = rng.pick(people);
    pages.push({
      id: String(65000000 + i * 13),
      title: `${rng.pick(PAGE_TOPICS)} ${space.key}-${100 + i}`,
      space,
      createdBy: author.cloud,
      createdAt: Date.UTC(2021, 0, 1) + rng.int(0, 1000) * 86_400_000,
    });
  }

  return {
    people,
    admins: people.filter((p) => p.role === 'admin'),
    newHires: people.filter((p) => p.startDay > 0),
    repos,
    projects,
    spaces,
    pages,
  };
}

export function locationOf(p: Person, ip: string): CloudLocation {
  return { ip, countryName: p.country.name, regionName: p.country.region, city: p.country.city };
}
