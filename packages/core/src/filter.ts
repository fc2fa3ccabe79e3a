import { z } from 'zod';
import { isIsoDate, ISO_DATE_PATTERN } from './dates.js';
import { DOCUMENT_STATUSES } from './enums.js';

/**
 * The document filter, declared once. Every place that filters documents derives from a definition made here: the
 * SQL of the document list, search and `matching` (`@autod/db`), the vector index's attribute filter and the OpenAI
 * vector-store attribute filter (`@autod/vector-store`), the query schema of `GET /v1/documents` and `GET /v1/search`
 * (`@autod/server`, and through its OpenAPI document the web app) and the options of `autod list|export|search`
 * (`@autod/cli`). Adding a field here (or to a definition made with {@link DocumentFilterDefinition.extend}) adds it
 * everywhere.
 */

/** How a field matches: equal value, case-insensitive substring, inclusive bounds, or a flag. */
export const FILTER_MATCHES = ['exact', 'contains', 'range', 'boolean'] as const;
export type FilterMatch = (typeof FILTER_MATCHES)[number];

/** A value of one filter key. */
export type FilterValue = string | number | boolean;
/** Filter keys to values, as a definition made outside this file (an extension) produces them. */
export type FilterValues = Readonly<Record<string, FilterValue | undefined>>;

const KEY = z.string().regex(/^[a-z][A-Za-z0-9]*$/, { error: 'must be camelCase letters and digits' });
const FLAG = z.string().regex(/^--[a-z][a-z0-9]*(-[a-z0-9]+)*$/, { error: 'must be a long option like --doc-type' });
const COLUMN = z.string().regex(/^[a-z][a-z0-9_]*$/, { error: 'must be a snake_case column of the documents table' });
const DESCRIPTION = z.string().min(1).max(200);

const common = { name: KEY, column: COLUMN, description: DESCRIPTION, flag: FLAG };

/** One end of a range: its own filter key, flag and description (e.g. `from`, `--from`). */
export const FilterBoundSchema = z.strictObject({ name: KEY, flag: FLAG, description: DESCRIPTION });

/** One filterable field of a document. */
export const FilterFieldSchema = z.discriminatedUnion('match', [
  z.strictObject({
    ...common,
    match: z.literal('exact'),
    type: z.enum(['string', 'enum']),
    /** The allowed values (type `enum`). */
    values: z.array(z.string().min(1)).min(1).readonly().optional(),
    /** Longest accepted value (type `string`; default 200). */
    maxLength: z.int().min(1).max(10_000).optional(),
  }),
  z.strictObject({
    ...common,
    match: z.literal('contains'),
    type: z.literal('string'),
    maxLength: z.int().min(1).max(10_000).optional(),
  }),
  z.strictObject({
    name: KEY,
    column: COLUMN,
    description: DESCRIPTION,
    match: z.literal('range'),
    type: z.enum(['number', 'date']),
    /** Inclusive lower bound. */
    min: FilterBoundSchema,
    /** Inclusive upper bound. */
    max: FilterBoundSchema,
  }),
  z.strictObject({ ...common, match: z.literal('boolean'), type: z.literal('boolean') }),
]);
export type FilterField = z.infer<typeof FilterFieldSchema>;

/** How one filter key compares its column with the value. */
export type FilterOperator = 'eq' | 'contains' | 'gte' | 'lte';

/**
 * One key of the filter object, flag of the CLI and parameter of the HTTP query: a field gives one, a range two
 * (its bounds). What the derivations iterate over.
 */
export interface FilterParameter {
  /** Key in the filter object and name of the query parameter, e.g. `minAmount`. */
  readonly key: string;
  /** CLI option, e.g. `--min-amount`. */
  readonly flag: string;
  readonly description: string;
  /** Column of the `documents` table. */
  readonly column: string;
  readonly operator: FilterOperator;
  readonly type: FilterField['type'];
  /** The field the key belongs to. */
  readonly field: FilterField;
}

type Infer<F> = F extends { match: 'boolean' }
  ? boolean
  : F extends { type: 'enum'; values: readonly (infer V extends string)[] }
    ? V
    : F extends { type: 'number' }
      ? number
      : string;
type KeysOf<F> = F extends {
  match: 'range';
  min: { name: infer A extends string };
  max: { name: infer B extends string };
}
  ? A | B
  : F extends { name: infer N extends string }
    ? N
    : never;
/** The filter object a list of fields describes (every key optional). */
export type FilterOf<Fields extends readonly FilterField[]> = {
  [F in Fields[number] as KeysOf<F>]?: Infer<F> | undefined;
};

type KnownFilter = FilterOf<typeof DOCUMENT_FILTER_FIELDS>;
/**
 * Schema of the filter as the HTTP query and the command line give it (strings in, typed values out). Typed with the
 * keys of {@link DOCUMENT_FILTER_FIELDS}; the schema of an extended definition has its extra keys too (untyped).
 */
export type FilterQuerySchema = z.ZodObject<{
  [K in keyof KnownFilter]-?: z.ZodOptional<z.ZodType<NonNullable<KnownFilter[K]>, string>>;
}>;

/** A validated list of filter fields and what every consumer derives from it. */
export interface DocumentFilterDefinition {
  readonly fields: readonly FilterField[];
  /** Every filter key, in field order (a range gives its lower then its upper bound). */
  readonly parameters: readonly FilterParameter[];
  /** The parameter of a key, or undefined. */
  parameter(key: string): FilterParameter | undefined;
  /**
   * zod schema of a filter given as text (query string, command line): numbers and booleans (`true`/`false`) are
   * parsed, dates must be real `YYYY-MM-DD` days, enums one of their values, text 1..maxLength characters. Unknown
   * keys are dropped.
   */
  readonly querySchema: FilterQuerySchema;
  /** The keys of `values` this definition knows, with a value (undefined and unknown keys dropped). */
  pick<T extends FilterValues>(values: T): T;
  /** A new definition with more fields (a key or flag already taken is an error). */
  extend(fields: readonly FilterField[]): DocumentFilterDefinition;
}

function valueSchema(p: FilterParameter): z.ZodType<FilterValue, string> {
  const f = p.field;
  let schema: z.ZodType<FilterValue, string>;
  if (f.match === 'boolean') {
    schema = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');
  } else if (f.type === 'enum') {
    const values = f.values ?? [];
    schema = z.enum(values as [string, ...string[]], { error: `must be one of ${values.join(', ')}` });
  } else if (f.type === 'number') {
    // A blank value is no number (`z.coerce` alone would read '' as 0); the OpenAPI document shows a number.
    schema = z.preprocess(
      (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
      z.coerce.number({ error: 'must be a number' }),
    );
  } else if (f.type === 'date') {
    schema = z
      .string()
      .regex(new RegExp(ISO_DATE_PATTERN), { error: 'must be a date YYYY-MM-DD' })
      .refine(isIsoDate, { error: 'must be a real calendar date YYYY-MM-DD' });
  } else {
    const max = 'maxLength' in f ? (f.maxLength ?? 200) : 200;
    schema = z
      .string()
      .min(1, { error: 'must not be empty' })
      .max(max, { error: `must be at most ${max} characters` });
  }
  return schema.describe(p.description);
}

function parametersOf(fields: readonly FilterField[]): FilterParameter[] {
  const out: FilterParameter[] = [];
  for (const field of fields) {
    const { column, type } = field;
    if (field.match === 'range') {
      out.push({ ...field.min, key: field.min.name, column, type, operator: 'gte', field });
      out.push({ ...field.max, key: field.max.name, column, type, operator: 'lte', field });
    } else {
      const operator = field.match === 'contains' ? 'contains' : 'eq';
      out.push({ key: field.name, flag: field.flag, description: field.description, column, type, operator, field });
    }
  }
  return out;
}

/**
 * Validate a list of filter fields and derive the parameters and the query schema. Throws a TypeError naming the
 * field when one is malformed, when an enum has no values or when two keys or two flags collide.
 */
export function defineDocumentFilter(input: readonly FilterField[]): DocumentFilterDefinition {
  const parsed = z
    .array(FilterFieldSchema)
    .superRefine((list, ctx) => {
      list.forEach((f, i) => {
        if (f.match === 'exact' && f.type === 'enum' && !f.values)
          ctx.addIssue({ code: 'custom', path: [i, 'values'], message: 'an enum field lists its values' });
      });
      const keys = new Set<string>();
      const flags = new Set<string>();
      for (const p of parametersOf(list)) {
        if (keys.has(p.key)) ctx.addIssue({ code: 'custom', message: `filter key "${p.key}" is declared twice` });
        if (flags.has(p.flag)) ctx.addIssue({ code: 'custom', message: `flag ${p.flag} is declared twice` });
        keys.add(p.key);
        flags.add(p.flag);
      }
    })
    .readonly()
    .safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'fields'}: ${i.message}`);
    throw new TypeError(`Invalid document filter definition: ${issues.join('; ')}`);
  }
  return definitionOf(parsed.data);
}

/**
 * The definition of fields already known to be valid (autod's own, checked by its test). The query schema is built
 * on first use: a command that filters by nothing, or reads only the parameters, never pays for it.
 */
function definitionOf(fields: readonly FilterField[]): DocumentFilterDefinition {
  const parameters = parametersOf(fields);
  const byKey = new Map(parameters.map((p) => [p.key, p]));
  let querySchema: FilterQuerySchema | undefined;
  return {
    fields,
    parameters,
    parameter: (key) => byKey.get(key),
    get querySchema(): FilterQuerySchema {
      // Built from the parameters, so its static type (the default fields) is asserted: see FilterQuerySchema.
      querySchema ??= z.object(
        Object.fromEntries(parameters.map((p) => [p.key, valueSchema(p).optional()])),
      ) as unknown as FilterQuerySchema;
      return querySchema;
    },
    pick: <T extends FilterValues>(values: T): T => {
      const out: Record<string, FilterValue> = {};
      for (const p of parameters) {
        const v = values[p.key];
        if (v !== undefined) out[p.key] = v;
      }
      return out as T; // a subset of `values`, whose keys are all optional
    },
    extend: (more) => defineDocumentFilter([...fields, ...more]),
  };
}

/** The fields autod filters documents by. */
export const DOCUMENT_FILTER_FIELDS = [
  {
    name: 'status',
    match: 'exact',
    type: 'enum',
    values: DOCUMENT_STATUSES,
    column: 'status',
    flag: '--status',
    description: `document status: ${DOCUMENT_STATUSES.join(' | ')}`,
  },
  {
    name: 'category',
    match: 'exact',
    type: 'string',
    column: 'category',
    flag: '--category',
    description: 'category, e.g. "Financial & Administrative"',
  },
  {
    name: 'subcategory',
    match: 'exact',
    type: 'string',
    column: 'subcategory',
    flag: '--subcategory',
    description: 'subcategory, e.g. Utilities',
  },
  {
    name: 'docType',
    match: 'exact',
    type: 'string',
    column: 'doc_type',
    flag: '--doc-type',
    description: 'document type, e.g. invoice',
  },
  {
    name: 'issuer',
    match: 'contains',
    type: 'string',
    column: 'issuer',
    flag: '--issuer',
    description: 'issuer contains this text (case-insensitive)',
  },
  {
    name: 'customer',
    match: 'contains',
    type: 'string',
    column: 'customer',
    flag: '--customer',
    description: 'customer contains this text (case-insensitive)',
  },
  {
    name: 'invoiceNumber',
    match: 'exact',
    type: 'string',
    maxLength: 256,
    column: 'invoice_number',
    flag: '--invoice-number',
    description: 'exact invoice number',
  },
  {
    name: 'needsReview',
    match: 'boolean',
    type: 'boolean',
    column: 'needs_review',
    flag: '--needs-review',
    description: 'only documents that need (true) or do not need (false) a review',
  },
  {
    name: 'primaryDate',
    match: 'range',
    type: 'date',
    column: 'primary_date',
    description: 'primary date',
    min: { name: 'from', flag: '--from', description: 'primary date on or after (YYYY-MM-DD)' },
    max: { name: 'to', flag: '--to', description: 'primary date on or before (YYYY-MM-DD)' },
  },
  {
    name: 'totalAmount',
    match: 'range',
    type: 'number',
    column: 'total_amount',
    description: 'total amount',
    min: { name: 'minAmount', flag: '--min-amount', description: 'total amount at least' },
    max: { name: 'maxAmount', flag: '--max-amount', description: 'total amount at most' },
  },
] as const satisfies readonly FilterField[];

/**
 * autod's document filter. Its fields are checked by `defineDocumentFilter` in this package's test, not on every
 * start (validating them costs a CLI command ~10 ms).
 */
export const DOCUMENT_FILTER: DocumentFilterDefinition = definitionOf(DOCUMENT_FILTER_FIELDS);

/**
 * A filter of documents: every key of {@link DOCUMENT_FILTER_FIELDS}, typed, plus the keys of an extended definition.
 * Each key that is set must match (AND).
 */
export type DocumentFilter = FilterOf<typeof DOCUMENT_FILTER_FIELDS> & FilterValues;
