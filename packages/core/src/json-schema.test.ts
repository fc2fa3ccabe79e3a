import { describe, expect, it } from 'vitest';
import { fullExample } from './__tests__/fixtures.js';
import {
  CATEGORIES,
  DocumentMetadataSchema,
  DOCUMENT_METADATA_FIELDS,
  SCHEMA_NAME,
  SCHEMA_VERSION,
  buildResponseJsonSchema,
  parseDocumentMetadata,
  responseTextFormat,
  strictModeViolations,
} from './index.js';

type Node = Record<string, unknown>;

/** Independent walk over every sub-schema, with its path. */
function walk(node: Node, path: string, visit: (n: Node, p: string) => void): void {
  visit(node, path);
  const props = node.properties as Record<string, Node> | undefined;
  if (props) for (const [k, v] of Object.entries(props)) walk(v, `${path}.${k}`, visit);
  if (node.items) walk(node.items as Node, `${path}[]`, visit);
  if (Array.isArray(node.anyOf)) (node.anyOf as Node[]).forEach((s, i) => walk(s, `${path}|${i}`, visit));
}

const isNullable = (n: Node) =>
  (Array.isArray(n.anyOf) && (n.anyOf as Node[]).some((s) => s.type === 'null')) ||
  (Array.isArray(n.type) && n.type.includes('null'));

describe('buildResponseJsonSchema', () => {
  const schema = buildResponseJsonSchema();

  it('satisfies OpenAI strict-mode rules on every object', () => {
    expect(schema.type).toBe('object');
    expect(schema).not.toHaveProperty('anyOf');
    let objects = 0;
    walk(schema, '$', (n, p) => {
      if (n.type !== 'object') return;
      objects += 1;
      expect(n.additionalProperties, p).toBe(false);
      expect([...(n.required as string[])].sort(), p).toEqual(Object.keys(n.properties as Node).sort());
    });
    // root, action item, extracted fields (+ tax line, line item), page summary, cross-doc match, normalization,
    // field_evidence (+ 7 × evidence and its box)
    expect(objects).toBe(23);
  });

  it('uses only keywords from the strict-mode subset', () => {
    const allowed = new Set([
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
    ]);
    walk(schema, '$', (n, p) => {
      for (const key of Object.keys(n)) expect(allowed.has(key), `${p}: ${key}`).toBe(true);
    });
    expect(strictModeViolations(schema)).toEqual([]);
  });

  it('has the 40 top-level properties in schema order, all required', () => {
    expect(Object.keys(schema.properties as Node)).toEqual(DOCUMENT_METADATA_FIELDS);
    expect(schema.required).toEqual(DOCUMENT_METADATA_FIELDS);
  });

  it('marks exactly the fields zod accepts null for as nullable (anyOf with null)', () => {
    const props = schema.properties as Record<string, Node>;
    const example = fullExample() as unknown as Record<string, unknown>;
    for (const field of DOCUMENT_METADATA_FIELDS) {
      const acceptsNull = DocumentMetadataSchema.safeParse({ ...example, [field]: null }).success;
      expect(isNullable(props[field]!), field).toBe(acceptsNull);
    }
    const extracted = props.extracted_fields!.properties as Record<string, Node>;
    for (const [k, v] of Object.entries(extracted)) expect(isNullable(v), k).toBe(v.type !== 'array');
    expect(isNullable(props.category!)).toBe(false);
  });

  it('carries enums, patterns and numeric ranges', () => {
    const props = schema.properties as Record<string, Node>;
    expect(props.category).toMatchObject({ type: 'string', enum: [...CATEGORIES] });
    expect(props.schema_version).toMatchObject({ const: SCHEMA_VERSION });
    expect(JSON.stringify(props.primary_date)).toContain('"pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"');
    expect(JSON.stringify(props.language)).toContain('"pattern":"^[a-z]{2}$"');
    expect(JSON.stringify(props.confidence_score)).toContain('"minimum":0,"maximum":1');
    expect(JSON.stringify(props.urgency_score)).toContain('"type":"integer","minimum":0,"maximum":100');
    expect(JSON.stringify(schema)).not.toContain('9007199254740991');
    expect(JSON.stringify(props.email_preview_text)).toContain('max 160 chars');
  });

  it('applies consts only when given and does not leak them into later schemas', () => {
    const pinned = buildResponseJsonSchema({
      processedDate: '2024-03-20T10:11:12+00:00',
      originalFileName: 'scan.pdf',
      sourceFileId: 'file-1',
    });
    const props = pinned.properties as Record<string, Node>;
    expect(props.processed_date).toMatchObject({ type: 'string', const: '2024-03-20T10:11:12+00:00' });
    expect(props.original_file_name).toMatchObject({ const: 'scan.pdf' });
    expect(props.source_file_id).toMatchObject({ const: 'file-1' });
    expect(strictModeViolations(pinned)).toEqual([]);

    const partial = buildResponseJsonSchema({ sourceFileId: 'file-2' }).properties as Record<string, Node>;
    expect(partial.source_file_id).toMatchObject({ const: 'file-2' });
    expect(partial.processed_date).not.toHaveProperty('const');
    expect((buildResponseJsonSchema().properties as Record<string, Node>).source_file_id).not.toHaveProperty('const');
  });

  it('is deterministic (same bytes for every call without consts)', () => {
    expect(JSON.stringify(buildResponseJsonSchema())).toBe(JSON.stringify(schema));
  });

  it('wraps into a Responses API text.format', () => {
    const format = responseTextFormat({ sourceFileId: 'file-9' });
    expect(format).toMatchObject({ type: 'json_schema', name: SCHEMA_NAME, strict: true });
    expect(SCHEMA_NAME).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect((format.schema.properties as Record<string, Node>).source_file_id).toMatchObject({ const: 'file-9' });
  });

  it('matches data the zod schema accepts (types of a full example)', () => {
    expect(parseDocumentMetadata(fullExample()).ok).toBe(true);
    const props = schema.properties as Record<string, Node>;
    for (const [field, value] of Object.entries(fullExample())) {
      const node = props[field]!;
      const types = Array.isArray(node.anyOf) ? (node.anyOf as Node[]).map((s) => s.type) : [node.type];
      const actual = Array.isArray(value)
        ? 'array'
        : value === null
          ? 'null'
          : typeof value === 'number'
            ? Number.isInteger(value) && types.includes('integer')
              ? 'integer'
              : 'number'
            : typeof value;
      expect(types, field).toContain(actual);
    }
  });
});

describe('strictModeViolations', () => {
  it('reports each kind of violation with its path', () => {
    const bad = {
      type: 'object',
      properties: {
        a: { type: 'string', minLength: 1 },
        b: { type: 'object', properties: { c: { type: 'number' } }, required: [] },
        d: {
          type: 'array',
          items: {
            type: 'object',
            properties: { e: { type: 'string' } },
            required: ['e', 'z'],
            additionalProperties: false,
          },
        },
        f: { allOf: [{ type: 'string' }] },
      },
      required: ['a', 'b', 'd', 'f'],
      additionalProperties: false,
    };
    expect(strictModeViolations(bad)).toEqual([
      'a: keyword "minLength" is not supported in strict mode',
      'b: additionalProperties must be false',
      'b: properties not in required: c',
      'd[]: required lists unknown properties: z',
      'f: keyword "allOf" is not supported in strict mode',
    ]);
  });

  it('rejects a non-object root and anyOf at the root', () => {
    expect(strictModeViolations({ anyOf: [{ type: 'string' }] })).toContain('<root>: root must not be anyOf');
    expect(strictModeViolations({ type: 'string' })).toContain('<root>: root must be a schema of type "object"');
  });

  it('rejects nesting deeper than 10 levels', () => {
    let node: Node = {
      type: 'object',
      properties: { leaf: { type: 'string' } },
      required: ['leaf'],
      additionalProperties: false,
    };
    for (let i = 0; i < 10; i++)
      node = { type: 'object', properties: { n: node }, required: ['n'], additionalProperties: false };
    expect(strictModeViolations(node).some((v) => v.includes('nested deeper than 10'))).toBe(true);
  });
});
