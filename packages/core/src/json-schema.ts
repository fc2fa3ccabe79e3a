import { z } from 'zod';
import { SCHEMA_NAME } from './enums.js';
import { DocumentMetadataSchema } from './schema.js';

/** Values pinned with `const` in the per-file schema (seed §3.5). */
export interface SchemaConsts {
  processedDate?: string;
  originalFileName?: string;
  sourceFileId?: string;
}

/** The `text.format` object of a Responses API request. */
export interface ResponseTextFormat {
  type: 'json_schema';
  name: string;
  strict: true;
  schema: Record<string, unknown>;
}

type JsonObject = Record<string, unknown>;

/**
 * Keywords OpenAI structured outputs accept in strict mode (a subset of JSON Schema).
 * `minLength`/`maxLength`/`format` are left out on purpose: they are not in the documented subset.
 */
export const STRICT_MODE_KEYWORDS: readonly string[] = [
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  'enum',
  'const',
  'description',
  'title',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  '$ref',
  '$defs',
  'definitions',
];
const ALLOWED = new Set(STRICT_MODE_KEYWORDS);
/** Nesting limit of strict mode. */
const MAX_DEPTH = 10;
/** Property-count limit of strict mode. */
const MAX_PROPERTIES = 5000;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rewrites a JSON schema node into the strict-mode subset (drops unsupported keywords, closes objects). */
function toStrict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStrict);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (!ALLOWED.has(key)) continue;
    if (key === 'properties' || key === '$defs' || key === 'definitions') {
      out[key] = Object.fromEntries(Object.entries(value as JsonObject).map(([k, v]) => [k, toStrict(v)]));
    } else if (key === 'items' || key === 'anyOf') {
      out[key] = toStrict(value);
    } else if (
      (key === 'maximum' && value === Number.MAX_SAFE_INTEGER) ||
      (key === 'minimum' && value === Number.MIN_SAFE_INTEGER)
    ) {
      // zod's implicit safe-integer bounds on .int(): noise for the model
      continue;
    } else {
      out[key] = value;
    }
  }
  if (out.type === 'object' || isObject(out.properties)) {
    const properties = isObject(out.properties) ? out.properties : {};
    out.properties = properties;
    out.required = Object.keys(properties);
    out.additionalProperties = false;
  }
  return out;
}

let baseSchema: JsonObject | undefined;

function base(): JsonObject {
  baseSchema ??= toStrict(z.toJSONSchema(DocumentMetadataSchema, { target: 'draft-7', io: 'output' })) as JsonObject;
  return baseSchema;
}

/**
 * The strict JSON schema for the Responses API, generated from {@link DocumentMetadataSchema}.
 * With `consts`, the three echo fields get a `const` (seed §3.5). Note that a per-file schema
 * changes the request prefix; leave `consts` out when prompt-cache hits matter and overwrite the
 * echo fields locally instead.
 */
export function buildResponseJsonSchema(consts: SchemaConsts = {}): Record<string, unknown> {
  const schema = structuredClone(base());
  const props = schema.properties as Record<string, JsonObject>;
  const pin = (field: string, value: string | undefined) => {
    const prop = props[field];
    if (value !== undefined && prop) prop.const = value;
  };
  pin('processed_date', consts.processedDate);
  pin('original_file_name', consts.originalFileName);
  pin('source_file_id', consts.sourceFileId);
  return schema;
}

/** `text.format` for `responses.create`: `{ type: 'json_schema', name, strict: true, schema }`. */
export function responseTextFormat(consts?: SchemaConsts): ResponseTextFormat {
  return { type: 'json_schema', name: SCHEMA_NAME, strict: true, schema: buildResponseJsonSchema(consts) };
}

/**
 * Checks a JSON schema against OpenAI strict-mode rules and returns one message per violation
 * (empty = valid): root is a non-`anyOf` object; every object has `additionalProperties: false`
 * and lists all its properties in `required`; only supported keywords; nesting <= 10 levels;
 * <= 5000 properties in total.
 */
export function strictModeViolations(schema: unknown): string[] {
  const problems: string[] = [];
  let propertyCount = 0;
  if (!isObject(schema) || schema.type !== 'object') problems.push('<root>: root must be a schema of type "object"');
  if (isObject(schema) && 'anyOf' in schema) problems.push('<root>: root must not be anyOf');

  const visit = (node: unknown, path: string, depth: number): void => {
    if (!isObject(node)) {
      problems.push(`${path}: schema must be an object`);
      return;
    }
    for (const key of Object.keys(node)) {
      if (!ALLOWED.has(key) && !(key === '$schema' && path === '<root>')) {
        problems.push(`${path}: keyword "${key}" is not supported in strict mode`);
      }
    }
    const isObjectType = node.type === 'object' || (Array.isArray(node.type) && node.type.includes('object'));
    if (isObjectType || 'properties' in node) {
      if (depth > MAX_DEPTH) problems.push(`${path}: nested deeper than ${MAX_DEPTH} levels`);
      if (node.additionalProperties !== false) problems.push(`${path}: additionalProperties must be false`);
      const props = isObject(node.properties) ? node.properties : undefined;
      if (!props) problems.push(`${path}: object must declare properties`);
      const keys = props ? Object.keys(props) : [];
      propertyCount += keys.length;
      const required = Array.isArray(node.required) ? (node.required as unknown[]) : [];
      const missing = keys.filter((k) => !required.includes(k));
      if (missing.length > 0) problems.push(`${path}: properties not in required: ${missing.join(', ')}`);
      const unknown = required.filter((k) => typeof k !== 'string' || !keys.includes(k));
      if (unknown.length > 0) problems.push(`${path}: required lists unknown properties: ${unknown.join(', ')}`);
      for (const k of keys) visit(props?.[k], path === '<root>' ? k : `${path}.${k}`, depth + 1);
    }
    if ('items' in node) visit(node.items, `${path}[]`, depth);
    if ('anyOf' in node) {
      if (!Array.isArray(node.anyOf)) problems.push(`${path}: anyOf must be an array`);
      else node.anyOf.forEach((s, i) => visit(s, `${path}|${i}`, depth));
    }
    for (const defsKey of ['$defs', 'definitions'] as const) {
      const defs = node[defsKey];
      if (isObject(defs)) for (const [k, v] of Object.entries(defs)) visit(v, `#/${defsKey}/${k}`, 1);
    }
  };
  if (isObject(schema)) visit(schema, '<root>', 1);
  if (propertyCount > MAX_PROPERTIES) problems.push(`<root>: more than ${MAX_PROPERTIES} properties`);
  return problems;
}
