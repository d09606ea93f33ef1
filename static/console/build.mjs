// Builds the console into build/: index.html, assets/app.js, assets/app.css (Atlaskit's extracted styles, in
// Compiled's order) and assets/themes.css (design tokens, light and dark). Every path in index.html is
// relative, so the same folder works at the service's `/` and inside a Forge Custom UI iframe. No inline
// script or style anywhere (the service's CSP is default-src 'self').
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const out = path.join(here, 'build');
const dev = process.argv.includes('--dev');

rmSync(out, { recursive: true, force: true });
mkdirSync(path.join(out, 'assets'), { recursive: true });

await build({
  entryPoints: { app: path.join(here, 'src/main.tsx') },
  bundle: true,
  outdir: path.join(out, 'assets'),
  // ES modules with splitting: @forge/bridge is a separate chunk, loaded only inside a Forge iframe (it throws
  // at import time anywhere else).
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  minify: !dev,
  sourcemap: dev ? 'inline' : false,
  legalComments: 'none',
  jsx: 'automatic',
  define: {
    'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production'),
    'process.env.CI': 'false',
    global: 'globalThis',
  },
  loader: { '.css': 'css', '.svg': 'dataurl', '.png': 'dataurl', '.woff2': 'file' },
  logLevel: 'warning',
});

// Compiled's atomic rules come from many *.compiled.css files; concatenated they would lose the order Compiled
// relies on (shorthands before longhands, :hover after :focus, @media last). Sort them as its extractor does.
const { sort } = require('@compiled/css');
const cssFile = path.join(out, 'assets', 'app.css');
// CSS imported by lazily loaded chunks is emitted beside them and would never be loaded: fold it into app.css.
const chunkDir = path.join(out, 'assets', 'chunks');
let css = readFileSync(cssFile, 'utf8');
for (const f of readdirSync(chunkDir).filter((f) => f.endsWith('.css'))) {
  css += `\n${readFileSync(path.join(chunkDir, f), 'utf8')}`;
  rmSync(path.join(chunkDir, f));
}
const sorted = sort(css);
writeFileSync(cssFile, typeof sorted === 'string' ? sorted : sorted.css);

// Design tokens as static CSS, selected by <html data-theme data-color-mode> (src/theme.ts).
const themes = [
  'atlassian-light',
  'atlassian-dark',
  'atlassian-spacing',
  'atlassian-typography',
  'atlassian-shape',
];
const themeCss = themes
  .map((t) => require(`@atlaskit/tokens/dist/cjs/artifacts/themes/${t}.js`).default)
  .join('\n');
writeFileSync(path.join(out, 'assets', 'themes.css'), themeCss);

writeFileSync(
  path.join(out, 'assets', 'favicon.svg'),
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M2 2h12v8l-6 4-6-4z" fill="#0c66e4"/></svg>\n',
);
writeFileSync(
  path.join(out, 'index.html'),
  `<!doctype html>
<html lang="en" data-theme="light:light dark:dark spacing:spacing typography:typography shape:shape" data-color-mode="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="bulkhead-console">
<title>Bulkhead console</title>
<link rel="stylesheet" href="./assets/themes.css">
<link rel="stylesheet" href="./assets/app.css">
<link rel="icon" href="./assets/favicon.svg" type="image/svg+xml">
<script type="module" src="./assets/app.js"></script>
</head>
<body>
<div id="root"><p>Loading the Bulkhead console…</p></div>
<noscript>The Bulkhead console needs JavaScript.</noscript>
</body>
</html>
`,
);
console.log(`console built into ${path.relative(process.cwd(), out) || '.'}`);
