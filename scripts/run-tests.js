#!/usr/bin/env node
'use strict';
// `npm test`: runs jest, then prints the plain closing line CI reads, "N passed, N failed", as the very last
// line of the output. A jest reporter cannot promise that: jest writes its own summary to stderr after the
// reporters, and the two streams interleave. Extra arguments go to jest (`npm test -- test/parsers`).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, '.tmp', `jest-results-${process.pid}.json`);
fs.mkdirSync(path.dirname(out), { recursive: true });
const jest = require.resolve('jest/bin/jest');
const r = spawnSync(process.execPath, [jest, '--json', `--outputFile=${out}`, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
let passed = 0;
let failed = 0;
try {
  const results = JSON.parse(fs.readFileSync(out, 'utf8'));
  passed = results.numPassedTests;
  // A suite that fails to load has no test results of its own; count it as a failure, never as nothing.
  failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
  fs.rmSync(out, { force: true });
} catch {
  failed = Math.max(failed, 1);
}
const code = r.status ?? 1;
if (code !== 0 && failed === 0) failed = 1;
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(code);
