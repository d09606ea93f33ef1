import fc from 'fast-check';
import { MinHeap } from '../../src/hunt/heap';
import {
  mergeByTime,
  reorderWindowFor,
  MIN_REORDER_WINDOW,
  DEFAULT_REORDER_WINDOW,
  ADAPTIVE_START,
} from '../../src/hunt/merge';

interface Item {
  t: number;
  src: string;
  seq: number;
}

/** A source that yields `items` in batches of `size`, asynchronously, as the parsers do. */
async function* batches(items: readonly Item[], size = 3): AsyncGenerator<Item[]> {
  for (let i = 0; i < items.length; i += size) {
    await Promise.resolve();
    yield items.slice(i, i + size);
  }
}

const mk = (src: string, times: number[]): Item[] => times.map((t, seq) => ({ t, src, seq }));

async function collect(
  sources: Item[][],
  window?: number,
  size?: number,
): Promise<{ out: Item[]; late: number }> {
  const out: Item[] = [];
  const stats = await mergeByTime(
    sources.map((s) => batches(s, size)),
    (i) => i.t,
    (i) => out.push(i),
    window,
  );
  expect(stats.emitted).toBe(out.length);
  return { out, late: stats.late };
}

/** Merges one source of `times` in batches of `size` within `window`, measuring the most items the source
 *  had handed over that the merge had not emitted yet: what the source's buffer held at its fullest. */
async function mergeMeasured(
  times: readonly number[],
  size: number,
  window: number,
): Promise<{ out: Item[]; late: number; most: number }> {
  let buffered = 0;
  let most = 0;
  const out: Item[] = [];
  const stats = await mergeByTime(
    [
      (async function* () {
        for await (const batch of batches(mk('a', [...times]), size)) {
          buffered += batch.length;
          most = Math.max(most, buffered);
          yield batch;
        }
      })(),
    ],
    (i) => i.t,
    (i) => {
      buffered--;
      out.push(i);
    },
    window,
  );
  return { out, late: stats.late, most };
}

describe('MinHeap', () => {
  it('pops in key order, equal keys first-in first-out', () => {
    const h = new MinHeap<string>();
    [5, 1, 3, 1, 9, 3, 0].forEach((k, i) => h.push(`${k}:${i}`, k));
    const out: string[] = [];
    while (h.size > 0) out.push(h.pop() as string);
    expect(out).toEqual(['0:6', '1:1', '1:3', '3:2', '3:5', '5:0', '9:4']);
    expect(h.pop()).toBeUndefined();
    expect(h.peekKey()).toBe(Infinity);
  });
});

describe('mergeByTime', () => {
  it('interleaves files by time, including a newest-first file', async () => {
    const a = mk('a', [1, 4, 7, 10]);
    const newestFirst = mk('b', [9, 8, 5, 2]); // an API page: newest record first
    const c = mk('c', [3, 6]);
    const { out, late } = await collect([a, newestFirst, c]);
    expect(out.map((i) => i.t)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(late).toBe(0);
  });

  it('keeps file order for equal timestamps within a file', async () => {
    const { out } = await collect([mk('a', [5, 5, 5, 1])]);
    expect(out.map((i) => `${i.t}/${i.seq}`)).toEqual(['1/3', '5/0', '5/1', '5/2']);
  });

  it('emits items displaced beyond the window anyway and counts them late', async () => {
    // Wholly reversed, 10 items, window 3: sorting needs the whole file, so some come out late.
    const items = mk('a', [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    const { out, late } = await collect([items], 3, 2);
    expect(out).toHaveLength(10);
    expect(new Set(out.map((i) => i.t)).size).toBe(10);
    expect(late).toBeGreaterThan(0);
  });

  it('handles empty sources and no sources', async () => {
    expect((await collect([[], mk('a', [2, 1]), []])).out.map((i) => i.t)).toEqual([1, 2]);
    expect((await collect([])).out).toEqual([]);
  });

  it('propagates a source error and closes the other sources', async () => {
    let closed = false;
    async function* good(): AsyncGenerator<Item[]> {
      try {
        for (let i = 0; i < 100; i++) yield mk('g', [i]);
      } finally {
        closed = true;
      }
    }
    async function* bad(): AsyncGenerator<Item[]> {
      yield mk('b', [0]);
      throw new Error('disk on fire');
    }
    await expect(
      mergeByTime(
        [good(), bad()],
        (i) => i.t,
        () => undefined,
        2,
      ),
    ).rejects.toThrow('disk on fire');
    expect(closed).toBe(true);
  });

  it('property: sorted output, nothing lost, whenever displacement stays within the window', async () => {
    const source = fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 60 }).chain((ts) => {
      const sorted = [...ts].sort((x, y) => x - y);
      // Displace by swapping within blocks of at most 4 items: no item moves more than 3 places.
      return fc.array(fc.nat(), { minLength: sorted.length, maxLength: sorted.length }).map((keys) => {
        const out = [...sorted];
        for (let b = 0; b < out.length; b += 4) {
          const block = out.slice(b, b + 4).map((t, j) => ({ t, k: keys[b + j] ?? 0 }));
          block.sort((x, y) => x.k - y.k).forEach((x, j) => (out[b + j] = x.t));
        }
        return out;
      });
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(source, { maxLength: 5 }),
        fc.integer({ min: 1, max: 5 }),
        async (files, size) => {
          const sources = files.map((ts, f) => mk(String(f), ts));
          const { out, late } = await collect(sources, 4, size);
          const times = out.map((i) => i.t);
          expect(times).toEqual([...times].sort((x, y) => x - y));
          expect(out).toHaveLength(files.reduce((n, f) => n + f.length, 0));
          expect(late).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('buffers an in-order source lightly and gives a disordered one the full window at once', async () => {
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
    const { out, most } = await mergeMeasured(range(0, 3_000), 64, 2_000);
    expect(out).toHaveLength(3_000);
    expect(most).toBeLessThanOrEqual(ADAPTIVE_START + 64);

    // A newest-first page of 1,500 items beside an in-order file: its first batch is already descending, so it
    // gets the full window before anything is emitted, and nothing is late.
    const page = mk('page', range(0, 1_500).reverse());
    const { out: merged, late } = await collect([mk('a', range(0, 1_500)), page], 2_000, 100);
    expect(late).toBe(0);
    expect(merged.map((i) => i.t)).toEqual([...merged.map((i) => i.t)].sort((x, y) => x - y));
  });

  it('grows the buffer of a source with small displacements by what they need, not to the full window', async () => {
    // In order but for every 500th item, which belongs 20 places back: buffered to ADAPTIVE_START + 2 x 20, not
    // the full window of 2,000 for the rest of the source, and nothing late.
    const times = Array.from({ length: 3_000 }, (_, i) => i * 10);
    for (let i = 500; i < times.length; i += 500) times[i] = (times[i - 20] as number) - 5;
    const { out, late, most } = await mergeMeasured(times, 64, 2_000);
    expect(late).toBe(0);
    expect(out.map((i) => i.t)).toEqual([...times].sort((x, y) => x - y));
    expect(most).toBeLessThanOrEqual(ADAPTIVE_START + 2 * 20 + 64);
  });

  it('gives a source that keeps showing disorder the full window', async () => {
    // Every other pair swapped, 3,000 times: past the measured disorders, the source is buffered in full.
    const times = Array.from({ length: 6_000 }, (_, i) => (i % 2 === 0 ? i + 1 : i - 1));
    const { out, most } = await mergeMeasured(times, 100, 2_000);
    expect(out.map((i) => i.t)).toEqual([...times].sort((x, y) => x - y));
    expect(most).toBeGreaterThanOrEqual(2_000);
  });

  it('the weaker case: a first displacement further back than ADAPTIVE_START is late, later ones are absorbed', async () => {
    const times = Array.from({ length: 1_000 }, (_, i) => i * 10);
    // Item 600 belongs before item 300 (displaced by 300 > ADAPTIVE_START) ...
    times[600] = 2_995;
    // ... and item 990 belongs 290 places back (also more than ADAPTIVE_START), among items still buffered in
    // the full window that the first disorder switched on.
    times[990] = 7_005;
    const { out, late } = await collect([mk('a', times)], 2_000, 50);
    expect(out).toHaveLength(1_000);
    expect(late).toBe(1);
  });

  it('sizes the window to the number of sources within the budget', () => {
    expect(reorderWindowFor(1)).toBe(DEFAULT_REORDER_WINDOW);
    expect(reorderWindowFor(40)).toBe(1_250);
    expect(reorderWindowFor(10_000)).toBe(MIN_REORDER_WINDOW);
  });
});
