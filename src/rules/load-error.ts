/** A problem found while loading a rule, list or IOC file: where (file, key path or line) and why. */
export interface LoadError {
  readonly file: string;
  /** The key path inside the file, dotted: `detection.selection.user.name|startswith`, `aggregate.window`. */
  readonly path?: string;
  /** 1-based line, for line-oriented files (IOC lists) and YAML syntax errors. */
  readonly line?: number;
  readonly message: string;
}

export type RuleLoadError = LoadError;

export function formatLoadError(e: LoadError): string {
  const where = e.line !== undefined ? `${e.file}:${e.line}` : e.file;
  return e.path ? `${where}: ${e.path}: ${e.message}` : `${where}: ${e.message}`;
}

/** Zod issue paths (`['detection', 'selection', 'user.name|startswith']`) as one dotted string. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}
