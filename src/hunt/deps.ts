/** Binds the hunt's ports to the real parsers, rule engine and correlator. */
import { Correlator } from '../correlate';
import { Engine, formatLoadError, loadLists, loadRules, type LoadError } from '../engine';
import { expandInputs, readInput } from '../parsers';
import type { HuntDeps } from './ports';

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
    createCorrelator: () => new Correlator(),
  };
}
