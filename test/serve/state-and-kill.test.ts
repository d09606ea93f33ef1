/**
 * The self-hosted state (SQLite) and the ingestion loop: commits are idempotent, a resumed pipeline continues
 * exactly, and a pipeline process killed with SIGKILL at random moments while its log is being written, and
 * started again each time, ends with exactly the detections of a run that was never interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadLists, loadRules } from '../../src/engine';
import { builtinListsDir, builtinRulesDir } from '../../src/hunt/paths';
import { simulateCloudflare2023 } from '../../src/scenarios';
import { replayUnits, type ReplayUnit } from '../../src/scenarios/replay';
import { Pipeline } from '../../src/serve/pipeline';
import { ServeState } from '../../src/serve/state';
import { ensureBuilt, REPO } from '../support/build';

const lists = loadLists([builtinListsDir()], []).lists;
const rules = loadRules([builtinRulesDir()], lists).rules;

let dir: string;
/** A simulated Cloudflare week (DC, 20 background users): every line of its audit and access logs, in the order
 *  the products would have written them (by event time; a line that makes no event goes with the next one of
 *  its file). Replayed into `live/` under the same file names. */
let units: ReplayUnit[];
/** The folders the pipeline follows under `live/`. */
const SOURCES = [
  { dir: 'jira/log/audit', match: '\\.audit\\.log$', product: 'jira' },
  { dir: 'confluence/log/audit', match: '\\.audit\\.log$', product: 'confluence' },
  { dir: 'bitbucket/log/audit', match: '\\.audit\\.log$', product: 'bitbucket' },
  { dir: 'bitbucket/log', match: '^atlassian-bitbucket-access.*\\.log$', product: 'bitbucket' },
] as const;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-serve-'));
  const sim = path.join(dir, 'sim');
  const manifest = await simulateCloudflare2023({ format: 'dc', outDir: sim, noise: 20, seed: 20231123 });
  units = replayUnits(manifest, sim);
  // The kill test runs the compiled pipeline.
  ensureBuilt('dist/serve/pipeline-main.js');
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The log folder, empty. Every run uses the same path: detection ids hash the evidence's file name. */
function liveDir(): string {
  const logs = path.join(dir, 'live');
  fs.rmSync(logs, { recursive: true, force: true });
  for (const s of SOURCES) fs.mkdirSync(path.join(logs, s.dir), { recursive: true });
  return logs;
}

const sources = (logs: string) =>
  SOURCES.map((s) => ({ dir: path.join(logs, s.dir), match: new RegExp(s.match), product: s.product }));

function writeAll(logs: string, upTo = units.length): void {
  for (const u of units.slice(0, upTo)) fs.appendFileSync(path.join(logs, u.file), u.text);
}

/** The detections of one uninterrupted run over the whole logs. */
async function reference(): Promise<string[]> {
  const logs = liveDir();
  writeAll(logs);
  const stateFile = path.join(dir, `ref-${Date.now()}.db`);
  // idleMs 0: every file is complete, none holds the watermark back.
  const p = Pipeline.open({ sources: sources(logs), stateFile, rules, lists, idleMs: 0 });
  while ((await p.step()).lines > 0);
  const ids = p.store.detectionIds();
  await p.close();
  return ids;
}

describe('ServeState', () => {
  it('stores a detection once however often it is committed, keeps the last resume point, drops merged incidents', async () => {
    const file = path.join(dir, 'unit.db');
    const logs = liveDir();
    writeAll(logs);
    const p = Pipeline.open({ sources: sources(logs), stateFile: file, rules, lists, idleMs: 0 });
    const r = await p.step();
    expect(r.lines).toBeGreaterThanOrEqual(units.length);
    expect(r.detections.length).toBeGreaterThan(0);
    await p.close();
    const s = new ServeState(file);
    const before = s.detectionIds();
    expect(before).toHaveLength(new Set(before).size);
    const resume = s.resume();
    s.commit({
      ...resume!,
      detections: r.detections.map((d) => ({ detection: d, incidentId: 'x' })),
      incidents: [],
      mergedAway: [],
    });
    expect(s.detectionIds()).toEqual(before);
    s.close();
  });
});

describe('Pipeline', () => {
  it('resumed from its state file, continues exactly as one that never stopped', async () => {
    const expected = await reference();
    const logs = liveDir();
    const stateFile = path.join(dir, 'resume-state.db');
    for (let i = 0; i < units.length; i += 700) {
      for (const u of units.slice(i, i + 700)) fs.appendFileSync(path.join(logs, u.file), u.text);
      // A clock that never moves: no file goes idle, so events wait for the watermark across restarts.
      const p = Pipeline.open({ sources: sources(logs), stateFile, rules, lists, now: () => 0 });
      await p.step();
      await p.close();
    }
    const last = Pipeline.open({ sources: sources(logs), stateFile, rules, lists, idleMs: 0 });
    await last.step();
    await last.close();
    const s = new ServeState(stateFile);
    expect(s.detectionIds()).toEqual(expected);
    s.close();
  });

  it('catching up on a backlog, reads no further in files past the others while many lines wait for the others, and gives the same detections', async () => {
    const expected = await reference();
    const run = async (maxWaiting: number) => {
      const logs = liveDir();
      writeAll(logs);
      const stateFile = path.join(dir, `backlog-${maxWaiting}-${Date.now()}.db`);
      // Small reads make the backlog take many polls; 100 ms a poll on the clock, so a day's file read to its
      // end goes idle after five polls (idleMs 500) as it would on a live host.
      const tail = { maxBytesPerPoll: 8192, maxLineBytes: 8191 };
      const opts = { sources: sources(logs), stateFile, rules, lists, tail, maxWaiting };
      let t = 0;
      const p = Pipeline.open({ ...opts, now: () => t });
      let most = 0;
      let widest = 0;
      // Until everything is read and processed: a poll that reads nothing may only mean the files not held
      // back are at their end, waiting to go idle.
      for (let polls = 0; polls < 100_000; polls++) {
        t += 100;
        const r = await p.step();
        most = Math.max(most, r.waiting);
        widest = Math.max(widest, r.lines);
        if (r.lines === 0 && r.waiting === 0) break;
      }
      await p.close();
      const last = Pipeline.open({ ...opts, idleMs: 0 });
      while ((await last.step()).lines > 0);
      const ids = last.store.detectionIds();
      await last.close();
      return { most, widest, ids };
    };
    const held = await run(100);
    const unheld = await run(Number.POSITIVE_INFINITY);
    expect(held.ids).toEqual(expected);
    expect(unheld.ids).toEqual(expected);
    // Past the bound, one poll adds at most what a poll of every file reads (8 KB each).
    expect(held.most).toBeLessThanOrEqual(100 + held.widest);
    expect(unheld.most).toBeGreaterThan(2 * held.most);
  });

  it('killed with SIGKILL at random moments while its log is written, loses no detection and raises none twice', async () => {
    const expected = await reference();
    expect(expected.length).toBeGreaterThan(10);
    const logs = liveDir();
    const stateFile = path.join(dir, 'kill-state.db');
    const stopFile = path.join(dir, 'kill-stop');
    const args = JSON.stringify({
      sources: SOURCES.map((s) => ({ ...s, dir: path.join(logs, s.dir) })),
      stateFile,
      stopFile,
      pollMs: 5,
      idleMs: 4_000,
    });
    const start = (): ChildProcess =>
      spawn(process.execPath, [path.join(REPO, 'dist/serve/pipeline-main.js'), args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    /** Resolves when the child has committed a poll (or exited). */
    const committed = (c: ChildProcess) =>
      new Promise<void>((r) => {
        c.stdout?.once('data', () => r());
        c.once('exit', () => r());
      });
    let child = start();
    let kills = 0;
    let stopped = false;
    const killer = (async () => {
      while (!stopped) {
        // Kill only a process that has got going: after its first commit, at a random moment of what follows.
        await committed(child);
        await sleep(Math.floor(Math.random() * 30));
        if (stopped) break;
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        kills++;
        child = start();
      }
    })();
    // The products write their logs concurrently, line by line in time order. Every sixth of the way the
    // writer waits for one more kill, so a slow machine sees as many kills as a fast one.
    const segment = Math.ceil(units.length / 6);
    for (let i = 0; i < units.length;) {
      const n = 10 + Math.floor(Math.random() * 40);
      for (const u of units.slice(i, i + n)) fs.appendFileSync(path.join(logs, u.file), u.text);
      i += n;
      await sleep(25);
      const due = Math.min(5, Math.floor(i / segment));
      for (let waited = 0; kills < due && waited < 30_000; waited += 10) await sleep(10);
    }
    stopped = true;
    await killer;
    child.stdout?.resume();
    fs.writeFileSync(stopFile, '');
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(kills).toBeGreaterThanOrEqual(5);
    const s = new ServeState(stateFile);
    expect(s.detectionIds()).toEqual(expected);
    s.close();
  }, 120_000);
});
