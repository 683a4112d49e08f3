/**
 * Test support: builds message values from the parsed definitions, independently of the generated
 * code. `sampleMessage` fills every field present in a version with a value different from its
 * default (or null where the version allows null, when asked) and every absent field with its
 * default, so encode -> decode must give the same value back.
 */

import { type FieldDef, type FieldType, type StructDef, inRange, parseBigLiteral, parseIntLiteral } from './definitions.js';

const ZERO_UUID = Buffer.alloc(16);

/** The value a field has when its version lacks it (Kafka's rules, see protocol/README.md). */
export function defaultValue(f: FieldDef): unknown {
  if (f.default === 'null') return null;
  const t = f.type;
  if (t.kind === 'array') return [];
  if (t.kind === 'struct') return defaultStruct(t.struct);
  switch (t.name) {
    case 'bool':
      return f.default === 'true';
    case 'int64':
      return f.default === null ? 0n : parseBigLiteral(f.default);
    case 'float64':
      return f.default === null ? 0 : Number(f.default);
    case 'string':
      return f.default === null ? '' : (JSON.parse(f.default) as string);
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    case 'uuid':
      return ZERO_UUID;
    default:
      return f.default === null ? 0 : parseIntLiteral(f.default);
  }
}

export function defaultStruct(s: StructDef): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of s.fields) out[f.prop] = defaultValue(f);
  return out;
}

export interface SampleOptions {
  /** Use null wherever the version allows null (top-level fields and nested ones). */
  nulls: boolean;
  /** Elements per array. */
  arrayLength: number;
}

/** Builds a sample of struct `s` at version `v`; `seed` varies the values. */
export function sampleMessage(s: StructDef, v: number, options: SampleOptions, seed = 1): Record<string, unknown> {
  const counter = { n: seed * 7919 };
  return sampleStruct(s, v, options, counter);
}

function sampleStruct(s: StructDef, v: number, o: SampleOptions, c: { n: number }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of s.fields) {
    if (!inRange(f.versions, v)) {
      out[f.prop] = defaultValue(f);
    } else if (o.nulls && inRange(f.nullable, v)) {
      out[f.prop] = null;
    } else {
      out[f.prop] = sampleOf(f.type, v, o, c, f);
    }
  }
  return out;
}

function sampleOf(t: FieldType, v: number, o: SampleOptions, c: { n: number }, f: FieldDef | null): unknown {
  c.n++;
  if (t.kind === 'struct') return sampleStruct(t.struct, v, o, c);
  if (t.kind === 'array') {
    const out: unknown[] = [];
    for (let i = 0; i < o.arrayLength; i++) out.push(sampleOf(t.element, v, o, c, null));
    return out;
  }
  const def = f === null ? undefined : defaultValue(f);
  const n = c.n;
  let value: unknown;
  switch (t.name) {
    case 'bool':
      return def === undefined ? n % 2 === 0 : !def;
    case 'int8':
      value = (n % 120) + 1;
      break;
    case 'int16':
      value = (n % 30000) + 1;
      break;
    case 'uint16':
      value = (n % 60000) + 1;
      break;
    case 'int32':
      value = ((n * 1009) % 2000000000) + 1;
      break;
    case 'uint32':
      value = ((n * 1013) % 4000000000) + 1;
      break;
    case 'int64':
      value = BigInt(n) * 1000000007n + 1n;
      break;
    case 'float64':
      value = n + 0.25;
      break;
    case 'string':
      return `s${n}`;
    case 'bytes':
      return Buffer.from([n & 0xff, 1, 2, 3]);
    case 'records':
      return Buffer.from(`records-${n}`);
    case 'uuid': {
      const b = Buffer.alloc(16, (n % 250) + 1);
      b[0] = n & 0xff;
      return b;
    }
  }
  if (value === def) value = typeof value === 'bigint' ? value + 1n : (value as number) + 1;
  return value;
}

/**
 * Completes a partial value: fields not given take their defaults; nested structs and arrays of
 * structs are completed the same way. Handy to write readable test messages.
 */
export function withDefaults(s: StructDef, partial: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of s.fields) {
    if (!(f.prop in partial)) {
      out[f.prop] = defaultValue(f);
      continue;
    }
    const given = partial[f.prop];
    const t = f.type;
    if (given !== null && t.kind === 'struct') out[f.prop] = withDefaults(t.struct, given as Record<string, unknown>);
    else if (given !== null && t.kind === 'array' && t.element.kind === 'struct') {
      const st = t.element.struct;
      out[f.prop] = (given as Array<Record<string, unknown>>).map((e) => withDefaults(st, e));
    } else out[f.prop] = given;
  }
  for (const k of Object.keys(partial)) {
    if (!s.fields.some((f) => f.prop === k)) throw new Error(`${s.name} has no field ${k}`);
  }
  return out;
}
