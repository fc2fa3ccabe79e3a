/**
 * Builds a value that validates against a (strict-mode) JSON schema: enums pick the first value, `const` is honoured,
 * nullable fields are null, strings respect minLength/maxLength/pattern/format, numbers respect bounds.
 */
import { LruCache } from '@autod/core';

type Schema = Record<string, unknown>;

/** Compiled `pattern`s (null when the pattern is not a valid `u` regex). */
const patterns = new LruCache<RegExp | null>({ maxEntries: 256 });

function compilePattern(pattern: string): RegExp | null {
  let re = patterns.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = null;
    }
    patterns.set(pattern, re);
  }
  return re;
}

const PATTERN_CANDIDATES = [
  '2024-01-15',
  'en',
  'example',
  'EXAMPLE',
  'a',
  'A',
  '0',
  '1',
  '2024-01-15T00:00:00Z',
  'USD',
  'usd',
  'file-example',
  'example@example.com',
  '+1-555-0100',
  'AB',
  'ab12',
];

function refOf(schema: Schema): string {
  return typeof schema.$ref === 'string' ? schema.$ref : '';
}

function resolveRef(ref: string, root: Schema): Schema {
  if (!ref.startsWith('#/')) return {};
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node && typeof node === 'object' ? (node as Schema) : {};
}

function allowsNull(schema: Schema, root: Schema): boolean {
  if (schema.$ref) return allowsNull(resolveRef(refOf(schema), root), root);
  const t = schema.type;
  if (t === 'null' || (Array.isArray(t) && t.includes('null'))) return true;
  if (Array.isArray(schema.enum) && schema.enum.includes(null)) return true;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.some((b) => b && typeof b === 'object' && allowsNull(b as Schema, root)))
      return true;
  }
  return false;
}

function sampleString(schema: Schema): string {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
  const fit = (s: string): string => {
    let out = s;
    while (out.length < min) out += 'x';
    return out.slice(0, max);
  };
  if (typeof schema.pattern === 'string') {
    const re = compilePattern(schema.pattern);
    if (re) {
      for (const c of PATTERN_CANDIDATES) if (re.test(c) && c.length >= min && c.length <= max) return c;
    }
  }
  switch (schema.format) {
    case 'date':
      return '2024-01-15';
    case 'date-time':
      return '2024-01-15T00:00:00Z';
    case 'email':
      return 'example@example.com';
    case 'uri':
      return 'https://example.com';
    default:
      return fit('example');
  }
}

function sampleNumber(schema: Schema, integer: boolean): number {
  const lo =
    typeof schema.minimum === 'number'
      ? schema.minimum
      : typeof schema.exclusiveMinimum === 'number'
        ? schema.exclusiveMinimum + (integer ? 1 : 0.5)
        : 0;
  const hi = typeof schema.maximum === 'number' ? schema.maximum : Number.POSITIVE_INFINITY;
  let v = Math.min(Math.max(lo, 0), hi);
  if (integer) v = Math.ceil(v);
  return v;
}

function acceptsValue(schema: Schema, value: unknown, root: Schema): boolean {
  if (schema.$ref) return acceptsValue(resolveRef(refOf(schema), root), value, root);
  if ('const' in schema) return schema.const === value;
  if (Array.isArray(schema.enum)) return schema.enum.includes(value);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches)) return branches.some((b) => acceptsValue(b as Schema, value, root));
  }
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  const actual = value === null ? 'null' : Number.isInteger(value) ? 'integer' : typeof value;
  const ok = types.includes(actual) || (actual === 'integer' && types.includes('number'));
  if (!ok) return false;
  if (typeof value === 'string' && typeof schema.pattern === 'string') {
    const re = compilePattern(schema.pattern);
    return re ? re.test(value) : true;
  }
  return true;
}

/**
 * Like {@link sampleFromSchema}, but top-level properties named in `known` take that value when the property's
 * schema accepts it (type, enum, const and pattern are checked).
 */
export function sampleWithKnown(schema: Schema, known: Record<string, unknown>): unknown {
  const value = cachedSample(schema);
  const props = schema.properties;
  if (!value || typeof value !== 'object' || Array.isArray(value) || !props || typeof props !== 'object') return value;
  const out = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(known)) {
    const prop = (props as Record<string, Schema>)[key];
    if (prop && key in out && acceptsValue(prop, v, schema)) out[key] = v;
  }
  return out;
}

/** Samples by schema text: a request carries a freshly parsed (but usually identical) schema every time. */
const samples = new LruCache<{ value: unknown }>({ maxEntries: 64 });

/** A deep copy of plain JSON-like data (objects, arrays, primitives); anything else is shared as is. */
function copyPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyPlain);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = copyPlain(x);
    return out;
  }
  return v;
}

/** {@link sampleFromSchema} memoised per schema text; every call gets its own copy of the sample. */
function cachedSample(schema: Schema): unknown {
  let key: string;
  try {
    key = JSON.stringify(schema);
  } catch {
    return sampleFromSchema(schema); // not serialisable (cycles): no caching
  }
  let hit = samples.get(key);
  if (!hit) {
    hit = { value: sampleFromSchema(schema) };
    samples.set(key, hit);
  }
  return copyPlain(hit.value);
}

export function sampleFromSchema(schema: Schema, root: Schema = schema, depth = 0): unknown {
  if (depth > 32) return null;
  if (schema.$ref) return sampleFromSchema(resolveRef(refOf(schema), root), root, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (allowsNull(schema, root)) return null;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0) {
      const base = { ...schema };
      delete base[key];
      return sampleFromSchema({ ...base, ...(branches[0] as Schema) }, root, depth + 1);
    }
  }
  if (Array.isArray(schema.allOf)) {
    const merged = Object.assign({}, ...(schema.allOf as Schema[]), { ...schema, allOf: undefined }) as Schema;
    delete merged.allOf;
    return sampleFromSchema(merged, root, depth + 1);
  }
  let type = schema.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null');
  if (type === undefined && schema.properties) type = 'object';
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const [k, v] of Object.entries(props)) out[k] = sampleFromSchema(v, root, depth + 1);
      return out;
    }
    case 'array': {
      const n = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const items = (schema.items ?? {}) as Schema;
      return Array.from({ length: n }, () => sampleFromSchema(items, root, depth + 1));
    }
    case 'string':
      return sampleString(schema);
    case 'integer':
      return sampleNumber(schema, true);
    case 'number':
      return sampleNumber(schema, false);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return null;
  }
}

/** Turns a valid value into one that violates a strict object schema (missing required key + unknown key). */
export function violateSchema(valid: unknown): unknown {
  if (valid && typeof valid === 'object' && !Array.isArray(valid)) {
    const copy: Record<string, unknown> = { ...(valid as Record<string, unknown>) };
    const first = Object.keys(copy)[0];
    if (first !== undefined) delete copy[first];
    copy.unexpected_field_from_emulator = 'not in schema';
    return copy;
  }
  return { unexpected_field_from_emulator: valid ?? 'not in schema' };
}
