#!/usr/bin/env node
'use strict';
// `npm test`: runs jest, then prints the plain closing line CI reads, "N passed, N failed", as the very last
// line of the output. A jest reporter cannot promise that: jest writes its own summary to stderr after the
// reporters, and the two streams interleave. Extra arguments go to jest (`npm test -- test/parsers`).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
fs.mkdirSync(path.join(root, '.tmp'), { recursive: true });
const jestBin = require.resolve('jest/bin/jest');
const args = process.argv.slice(2);

/** Runs one jest project and returns its counts (a suite that fails to load counts as a failure). */
function runJest(cwd, bin, extra) {
  const file = path.join(root, '.tmp', `jest-results-${process.pid}-${path.basename(cwd)}.json`);
  const r = spawnSync(process.execPath, [bin, '--json', `--outputFile=${file}`, ...extra], { cwd, stdio: 'inherit' });
  let passed = 0;
  let failed = 0;
  try {
    const results = JSON.parse(fs.readFileSync(file, 'utf8'));
    passed = results.numPassedTests;
    failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    fs.rmSync(file, { force: true });
  } catch {
    failed = Math.max(failed, 1);
  }
  const code = r.status ?? 1;
  if (code !== 0 && failed === 0) failed = 1;
  return { passed, failed, code };
}

const runs = [runJest(root, jestBin, args)];
// The console's component tests live in its own package (static/console, React + jsdom); they run with the
// rest when no particular tests were asked for and its dependencies are installed (scripts/ensure-ready.js).
const consoleDir = path.join(root, 'static', 'console');
const consoleJest = path.join(consoleDir, 'node_modules', 'jest', 'bin', 'jest.js');
if (args.length === 0 && fs.existsSync(consoleJest)) runs.push(runJest(consoleDir, consoleJest, []));
const passed = runs.reduce((n, r) => n + r.passed, 0);
const failed = runs.reduce((n, r) => n + r.failed, 0);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(runs.some((r) => r.code !== 0) ? 1 : 0);
