#!/usr/bin/env node
/**
 * Offline Forge lint: the client-side linters of the real @forge/lint (the checks `forge lint` runs before
 * its server-side pass) over manifest.yml and the Forge code, with no login and no network
 * (../../../shared/reference/forge-platform.md §C.3). The permission linter's REST specs come from
 * ../shared/forge-swagger (Jira platform, Bitbucket); the ones not available offline (Jira Software, JSM,
 * Confluence v1 and v2) are empty `{"paths":{}}` stand-ins in a temp folder, so Confluence scopes are not
 * checked here (the manifest comments justify them by hand).
 *
 *   npm install --ignore-scripts --prefix tools/forge-lint   # once (keytar cannot build here)
 *   node tools/forge-lint/run.js [appRoot]                    # exit 1 on any error; prints the counts
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const appRoot = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..'));
const swaggerDir = process.env.FORGE_SWAGGER_DIR ?? path.resolve(appRoot, '..', 'shared', 'forge-swagger');

// Everything the linter or its CLI library might cache or record goes to a throw-away home.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-forge-lint-'));
process.env.HOME = tmp;
process.env.XDG_CONFIG_HOME = path.join(tmp, 'config');
process.env.XDG_CACHE_HOME = path.join(tmp, 'cache');
process.env.FORGE_DISABLE_ANALYTICS = '1';

function spec(name) {
  const real = path.join(swaggerDir, name);
  if (fs.existsSync(real)) return real;
  const stand = path.join(tmp, name);
  fs.writeFileSync(stand, '{"paths":{}}');
  return stand;
}
process.env.USE_LOCAL_SWAGGER = '1';
process.env.LOCAL_JIRA_SWAGGER = spec('jira-platform.json');
process.env.LOCAL_BB_SWAGGER = spec('bitbucket.json');
process.env.LOCAL_JSM_SWAGGER = spec('jira-service-management.json');
process.env.LOCAL_JSW_SWAGGER = spec('jira-software.json');
process.env.LOCAL_CONF_SWAGGER = spec('confluence.json');
process.env.LOCAL_CONF_V2_SWAGGER = spec('confluence-v2.json');

/** The files Forge bundles for our handlers: src/forge and what it imports inside src/. */
function sourceFiles() {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|tsx|js)$/.test(e.name) && !/\.d\.ts$/.test(e.name)) out.push(p);
    }
  };
  walk(path.join(appRoot, 'src', 'forge'));
  return out.sort();
}

async function main() {
  const { lint, problemCount, reportLintResults } = require('@forge/lint');
  const { ConfigFile, FileSystemReader, FileSystemWriter } = require('@forge/cli-shared');
  // @forge/lint parses a TypeScript file only when tsconfig.json's `include` lists that very file (a folder
  // entry such as "src" matches nothing), so with our tsconfig it would skip every file and report "No issues
  // found". It lints a staged copy instead: manifest.yml and src/, without a tsconfig.json.
  const stage = path.join(tmp, 'app');
  fs.mkdirSync(stage);
  fs.copyFileSync(path.join(appRoot, 'manifest.yml'), path.join(stage, 'manifest.yml'));
  fs.cpSync(path.join(appRoot, 'src'), path.join(stage, 'src'), { recursive: true });
  // Resource folders (the console's build, another issue's output): copied when built, else a stand-in page,
  // said so, so this check does not depend on the UI having been built first. `forge deploy` needs the real one.
  const manifestText = fs.readFileSync(path.join(appRoot, 'manifest.yml'), 'utf8');
  for (const m of manifestText.matchAll(/^\s+path:\s*(static\/\S+)\s*$/gm)) {
    const rel = m[1];
    const from = path.join(appRoot, rel);
    const to = path.join(stage, rel);
    if (fs.existsSync(path.join(from, 'index.html'))) fs.cpSync(from, to, { recursive: true });
    else {
      fs.mkdirSync(to, { recursive: true });
      fs.writeFileSync(path.join(to, 'index.html'), '<!doctype html><title>stand-in</title>');
      console.log(`forge-lint: ${rel} is not built; linted against a stand-in index.html`);
    }
  }
  const cwd = process.cwd();
  process.chdir(stage); // the manifest reader and the handler linter resolve paths from the app root
  let results;
  try {
    const manifest = await new ConfigFile(new FileSystemReader(), new FileSystemWriter()).readConfig();
    const logger = { info: (line) => console.log(line) };
    const statsig = { getDeprecatedRuntimes: async () => [] };
    const files = sourceFiles().map((f) => path.relative(appRoot, f));
    results = await lint(files, manifest, 'development', logger, statsig, { linter: { mode: 'client-side' } });
    reportLintResults(logger, results, true);
    const count = problemCount(results);
    console.log(`forge-lint: ${files.length} files, ${count.errors} error(s), ${count.warnings} warning(s)`);
    process.exitCode = count.errors > 0 ? 1 : 0;
  } finally {
    process.chdir(cwd);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`forge-lint failed: ${err && err.stack ? err.stack : err}`);
  process.exitCode = 2;
});
