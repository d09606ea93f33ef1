/**
 * Binds the hunt's ports to the real parser, engine and correlator modules.
 *
 * The modules are loaded with `require` at call time, not imported, so that a build of the CLI alone
 * (e.g. `bulkhead --help`) never pays for loading the engine, and so this package compiles while those
 * modules evolve: the shapes the hunt relies on are pinned in ports.ts and checked here at run time.
 */
import { expandInputs, readInput } from '../parsers';
import type { HuntDeps, IncidentCorrelator, RuleEngine } from './ports';

interface EngineModule {
  loadRules(dirs: readonly string[], lists?: unknown): unknown;
  loadLists(dirs: readonly string[], iocFiles: readonly string[]): unknown;
  Engine: new (cfg: { rules: unknown; lists: unknown }) => RuleEngine;
}
interface CorrelateModule {
  Correlator: new () => IncidentCorrelator;
}

function load<T>(id: string, what: string, check: (m: Record<string, unknown>) => boolean): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- bound at run time on purpose (see header)
  const m = require(id) as Record<string, unknown>;
  if (!check(m)) throw new Error(`internal: module ${id} does not export ${what}`);
  return m as T;
}

interface LoadErrorLike {
  file: string;
  path?: string;
  line?: number;
  message: string;
}

/** Load problems, each naming its file (and key path or line), as one error message. */
export class LoadErrors extends Error {
  override readonly name = 'LoadErrors';
  constructor(readonly errors: readonly LoadErrorLike[]) {
    super(
      errors
        .map((e) => {
          const where = e.line === undefined ? e.file : `${e.file}:${e.line}`;
          return e.path === undefined || e.path === '' ? `${where}: ${e.message}` : `${where}: ${e.path}: ${e.message}`;
        })
        .join('\n'),
    );
  }
}

/** The loaders return `{ <key>, errors }` and never throw for a bad file; a hunt with broken rules must stop. */
function unwrapLoad(loaded: unknown, key: 'rules' | 'lists'): unknown {
  if (typeof loaded !== 'object' || loaded === null || !(key in loaded)) return loaded;
  const l = loaded as Record<string, unknown>;
  const errors = Array.isArray(l.errors) ? (l.errors as LoadErrorLike[]) : [];
  if (errors.length > 0) throw new LoadErrors(errors);
  return l[key];
}

export function defaultHuntDeps(): HuntDeps {
  return {
    expandInputs,
    readInput,
    createEngine: async ({ ruleDirs, listDirs, iocFiles }) => {
      const m = load<EngineModule>(
        '../engine',
        'loadRules, loadLists and Engine',
        (x) => typeof x.loadRules === 'function' && typeof x.loadLists === 'function' && typeof x.Engine === 'function',
      );
      const lists = unwrapLoad(await m.loadLists(listDirs, iocFiles), 'lists');
      const rules = unwrapLoad(await m.loadRules(ruleDirs, lists), 'rules');
      return new m.Engine({ rules, lists });
    },
    createCorrelator: () =>
      new (load<CorrelateModule>('../correlate', 'Correlator', (m) => typeof m.Correlator === 'function').Correlator)(),
  };
}
