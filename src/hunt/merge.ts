/**
 * K-way merge of per-file event streams into one stream in event-time order.
 *
 * Rules with windows (count, sequence, dormancy) and the correlator assume time moves forward, but inputs
 * do not cooperate: API pages are newest-first, exports are concatenated in any order, and several files
 * cover overlapping periods. Each source therefore gets a bounded reorder buffer (a min-heap of at most
 * `window` items) and the merge always emits the smallest timestamp at the head of any buffer.
 *
 * The guarantee: output is in time order whenever no item in a source is displaced by more than `window`
 * positions from its sorted place. A source that is wholly reversed and longer than the window (a
 * million-line file written newest-first) cannot be sorted without holding it all, which the memory bound
 * forbids; such items are still emitted (never dropped) and counted as `late`.
 *
 * Most sources are in order (log files are written as things happen), and buffering them deeply costs: every
 * buffered event outlives V8's young generation and is copied and promoted (measured on 1,000,000 records: a
 * full 2,000-item buffer per file cost 15% of the hunt and 35 MB). So a source starts with a small buffer
 * (`ADAPTIVE_START` items) and grows it when it shows disorder, which is noticed while its items are read,
 * before they are emitted. An item that belongs before everything the source still buffers may reach back
 * further than can be seen, and switches the source to the full window: a newest-first page is caught on its
 * second item. An item that belongs among the buffered ones is displaced by as many places as it passes, and
 * the buffer grows to `ADAPTIVE_START` plus twice that, up to the window. Going to the full window on any
 * disorder held 2,000 events per file for the rest of the bench week after a few laid-in records out of place
 * by 17-218 places (133 of its 175 MB promoted to the old generation came from the merge).
 *
 * The weaker cases, where items are counted late although no displacement exceeds the window: a displacement
 * further back than the source buffers at that moment (its first one beyond `ADAPTIVE_START`, or one more
 * than about twice the largest before it); the items it passes are counted late, and the source gets the full
 * window from then on. A source with more than `MEASURED_DISORDERS` items out of place gets it too.
 */
import { MinHeap } from './heap';

/**
 * Per-source reorder buffer size when there are few sources: two API pages (1,000 records each), so a
 * newest-first page is put right even where a batch boundary cuts through it. Kept small on purpose:
 * measured on 1,000,000 records, a 20,000-event window cost ~5 s and ~120 MB more than 1,000-2,000,
 * because buffered events outlive V8's young generation and every one of them is promoted and re-marked.
 */
export const DEFAULT_REORDER_WINDOW = 2_000;
/** Buffer of a source that has been in time order so far. */
export const ADAPTIVE_START = 128;
/** Upper bound on items buffered across all sources, so many inputs cannot exhaust memory. */
export const REORDER_BUDGET = 50_000;
/** Floor of the per-source window however many sources there are (one API page is at most 1,000 records). */
export const MIN_REORDER_WINDOW = 1_000;

/** The per-source window for `sources` inputs: the default, shrunk to keep the total within the budget. */
export function reorderWindowFor(sources: number): number {
  if (sources <= 0) return DEFAULT_REORDER_WINDOW;
  return Math.max(MIN_REORDER_WINDOW, Math.min(DEFAULT_REORDER_WINDOW, Math.floor(REORDER_BUDGET / sources)));
}

export interface MergeStats {
  /** Items emitted, in total. */
  emitted: number;
  /** Items emitted with a timestamp earlier than one already emitted (displaced beyond the window). */
  late: number;
}

interface Cursor<T> {
  readonly it: AsyncIterator<readonly T[]>;
  readonly heap: MinHeap<T>;
  done: boolean;
  /** This source's buffer: ADAPTIVE_START until it shows disorder, then grown with it (see widen). */
  window: number;
  /** The latest key read from this source so far. */
  maxKey: number;
  /** Items read earlier than one before them, while the buffer was below the full window. */
  disorders: number;
}

/** Items out of place whose displacement is measured before a source gets the full window regardless. */
const MEASURED_DISORDERS = 1_000;

/** A source read an item earlier than one before it: its buffer grows to hold twice the displacement (see the
 *  top of this file). Counting the displacement scans the buffer, only while it is below the full window. */
function widen<T>(c: Cursor<T>, key: number, window: number): void {
  if (c.window >= window) return;
  // A source that keeps showing disorder is a disordered source: the full window, and no scan per item.
  if (++c.disorders > MEASURED_DISORDERS) {
    c.window = window;
    return;
  }
  const passed = c.heap.countAbove(key);
  c.window =
    passed >= c.heap.size ? window : Math.min(window, Math.max(c.window, ADAPTIVE_START + 2 * passed));
}

/**
 * Pulls every source to the end and calls `sink` with each item in merged time order. Awaits only when a
 * buffer needs refilling (once per batch), so the per-item cost is a heap pop and the sink call.
 * An error from any source rejects the returned promise after the other sources are closed.
 */
export async function mergeByTime<T>(
  sources: readonly AsyncIterable<readonly T[]>[],
  timeOf: (item: T) => number,
  sink: (item: T) => void,
  window: number = reorderWindowFor(sources.length),
): Promise<MergeStats> {
  if (!(window >= 1)) throw new RangeError(`reorder window must be at least 1, got ${window}`);
  const cursors: Cursor<T>[] = sources.map((s) => ({
    it: s[Symbol.asyncIterator](),
    heap: new MinHeap<T>(),
    done: false,
    window: Math.min(window, ADAPTIVE_START),
    maxKey: -Infinity,
    disorders: 0,
  }));
  const fill = async (c: Cursor<T>): Promise<void> => {
    while (!c.done && c.heap.size < c.window) {
      const r = await c.it.next();
      if (r.done === true) {
        c.done = true;
        break;
      }
      for (const item of r.value) {
        const key = timeOf(item);
        if (key < c.maxKey) widen(c, key, window);
        else c.maxKey = key;
        c.heap.push(item, key);
      }
    }
  };

  const stats: MergeStats = { emitted: 0, late: 0 };
  try {
    // Sources are filled one after another: parsing is CPU-bound on one thread, so concurrency buys nothing
    // and sequential filling keeps the order of work (and of any error) deterministic.
    const ready = new MinHeap<Cursor<T>>();
    for (const c of cursors) {
      await fill(c);
      if (c.heap.size > 0) ready.push(c, c.heap.peekKey());
    }
    let last = -Infinity;
    while (ready.size > 0) {
      const c = ready.pop() as Cursor<T>;
      // Keep draining this source while it still holds the earliest item: in the common single-file or
      // non-overlapping case the outer heap is touched once per file, not once per item.
      const bound = ready.peekKey();
      do {
        const key = c.heap.peekKey();
        const item = c.heap.pop() as T;
        if (key < last) stats.late++;
        else last = key;
        stats.emitted++;
        sink(item);
        if (!c.done && c.heap.size < c.window) await fill(c);
      } while (c.heap.size > 0 && c.heap.peekKey() <= bound);
      if (c.heap.size > 0) ready.push(c, c.heap.peekKey());
    }
  } finally {
    // Close whatever is still open (after an error, or a sink that threw) so file handles are released.
    await Promise.allSettled(cursors.filter((c) => !c.done).map((c) => c.it.return?.()));
  }
  return stats;
}
