/**
 * From the configuration to what the pipeline reads: the tailed audit and access log folders, the spool
 * folders of the audit REST pollers, and the rules and lists. Everything a bad configuration can get wrong
 * (a rule that does not load, an IOC file that is missing) is reported here at start, naming the file.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadLists, loadRules, type LoadError } from '../engine';
import { builtinListsDir, builtinRulesDir } from '../hunt/paths';
import type { ListSet } from '../lists/list-set';
import type { CompiledRule } from '../rules/compiled';
import { AuditRestPoller, spoolPattern } from './audit-rest-poller';
import type { ServeConfig } from './config';
import type { PipelineSource } from './pipeline';

export interface ResolvedSources {
  readonly sources: PipelineSource[];
  readonly restPollers: { poller: AuditRestPoller; everyMs: number; name: string }[];
  readonly timezone: string | undefined;
}

export function resolveSources(config: ServeConfig, secrets: ReadonlyMap<string, string>): ResolvedSources {
  const s = config.sources;
  const sources: PipelineSource[] = s.auditLogs.map((a) => ({
    dir: a.dir,
    match: new RegExp(a.match),
    product: a.product,
  }));
  if (s.accessLog)
    sources.push({ dir: s.accessLog.dir, match: new RegExp(s.accessLog.match), product: 'bitbucket' });
  const spoolDir = path.join(path.dirname(path.resolve(config.state.sqlite)), 'audit-rest-spool');
  if (s.auditRest.length > 0) mkdirSync(spoolDir, { recursive: true });
  const restPollers = s.auditRest.map((r, i) => {
    sources.push({ dir: spoolDir, match: spoolPattern(r.product), product: r.product });
    return {
      name: `${r.product} audit REST (${new URL(r.baseUrl).host})`,
      everyMs: r.pollSeconds * 1000,
      poller: new AuditRestPoller({
        source: {
          product: r.product,
          baseUrl: r.baseUrl,
          token: secrets.get(`sources.auditRest[${i}].token`) ?? '',
        },
        spoolDir,
      }),
    };
  });
  return { sources, restPollers, timezone: s.accessLog?.timezone };
}

export type LoadedRules =
  { ok: true; rules: CompiledRule[]; lists: ListSet } | { ok: false; errors: LoadError[] };

/** The built-in rules and lists plus the configured ones; any problem refuses the start. */
export function loadConfiguredRules(config: ServeConfig): LoadedRules {
  const lists = loadLists([builtinListsDir(), ...config.rules.lists], config.rules.ioc);
  if (lists.errors.length > 0) return { ok: false, errors: lists.errors };
  const rules = loadRules([builtinRulesDir(), ...config.rules.dirs], lists.lists);
  if (rules.errors.length > 0) return { ok: false, errors: rules.errors };
  return { ok: true, rules: rules.rules, lists: lists.lists };
}
