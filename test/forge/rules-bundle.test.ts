/** The Forge bundle's rules and lists are exactly rules/ and lists/, compiled the same way. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadLists, loadRules } from '../../src/engine';
import { buildRulesBundle, ruleSetFromBundle, type RulesBundle } from '../../src/forge/rules-bundle';

const ROOT = path.join(__dirname, '..', '..');
const FILE = path.join(ROOT, 'src', 'forge', 'generated', 'builtin-rules.json');

test('src/forge/generated/builtin-rules.json matches rules/ and lists/ (UPDATE_FORGE_RULES=1 rewrites it)', () => {
  const fresh = buildRulesBundle(ROOT);
  if (process.env['UPDATE_FORGE_RULES'] === '1') {
    writeFileSync(FILE, JSON.stringify(fresh));
    // Formatted like the rest of the repository (prettier cannot be imported inside jest).
    execFileSync(process.execPath, [
      path.join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'),
      '--write',
      FILE,
    ]);
  }
  const committed = JSON.parse(readFileSync(FILE, 'utf8')) as RulesBundle;
  expect(committed).toEqual(JSON.parse(JSON.stringify(fresh)));
});

test('the bundle compiles to the rules and lists the file loaders give', () => {
  const committed = JSON.parse(readFileSync(FILE, 'utf8')) as RulesBundle;
  const fromBundle = ruleSetFromBundle(committed);
  const lists = loadLists([path.join(ROOT, 'lists')]).lists;
  const fromFiles = loadRules([path.join(ROOT, 'rules')], lists).rules;
  expect(fromBundle.rules.map((r) => r.id).sort()).toEqual(fromFiles.map((r) => r.id).sort());
  expect(fromBundle.lists.names().sort()).toEqual(lists.names().sort());
  expect(fromBundle.rules.length).toBeGreaterThan(50);
});
