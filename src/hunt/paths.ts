import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The package root: the nearest ancestor holding package.json. Found by walking up rather than by a fixed
 * `../..` so the built-in rules resolve the same from src/ (tests, ts-node) and from dist/ (the CLI).
 */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
}

export const builtinRulesDir = (): string => path.join(packageRoot(), 'rules');
export const builtinListsDir = (): string => path.join(packageRoot(), 'lists');
