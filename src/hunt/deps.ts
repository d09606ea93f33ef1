/**
 * Binds the hunt's ports to the real parser, engine and correlator modules.
 *
 * The correlator is loaded with `require` when the hunt starts rather than imported: it was written in
 * parallel with this module, and binding it at run time (shape checked here) kept the hunt compiling and
 * testable while it landed.
 */
import { Engine, formatLoadError, loadLists, loadRules, type LoadError } from '../engine';
import { expandInputs, readInput } from '../parsers';
import type { HuntDeps, IncidentCorrelator } from './ports';

interface CorrelateModule {
  Correlator: new () => IncidentCorrelator;
}

/** Load problems, each naming its file (and key path or line), as one error. */
export class LoadErrors extends Error {
  override readonly name = 'LoadErrors';
  constructor(readonly errors: readonly LoadError[]) {
    super(errors.map(formatLoadError).join('\n'));
  }
}

export function defaultHuntDeps(): HuntDeps {
  return {
    expandInputs,
    readInput,
    createEngine: ({ ruleDirs, listDirs, iocFiles }) => {
      // The loaders never throw for a bad file; they collect every problem. A hunt with a broken rule or
      // list must not run with a silently smaller rule set, so any problem stops it.
      const lists = loadLists(listDirs, iocFiles);
      if (lists.errors.length > 0) throw new LoadErrors(lists.errors);
      const rules = loadRules(ruleDirs, lists.lists);
      if (rules.errors.length > 0) throw new LoadErrors(rules.errors);
      return Promise.resolve(new Engine({ rules: rules.rules, lists: lists.lists }));
    },
    createCorrelator: () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- bound at run time on purpose (see header)
      const m = require('../correlate') as Partial<CorrelateModule>;
      if (typeof m.Correlator !== 'function')
        throw new Error('internal: src/correlate exports no Correlator');
      return new m.Correlator();
    },
  };
}
