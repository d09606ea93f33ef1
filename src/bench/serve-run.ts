/**
 * `npm run bench:serve [-- --minutes N] [--rate N] [--warmup-minutes N] [--idle-seconds N] [--users N] [--out FILE] [--keep]`: the
 * sustained-tailing benchmark of issue #4 §7 (docs/benchmarks.md, "bulkhead serve: sustained tailing").
 *
 * The real `Service` (built-in rules and lists, a SQLite state file in a temporary folder, commits as
 * `startServe` configures them, no containment, no notifier) runs in this process and tails four folders;
 * a forked writer (serve-writer.ts) appends lines to them. First a warm-up: the `warmup-minutes` before the start
 * at `rate`, written at once with their own (past) event times, and read by the service before anything else
 * happens; without it the 10 minutes measured are the rules' windows (1 h and 24 h of distinct pages per
 * person) filling from empty, not a running service. Then an idle phase (canaries only) gives the latency
 * baseline of this run on this machine; then the load phase writes `rate` lines a second for `minutes`.
 *
 * Measured here: per canary, commit time of the detection that stored it − the canary's write time; lines
 * processed per poll (service side); RSS of this process every 5 s. Exits 1 when a target is missed only with
 * `--check`.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { loadLists, loadRules } from '../engine';
import { builtinListsDir, builtinRulesDir, packageRoot } from '../hunt/paths';
import { Service, type CommitEvent } from '../serve/service';
import {
  ACCESS_LOG_MATCH,
  AUDIT_LOG_MATCH,
  SERVE_DIRS,
  type WriterArgs,
  type WriterMessage,
  type WriterPhase,
} from './serve-writer';

export const SERVE_TARGETS = {
  /** Lines a second the service must keep up with. */
  rate: 5_000,
  /** p99 of canary detection latency under load, ms. */
  p99Ms: 1_000,
  /** Slope of the heap V8's full collections leave, over the last 80% of the load phase, MB per minute, either
   *  sign (decision 0010: why not the slope of RSS itself)... */
  liveHeapSlopeMbPerMin: 1,
  /** ...measured over at least this many collections... */
  minCollections: 3,
  /** ...and the highest RSS of the last 40% of the load at most this many times that of the 40% before. */
  rssEnvelope: 1.1,
} as const;

/** A service whose every poll is counted (lines and wall time), not only the polls that emit `commit`. */
class MeasuredService extends Service {
  readonly polls: { at: number; lines: number; ms: number; committed: boolean }[] = [];
  override async tick(): Promise<CommitEvent> {
    const t0 = performance.now();
    const e = await super.tick();
    if (e.step.lines > 0 || e.step.committed)
      this.polls.push({
        at: e.at,
        lines: e.step.lines,
        ms: performance.now() - t0,
        committed: e.step.committed,
      });
    return e;
  }
}

interface Canary {
  readonly phase: 'idle' | 'load';
  readonly key: string;
  readonly writtenAt: number;
  committedAt?: number;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) * (x - mx);
  }
  return den === 0 ? NaN : num / den;
}

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
const round = (v: number, digits = 0): number => Math.round(v * 10 ** digits) / 10 ** digits;

function latencyStats(values: readonly number[]) {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length > 0 ? Math.max(...values) : NaN,
  };
}

function nonNegative(v: string): number {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a number of at least 0, got ${JSON.stringify(v)}`);
  return n;
}

function positive(v: string): number {
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`expected a positive number, got ${JSON.stringify(v)}`);
  return n;
}

async function main(): Promise<number> {
  const root = packageRoot(__dirname);
  const o = new Command('bench:serve')
    .option('--minutes <n>', 'length of the load phase', positive, 10)
    .option('--rate <n>', 'lines per second written in the load phase', positive, SERVE_TARGETS.rate)
    .option('--warmup-minutes <n>', 'history written (and read) before the measured phases', nonNegative, 15)
    .option('--idle-seconds <n>', 'length of the idle (baseline) phase', positive, 20)
    .option('--users <n>', 'people in the background', positive, 2_000)
    .option('--out <file>', 'results file', path.join(root, 'dist', 'bench-serve-results.json'))
    .option('--keep', 'keep the temporary folder (logs and state file)')
    .option('--check', 'exit 1 when a target is missed')
    .parse(process.argv)
    .opts<{
      minutes: number;
      rate: number;
      warmupMinutes: number;
      idleSeconds: number;
      users: number;
      out: string;
      keep?: boolean;
      check?: boolean;
    }>();
  const say = (s: string) => process.stdout.write(`${s}\n`);

  const dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-bench-serve-'));
  const logs = path.join(dir, 'logs');
  const lists = loadLists([builtinListsDir()], []);
  const rules = loadRules([builtinRulesDir()], lists.lists);
  if (lists.errors.length + rules.errors.length > 0) throw new Error('built-in rules or lists do not load');

  const service = new MeasuredService({
    sources: (Object.entries(SERVE_DIRS) as [keyof typeof SERVE_DIRS, string][]).map(([k, d]) => ({
      dir: path.join(logs, d),
      match: k === 'access' ? ACCESS_LOG_MATCH : AUDIT_LOG_MATCH,
      product: k === 'access' ? 'bitbucket' : k,
    })),
    stateFile: path.join(dir, 'state.sqlite'),
    rules: rules.rules,
    lists: lists.lists,
    // As startServe sets it; pollMs and idleMs stay at their defaults (100 ms, 500 ms).
    resumeEveryMs: 10_000,
  });

  const canaries = new Map<string, Canary>();
  let detections = 0;
  const byRule = new Map<string, number>();
  service.on('commit', (e) => {
    for (const d of e.step.detections) {
      detections++;
      byRule.set(d.rule.id, (byRule.get(d.rule.id) ?? 0) + 1);
      for (const ev of d.events) {
        const c = canaries.get(`${ev.ref.file}:${ev.ref.line}`);
        if (c && c.committedAt === undefined) c.committedAt = e.at;
      }
    }
  });
  service.on('error', (err) => say(`service error: ${err.message}`));
  // The size of the resume point the service writes every ten seconds (decision 0010), read every 30 s.
  const resumeSizes: [number, number][] = [];
  const resumeMb = (): number => {
    const v = mb(service.store.resumeSize().chars);
    resumeSizes.push([Date.now(), v]);
    return v;
  };

  const rss: {
    at: number;
    rssMb: number;
    heapMb: number;
    heapTotalMb: number;
    externalMb: number;
    /** Size of V8's young generation, old generation and large-object space (where heap total moves). */
    newMb: number;
    oldMb: number;
    largeMb: number;
  }[] = [];
  const sample = () => {
    const m = process.memoryUsage();
    const spaces = v8.getHeapSpaceStatistics();
    const space = (name: string) => spaces.find((s) => s.space_name === name)?.space_size ?? 0;
    rss.push({
      at: Date.now(),
      rssMb: mb(m.rss),
      heapMb: mb(m.heapUsed),
      heapTotalMb: mb(m.heapTotal),
      externalMb: mb(m.external),
      newMb: mb(space('new_space')),
      oldMb: mb(space('old_space')),
      largeMb: mb(space('large_object_space')),
    });
  };
  // The live heap: what V8's own full collections leave (v8.GCProfiler, drained at every sample so its records
  // do not pile up in memory; a collection is dated by the sample that drained it, to within 5 s). The 5 s
  // samples above catch the old generation anywhere in its saw-tooth (promoted window state that later expires),
  // so their slope says where in that cycle a run begins and ends; what a collection leaves says whether
  // anything is kept that should not be.
  const liveHeap: { at: number; usedMb: number }[] = [];
  let gcProfiler = new v8.GCProfiler();
  gcProfiler.start();
  const drainGcs = () => {
    const at = Date.now();
    for (const g of gcProfiler.stop()?.statistics ?? [])
      if (g.gcType === 'MarkSweepCompact') liveHeap.push({ at, usedMb: mb(g.afterGC.heapStatistics.usedHeapSize) });
    gcProfiler = new v8.GCProfiler();
    gcProfiler.start();
  };
  sample();
  const sampler = setInterval(() => {
    sample();
    drainGcs();
  }, 5_000);

  // Creates the folders before the service's first poll.
  const writerArgs: WriterArgs = {
    root: logs,
    warmupSeconds: o.warmupMinutes * 60,
    idleSeconds: o.idleSeconds,
    loadSeconds: o.minutes * 60,
    rate: o.rate,
    users: o.users,
    seed: 2023,
    canaryEveryMs: 1_000,
  };
  say(
    `bench:serve: ${os.cpus().length} cores, Node ${process.version}; warm-up ${o.warmupMinutes} min of history, idle ${o.idleSeconds} s, then ${o.rate} lines/s for ${o.minutes} min, ${o.users} people; state in ${dir}`,
  );
  await service.start();
  const phases: Partial<Record<WriterPhase, number>> = {};
  const done: Partial<Record<WriterPhase, Extract<WriterMessage, { type: 'done' }>>> = {};
  const linesRead = () => service.polls.reduce((s, p) => s + p.lines, 0);
  let warmedUp: { lines: number; writeMs: number; readMs: number; rssMb: number; heapMb: number } | undefined;
  /** Lets the writer go on once the service has read the whole history. */
  const afterWarmup = async (m: Extract<WriterMessage, { type: 'done' }>): Promise<void> => {
    while (linesRead() < m.lines) await sleep(200);
    const before = process.memoryUsage();
    say(
      `warm-up read: RSS ${mb(before.rss)} MB, heap ${mb(before.heapUsed)} of ${mb(before.heapTotal)} MB, external ${mb(before.external)} MB (array buffers ${mb(before.arrayBuffers)} MB)`,
    );
    // V8 gives the pages of a catch-up's garbage back over minutes; the measured phases start once it has
    // (the RSS moved less than 2% in 10 s, at most 3 minutes), else their slope would be that release.
    const settleFrom = Date.now();
    let last = Infinity;
    for (;;) {
      global.gc?.();
      await sleep(10_000);
      const now = process.memoryUsage().rss;
      if (Math.abs(last - now) < 0.02 * now || Date.now() - settleFrom > 180_000) break;
      last = now;
    }
    const mem = process.memoryUsage();
    warmedUp = {
      lines: m.lines,
      writeMs: m.ms,
      readMs: Date.now() - (phases.warmup as number),
      rssMb: mb(mem.rss),
      heapMb: mb(mem.heapUsed),
    };
    say(
      `warm-up: ${m.lines} lines of history written in ${Math.round(m.ms / 1000)} s, read by ${Math.round(warmedUp.readMs / 1000)} s; settled after ${Math.round((Date.now() - settleFrom) / 1000)} s: RSS ${warmedUp.rssMb} MB, heap ${warmedUp.heapMb} MB`,
    );
    writer.send({ type: 'go' });
  };
  const writer = fork(path.join(__dirname, 'serve-writer.js'), [JSON.stringify(writerArgs)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let lastProgress = Date.now();
  writer.on('message', (m: WriterMessage) => {
    if (m.type === 'phase') {
      phases[m.phase] = m.at;
      say(`phase ${m.phase} started`);
    } else if (m.type === 'canary') canaries.set(m.key, { phase: m.phase, key: m.key, writtenAt: m.at });
    else {
      done[m.phase] = m;
      if (m.phase === 'warmup') void afterWarmup(m);
    }
    if (Date.now() - lastProgress >= 30_000) {
      lastProgress = Date.now();
      const last = rss.at(-1);
      const recent = service.polls.filter((p) => p.at > Date.now() - 30_000).reduce((s, p) => s + p.lines, 0);
      const loadCanaries = [...canaries.values()].filter(
        (c) => c.phase === 'load' && c.committedAt !== undefined,
      );
      const lat = loadCanaries.slice(-30).map((c) => (c.committedAt as number) - c.writtenAt);
      say(
        `  ${new Date().toISOString().slice(11, 19)} service ${Math.round(recent / 30)} lines/s, RSS ${last?.rssMb} MB, last 30 canaries p99 ${percentile(lat, 99)} ms, detections ${detections}, resume point ${resumeMb()} MB`,
      );
    }
  });
  const exited = new Promise<number | null>((resolve) => writer.on('exit', (code) => resolve(code)));
  const code = await exited;
  if (code !== 0) throw new Error(`writer exited with code ${String(code)}`);
  const writerEnd = Date.now();
  // The last canaries: wait until each is committed, at most 10 s.
  while ([...canaries.values()].some((c) => c.committedAt === undefined) && Date.now() - writerEnd < 10_000)
    await sleep(100);
  clearInterval(sampler);
  drainGcs();
  gcProfiler.stop();
  sample();
  const resumeEndMb = resumeMb();
  await service.stop();

  // ---- figures ----
  const loadStart = phases.load as number;
  const loadDone = done.load as NonNullable<(typeof done)['load']>;
  const loadEnd = loadStart + loadDone.ms;
  const loadMs = loadEnd - loadStart;
  const steadyFrom = loadStart + loadMs * 0.2;
  const latencies = (phase: 'idle' | 'load') =>
    [...canaries.values()]
      .filter((c) => c.phase === phase && c.committedAt !== undefined)
      .map((c) => (c.committedAt as number) - c.writtenAt);
  const missed = (phase: 'idle' | 'load') =>
    [...canaries.values()].filter((c) => c.phase === phase && c.committedAt === undefined).length;
  const idle = latencyStats(latencies('idle'));
  const loaded = latencyStats(latencies('load'));
  const linesIn = (from: number, to: number) =>
    service.polls.filter((p) => p.at >= from && p.at < to).reduce((s, p) => s + p.lines, 0);
  const sustained = (linesIn(steadyFrom, loadEnd) / (loadEnd - steadyFrom)) * 1000;
  const overall = (linesIn(loadStart, loadEnd) / loadMs) * 1000;
  const writeRate = (loadDone.lines / loadDone.ms) * 1000;
  // Lines written but not yet processed when the writer stopped, as a check that the service kept up.
  const totalRead = service.polls.reduce((s, p) => s + p.lines, 0);
  const totalWritten = loadDone.lines + (done.idle?.lines ?? 0) + (done.warmup?.lines ?? 0);
  const backlogAtEnd =
    totalWritten - service.polls.filter((p) => p.at <= loadEnd).reduce((s, p) => s + p.lines, 0);
  const rssLoad = rss.filter((s) => s.at >= loadStart && s.at <= loadEnd + 5_000);
  const at1 = rssLoad.find((s) => s.at >= loadStart + 60_000) ?? rssLoad.at(-1);
  const end = rssLoad.at(-1);
  const steadyRss = rssLoad.filter((s) => s.at >= steadyFrom);
  const rssSlope = slope(steadyRss.map((s) => [(s.at - loadStart) / 60_000, s.rssMb] as const));
  const heapSlope = slope(steadyRss.map((s) => [(s.at - loadStart) / 60_000, s.heapMb] as const));
  // What V8 holds (used or not) and what lives outside its heap (Buffers): RSS − heapTotal is native memory.
  const heapTotalSlope = slope(steadyRss.map((s) => [(s.at - loadStart) / 60_000, s.heapTotalMb] as const));
  const nativeSlope = slope(
    steadyRss.map((s) => [(s.at - loadStart) / 60_000, s.rssMb - s.heapTotalMb] as const),
  );
  const steadyLive = liveHeap.filter((g) => g.at >= steadyFrom && g.at <= loadEnd + 5_000);
  const liveSlope = slope(steadyLive.map((g) => [(g.at - loadStart) / 60_000, g.usedMb] as const));
  // The RSS envelope: the highest RSS of the last half of the steady span against that of its first half.
  const midSteady = steadyFrom + (loadEnd - steadyFrom) / 2;
  const peak = (from: number, to: number) =>
    Math.max(...steadyRss.filter((s) => s.at >= from && s.at < to).map((s) => s.rssMb));
  const peakFirst = peak(steadyFrom, midSteady);
  const peakLast = peak(midSteady, loadEnd + 5_000);
  const envelope = peakLast / peakFirst;
  const loadPolls = service.polls.filter((p) => p.at >= steadyFrom && p.at < loadEnd);
  const pollMs = loadPolls.map((p) => p.ms);
  const commitPolls = loadPolls.filter((p) => p.committed);

  const targets = [
    {
      name: `service throughput, sustained (last 80%) / ${o.rate} lines/s target`,
      value: round(sustained / o.rate, 3),
      target: '>= 0.99',
      met: sustained / o.rate >= 0.99,
    },
    {
      name: 'canary detection latency p99 under load, ms',
      value: loaded.p99,
      target: `< ${SERVE_TARGETS.p99Ms}`,
      met: loaded.p99 < SERVE_TARGETS.p99Ms && missed('load') === 0,
    },
    {
      name: `live heap after full collections, slope over the last 80% (${steadyLive.length} collections), MB/min`,
      value: round(liveSlope, 2),
      target: `within ±${SERVE_TARGETS.liveHeapSlopeMbPerMin}, at least ${SERVE_TARGETS.minCollections} collections`,
      met:
        steadyLive.length >= SERVE_TARGETS.minCollections &&
        Math.abs(liveSlope) < SERVE_TARGETS.liveHeapSlopeMbPerMin,
    },
    {
      name: 'RSS envelope: peak of the last 40% / peak of the 40% before',
      value: round(envelope, 3),
      target: `<= ${SERVE_TARGETS.rssEnvelope}`,
      met: envelope <= SERVE_TARGETS.rssEnvelope,
    },
  ];
  const results = {
    schema: 'bulkhead.bench-serve/v1',
    startedAt: new Date(rss[0]?.at ?? Date.now()).toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    params: {
      minutes: o.minutes,
      rate: o.rate,
      warmupMinutes: o.warmupMinutes,
      idleSeconds: o.idleSeconds,
      users: o.users,
    },
    /** The history read before the measured phases: lines, how long writing and reading it took, memory after. */
    warmup: warmedUp ?? null,
    writer: {
      loadLines: loadDone.lines,
      loadAccessLines: loadDone.accessLines,
      loadMs: loadDone.ms,
      writeRate: round(writeRate),
      lateTicks: loadDone.lateTicks,
      canaries: { idle: done.idle?.canaries ?? 0, load: loadDone.canaries },
    },
    service: {
      throughputSustained: round(sustained),
      throughputOverall: round(overall),
      throughputVsTarget: round(sustained / o.rate, 3),
      linesRead: totalRead,
      backlogAtWriterEnd: backlogAtEnd,
      /** Size of the resume point (engine and correlator snapshots, JSON) written (in parts of at most 60,000 characters) every ten seconds. */
      resumePointMb: {
        end: resumeEndMb,
        samples: resumeSizes.map(([t, v]) => [round((t - loadStart) / 1000), v]),
      },
      detections,
      detectionsByRule: Object.fromEntries([...byRule].sort((a, b) => b[1] - a[1])),
      polls: {
        count: loadPolls.length,
        commits: commitPolls.length,
        msP50: round(percentile(pollMs, 50), 1),
        msP99: round(percentile(pollMs, 99), 1),
        msMax: round(pollMs.length ? Math.max(...pollMs) : NaN, 1),
        linesPerPollP50: percentile(
          loadPolls.map((p) => p.lines),
          50,
        ),
      },
    },
    latencyMs: {
      idle: { ...idle, missed: missed('idle') },
      load: { ...loaded, missed: missed('load') },
      p99VsIdle: round(loaded.p99 / idle.p99, 2),
    },
    rss: {
      at1MinMb: at1?.rssMb,
      endMb: end?.rssMb,
      endVs1Min: at1 && end ? round(end.rssMb / at1.rssMb, 3) : NaN,
      slopeMbPerMin: round(rssSlope, 2),
      heapSlopeMbPerMin: round(heapSlope, 2),
      heapTotalSlopeMbPerMin: round(heapTotalSlope, 2),
      nativeSlopeMbPerMin: round(nativeSlope, 2),
      /** Peak RSS of the first and the second half of the last 80% of the load. */
      peakFirstHalfMb: peakFirst,
      peakSecondHalfMb: peakLast,
      /** Heap used after each full collection: [s into the load (to within 5 s), MB]; slope over the last 80%. */
      liveHeap: {
        slopeMbPerMin: round(liveSlope, 2),
        samples: liveHeap.filter((g) => g.at >= loadStart).map((g) => [round((g.at - loadStart) / 1000), g.usedMb]),
      },
      /** [s into the load, RSS, heap used, heap total, external, new space, old space, large objects] */
      samples: rssLoad.map((s) => [
        round((s.at - loadStart) / 1000),
        s.rssMb,
        s.heapMb,
        s.heapTotalMb,
        s.externalMb,
        s.newMb,
        s.oldMb,
        s.largeMb,
      ]),
    },
    targets,
    allMet: targets.every((t) => t.met),
  };
  writeFileSync(o.out, `${JSON.stringify(results, null, 2)}\n`);
  if (!o.keep) rmSync(dir, { recursive: true, force: true });

  const l = (s: typeof idle) => `p50 ${s.p50} / p95 ${s.p95} / p99 ${s.p99} / max ${s.max} ms (${s.count})`;
  say('');
  say(
    `write rate (load)          ${round(writeRate)} lines/s (${loadDone.lines} lines in ${round(loadDone.ms / 1000, 1)} s, ${loadDone.lateTicks} late ticks)`,
  );
  say(
    `service throughput         ${round(sustained)} lines/s sustained (last 80%), ${round(overall)} overall; ${round(sustained / o.rate, 3)} of target; backlog at writer end ${backlogAtEnd} lines`,
  );
  say(
    `polls (last 80%)           ${loadPolls.length} polls, ${commitPolls.length} commits, poll ms p50 ${results.service.polls.msP50} / p99 ${results.service.polls.msP99} / max ${results.service.polls.msMax}`,
  );
  say(`latency, idle baseline     ${l(idle)}${missed('idle') ? `, ${missed('idle')} never committed` : ''}`);
  say(
    `latency, under load        ${l(loaded)}${missed('load') ? `, ${missed('load')} never committed` : ''}`,
  );
  say(`loaded p99 / idle p99      ${results.latencyMs.p99VsIdle}`);
  say(
    `RSS                        ${at1?.rssMb} MB at 1 min, ${end?.rssMb} MB at end (${results.rss.endVs1Min}x); slope ${round(rssSlope, 2)} MB/min (heap used ${round(heapSlope, 2)}, heap total ${round(heapTotalSlope, 2)}, RSS − heap total ${round(nativeSlope, 2)} MB/min) over the last 80%`,
  );
  const live = steadyLive.map((g) => g.usedMb);
  say(
    `live heap                  after ${live.length} full collections in the last 80%: min ${Math.min(...live)}, median ${percentile(live, 50)}, max ${Math.max(...live)} MB; slope ${round(liveSlope, 2)} MB/min`,
  );
  say(`RSS envelope               peak ${peakFirst} MB in the first half of the last 80%, ${peakLast} MB in the second`);
  say(`resume point (per commit)  ${resumeEndMb} MB at end`);
  say(
    `detections                 ${detections} (${[...byRule]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ')})`,
  );
  say('');
  for (const t of targets) say(`${t.met ? 'PASS' : 'FAIL'}  ${t.name}: ${t.value} (${t.target})`);
  say(`results written to ${o.out}`);
  return o.check && !results.allMet ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:serve: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
