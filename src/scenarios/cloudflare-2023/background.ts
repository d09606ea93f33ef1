/**
 * Ordinary work, Nov 1-24 2023: people logging in, reading, searching, cloning and pushing in their own
 * working hours; a CI account fetching every hour; admins onboarding new hires, creating a token now and then,
 * installing a Gantt app once and updating a permission scheme. Nothing here is what a security team would
 * rightly call high-risk: no admin-group changes, no mass downloads.
 */
import type { Rng } from '../rng';
import type { Origin, Platform } from '../platform';
import { locationOf, type Person, type World } from '../world';
import { BAMBOO, BAMBOO_HOME } from './actors';

const MIN = 60_000;
const HOUR = 3_600_000;
export const NOV1 = Date.UTC(2023, 10, 1);
export const DAYS = 24;

/** What people at work search for: no credential or remote-access term among them (the Forge scenario's
 *  background searches the same words). */
export const ORDINARY_SEARCHES: readonly string[] = [
  'sprint planning',
  'release notes',
  'onboarding',
  'retro',
  'roadmap',
  'postmortem',
  'on-call',
  'design review',
  'expense policy',
  'holiday calendar',
  'architecture',
  'runbook',
  'team charter',
  'quarterly goals',
  'meeting notes',
];

function origin(p: Person, rng: Rng): Origin {
  const ip = rng.chance(0.04) ? p.ips[1] : p.ips[0];
  return { ip, location: locationOf(p, ip) };
}

/** UTC epoch ms of `localMinutes` after local midnight of day `d` for someone `offset` hours east of UTC. */
const localTime = (d: number, offset: number, localMinutes: number): number =>
  NOV1 + d * 86_400_000 + localMinutes * MIN - offset * HOUR;

export function backgroundDay(p: Platform, world: World, rng: Rng, d: number): void {
  const dow = new Date(NOV1 + d * 86_400_000).getUTCDay();
  const weekday = dow !== 0 && dow !== 6;

  // CI: every hour, every day.
  if (p.kind === 'dc') {
    const ciRepos = world.repos.slice(0, 24);
    for (let h = 0; h < 24; h++) {
      for (const repo of rng.sample(ciRepos, rng.int(3, 5))) {
        p.clone(
          BAMBOO,
          NOV1 + d * 86_400_000 + h * HOUR + rng.int(0, 3_500) * 1000,
          BAMBOO_HOME,
          repo,
          'ssh',
        );
      }
    }
  }
  if (!weekday) return;

  for (const person of world.people) {
    if (person.startDay > d) continue;
    if (rng.chance(0.06)) continue; // out of office
    workday(p, world, rng, person, d);
  }
  adminWork(p, world, rng, d);
}

function workday(p: Platform, world: World, rng: Rng, person: Person, d: number): void {
  const start = localTime(d, person.country.utcOffset, 8 * 60 + rng.int(15, 90));
  const span = rng.int(7, 9) * HOUR;
  const when = (): number => start + 2 * MIN + rng.int(0, span);
  const o = origin(person, rng);

  if (rng.chance(0.03)) {
    // A typo or two before the password manager fills it in.
    const misses = rng.int(1, 3);
    for (let i = 0; i < misses; i++) p.loginFailed(person, start - (misses - i) * rng.int(8, 40) * 1000, o);
  }
  p.login(person, start, o);

  for (let i = rng.int(0, 4); i > 0; i--) p.search(person, when(), o, rng.pick(ORDINARY_SEARCHES));
  if (p.kind === 'cloud') {
    for (let i = rng.int(5, 40); i > 0; i--) p.pageViewed(person, when(), o, rng.pick(world.pages));
    for (let i = rng.int(3, 15); i > 0; i--) {
      const proj = rng.pick(world.projects);
      p.issueViewed(person, when(), o, proj, rng.int(1, proj.issues));
    }
  }
  if (person.role !== 'staff' && person.repos.length > 0) {
    for (let i = rng.int(1, 5); i > 0; i--)
      p.clone(person, when(), o, rng.pick(person.repos), person.gitProtocol);
    for (let i = rng.int(0, 3); i > 0; i--)
      p.push(person, when(), o, rng.pick(person.repos), person.gitProtocol);
    for (let i = rng.int(0, 4); i > 0; i--) p.repoViewed(person, when(), o, rng.pick(person.repos));
  }
}

function adminWork(p: Platform, world: World, rng: Rng, d: number): void {
  const admins = world.admins;
  const admin = (i: number): Person => admins[i % admins.length] as Person;
  const morning = (a: Person): number => localTime(d, a.country.utcOffset, 9 * 60 + rng.int(0, 90));

  // Onboarding: new hires are created on their first morning and put into the ordinary groups.
  for (const hire of world.newHires) {
    if (hire.startDay !== d) continue;
    const a = admin(0);
    const o = origin(a, rng);
    // Admins' mornings are never before 01:00 UTC, so the records stay inside the day being generated.
    let t = morning(a);
    p.userCreated(a, t, o, hire);
    const groups =
      p.kind === 'dc'
        ? ['jira-software-users', 'confluence-users', 'stash-users']
        : ['jira-software-users', 'confluence-users'];
    for (const g of groups) {
      t += rng.int(30, 180) * 1000;
      p.addedToGroup(a, t, o, hire, g);
    }
  }

  if (d === 2 || d === 13 || d === 16) {
    const dev = world.people.find((x, i) => x.role === 'developer' && i % 7 === d % 7) ?? admin(1);
    p.tokenCreated(
      dev,
      morning(dev) + 3 * HOUR,
      origin(dev, rng),
      d === 2 ? 'ci-release-script' : `laptop-${d}`,
    );
  }
  if (d === 7) {
    const a = admin(1);
    p.appInstalled(a, morning(a), origin(a, rng), {
      key: 'eu.softwareplant.biggantt',
      name: 'BigGantt - Gantt Chart for Jira',
      version: '8.6.2',
    });
  }
  if (d === 8 || d === 20) {
    const a = admin(2);
    p.permissionSchemeUpdated(a, morning(a) + HOUR, origin(a, rng), 'Default software scheme');
  }
  if (d === 9) {
    const a = admin(3);
    const space = world.spaces.find((s) => s.key === 'REL') ?? world.spaces[0];
    if (space) p.spacePermissionAdded(a, morning(a), origin(a, rng), space, 'confluence-users', 'VIEWSPACE');
  }
}
