#!/usr/bin/env node
'use strict';
// Makes `npm start` and `npm test` work on a fresh clone: installs dependencies when they are missing or
// older than package-lock.json, then compiles TypeScript when any source is newer than the build.
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const mtime = (p) => { try { return fs.statSync(p).mtimeMs; } catch { return 0; } };

const marker = path.join(root, 'node_modules', '.package-lock.json');
if (mtime(marker) === 0 || mtime(path.join(root, 'package-lock.json')) > mtime(marker)) {
  process.stderr.write('bulkhead: installing dependencies (npm install)...\n');
  run('npm install --no-audit --no-fund');
}

function newest(dir) {
  let max = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(p) : mtime(p));
  }
  return max;
}
const stamp = path.join(root, 'dist', '.build-stamp');
if (newest(path.join(root, 'src')) > mtime(stamp) || mtime(path.join(root, 'tsconfig.json')) > mtime(stamp)) {
  process.stderr.write('bulkhead: compiling TypeScript...\n');
  run('npx tsc -p tsconfig.build.json');
  fs.writeFileSync(stamp, new Date().toISOString());
}

// The admin console (static/console, its own package: React + Atlaskit, built by esbuild). The service serves
// its build when present; without it, a small built-in page. Built here so `npm start` shows the real console
// and `npm test` can drive it in a browser.
const consoleDir = path.join(root, 'static', 'console');
const consoleMarker = path.join(consoleDir, 'node_modules', '.package-lock.json');
if (mtime(consoleMarker) === 0 || mtime(path.join(consoleDir, 'package-lock.json')) > mtime(consoleMarker)) {
  process.stderr.write('bulkhead: installing the console\'s dependencies (static/console)...\n');
  run('npm install --prefix static/console --no-audit --no-fund');
}
const consoleStamp = path.join(consoleDir, 'build', 'index.html');
if (newest(path.join(consoleDir, 'src')) > mtime(consoleStamp) || mtime(path.join(consoleDir, 'build.mjs')) > mtime(consoleStamp)) {
  process.stderr.write('bulkhead: building the console...\n');
  run('npm run build --prefix static/console');
}
