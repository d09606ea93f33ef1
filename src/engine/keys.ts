/** Aggregation keys: the `by` fields of an event rendered as one string (`user.name=svc-smartsheet`). */
import type { AuditEvent } from '../core/event';
import { fieldGetter, type FieldGetter } from './match';

export interface KeyFn {
  /** The display key (`user.name=alice,source.ip=1.2.3.4`), or undefined when a `by` field is missing. */
  (e: AuditEvent): string | undefined;
}

function valueText(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(String).join('+');
  return String(v);
}

/** Events that lack a `by` value cannot be attributed and are not counted: grouping them all under "missing"
 *  would merge unrelated actors into one key. */
export function keyFn(fields: readonly string[]): KeyFn {
  const getters: [string, FieldGetter][] = fields.map((f) => [f, fieldGetter(f)]);
  if (getters.length === 1) {
    const [f, get] = getters[0] as [string, FieldGetter];
    return (e) => {
      const v = valueText(get(e));
      return v === undefined ? undefined : `${f}=${v}`;
    };
  }
  return (e) => {
    let out = '';
    for (const [f, get] of getters) {
      const v = valueText(get(e));
      if (v === undefined) return undefined;
      out += out === '' ? `${f}=${v}` : `,${f}=${v}`;
    }
    return out;
  };
}

/** The values only (no field names), for joining sequence steps whose `by` fields differ in name. */
export function joinValuesFn(fields: readonly string[]): KeyFn {
  const getters = fields.map(fieldGetter);
  return (e) => {
    let out = '';
    for (let i = 0; i < getters.length; i++) {
      const v = valueText((getters[i] as FieldGetter)(e));
      if (v === undefined) return undefined;
      out += i === 0 ? v.toLowerCase() : `\u0000${v.toLowerCase()}`;
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
