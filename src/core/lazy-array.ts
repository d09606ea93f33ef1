/**
 * An array a snapshot hands out without building it: its elements are made one at a time while the resume
 * point is written, so the state is never copied whole (a busy site's windows are tens of MB, and a copy of
 * them every ten seconds was the service's memory swinging by hundreds of MB). `JSON.stringify` and tests see a
 * plain array through `toJSON`. Elements are made when written: the state must not change in between (the
 * pipeline writes synchronously).
 */
export class LazyArray {
  /** The elements of `v` when it is an array or a LazyArray, else undefined (for restore code that accepts
   *  a snapshot straight from memory as well as one read back from JSON). */
  static elements(v: unknown): unknown[] | undefined {
    if (v instanceof LazyArray) return [...v];
    return Array.isArray(v) ? (v as unknown[]) : undefined;
  }

  constructor(private readonly make: () => Iterable<unknown>) {}
  [Symbol.iterator](): Iterator<unknown> {
    return this.make()[Symbol.iterator]();
  }
  toJSON(): unknown[] {
    return [...this.make()];
  }
}
