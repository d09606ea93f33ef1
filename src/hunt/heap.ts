/**
 * A binary min-heap ordered by a numeric key with insertion order as the tie-break, so equal keys come out
 * first-in first-out (events with the same timestamp keep their file order).
 *
 * Hand-written rather than taken from npm because it sits on the hot path of every event: keys and
 * sequence numbers live in parallel arrays and nothing is allocated per push beyond array growth.
 */
export class MinHeap<T> {
  private readonly items: T[] = [];
  private readonly keys: number[] = [];
  private readonly seqs: number[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  /** The smallest key, or `Infinity` when empty. */
  peekKey(): number {
    return this.items.length === 0 ? Infinity : (this.keys[0] as number);
  }

  /** How many items have a key greater than `key`: a scan, for the merge's rare question, not per item. */
  countAbove(key: number): number {
    let n = 0;
    for (const k of this.keys) if (k > key) n++;
    return n;
  }

  push(item: T, key: number): void {
    const items = this.items;
    const keys = this.keys;
    const seqs = this.seqs;
    const s = this.seq++;
    let i = items.length;
    items.push(item);
    keys.push(key);
    seqs.push(s);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pk = keys[parent] as number;
      if (pk < key || (pk === key && (seqs[parent] as number) < s)) break;
      items[i] = items[parent] as T;
      keys[i] = pk;
      seqs[i] = seqs[parent] as number;
      i = parent;
    }
    items[i] = item;
    keys[i] = key;
    seqs[i] = s;
  }

  /** Removes and returns the item with the smallest key; `undefined` when empty. */
  pop(): T | undefined {
    const items = this.items;
    const n = items.length;
    if (n === 0) return undefined;
    const top = items[0] as T;
    const lastItem = items.pop() as T;
    const lastKey = this.keys.pop() as number;
    const lastSeq = this.seqs.pop() as number;
    if (n > 1) this.siftDown(lastItem, lastKey, lastSeq);
    return top;
  }

  private siftDown(item: T, key: number, s: number): void {
    const items = this.items;
    const keys = this.keys;
    const seqs = this.seqs;
    const n = items.length;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n) {
        const rk = keys[right] as number;
        const ck = keys[child] as number;
        if (rk < ck || (rk === ck && (seqs[right] as number) < (seqs[child] as number))) child = right;
      }
      const ck = keys[child] as number;
      if (key < ck || (key === ck && s < (seqs[child] as number))) break;
      items[i] = items[child] as T;
      keys[i] = ck;
      seqs[i] = seqs[child] as number;
      i = child;
    }
    items[i] = item;
    keys[i] = key;
    seqs[i] = s;
  }
}
