/** Aggregation keys: the `by` fields of an event rendered as one string (`user.name=svc-smartsheet`). */
import type { AuditEvent } from '../core/event';
import { fieldGetter, type FieldGetter } from './match';

export interface KeyFn {
  /** The state key: the `by` values joined (no allocation for a single field), or undefined when one is
   *  missing. */
  (e: AuditEvent): string | undefined;
}

function valueText(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(String).join('+');
  return String(v);
}

const SEP = '\u0000';

/** Events that lack a `by` value cannot be attributed and are not counted: grouping them all under "missing"
 *  would merge unrelated actors into one key. */
export function keyFn(fields: readonly string[]): KeyFn {
  const getters = fields.map(fieldGetter);
  if (getters.length === 1) {
    const get = getters[0] as FieldGetter;
    return (e) => valueText(get(e));
  }
  return (e) => {
    let out = '';
    for (let i = 0; i < getters.length; i++) {
      const v = valueText((getters[i] as FieldGetter)(e));
      if (v === undefined) return undefined;
      out += i === 0 ? v : SEP + v;
    }
    return out;
  };
}

/** A state key as people read it: `user.name=alice,source.ip=1.2.3.4`. Built only when a detection fires. */
export function displayKey(fields: readonly string[], key: string): string {
  const values = key.split(SEP);
  return fields.map((f, i) => `${f}=${values[i] ?? ''}`).join(',');
}

/** The values only (no field names), for joining sequence steps whose `by` fields differ in name. */
export function joinValuesFn(fields: readonly string[]): KeyFn {
  const getters = fields.map(fieldGetter);
  return (e) => {
    let out = '';
    for (let i = 0; i < getters.length; i++) {
      const v = valueText((getters[i] as FieldGetter)(e));
      if (v === undefined) return undefined;
      out += i === 0 ? v.toLowerCase() : SEP + v.toLowerCase();
    }
    return out;
  };
}

/** The actor of an event as a key: by name when there is one (what people read), else by id. */
export function actorKey(e: AuditEvent): string {
  const name = e['user.name'];
  if (name !== undefined && name !== '') return `user.name=${name}`;
  const id = e['user.id'];
  if (id !== undefined && id !== '') return `user.id=${id}`;
  return `user.kind=${e['user.kind']}`;
}
