export {
  SCHEMA_VERSION,
  SCHEMA_NAME,
  CATEGORIES,
  DEFAULT_CATEGORY,
  SUBCATEGORIES,
  PRIORITIES,
  DEADLINE_SOURCES,
  DOCUMENT_STATUSES,
  PROVIDER_NAMES,
  EVIDENCE_FIELDS,
  type Category,
  type Subcategory,
  type Priority,
  type DeadlineSource,
  type DocumentStatus,
  type ProviderName,
  type EvidenceField,
} from './enums.js';
export { ISO_DATE_PATTERN, isIsoDate } from './dates.js';
export {
  CURRENCY_PATTERN,
  LANGUAGE_PATTERN,
  ActionItemSchema,
  ExtractedFieldsSchema,
  PageSummarySchema,
  CrossDocMatchSchema,
  NormalizationSchema,
  TaxLineSchema,
  LineItemSchema,
  EvidenceBoxSchema,
  FieldEvidenceSchema,
  FieldEvidenceMapSchema,
  DocumentMetadataSchema,
  DOCUMENT_METADATA_FIELDS,
  parseDocumentMetadata,
  type TaxLine,
  type LineItem,
  type EvidenceBox,
  type FieldEvidence,
  type FieldEvidenceMap,
  type ActionItem,
  type ExtractedFields,
  type PageSummary,
  type CrossDocMatch,
  type Normalization,
  type DocumentMetadata,
} from './schema.js';
export {
  STRICT_MODE_KEYWORDS,
  buildResponseJsonSchema,
  responseTextFormat,
  strictModeViolations,
  type SchemaConsts,
  type ResponseTextFormat,
} from './json-schema.js';
export {
  formatIssues,
  createEmptyMetadata,
  emptyFieldEvidence,
  upgradeMetadata,
  indexedFields,
  type ParseResult,
  type EmptyMetadataInput,
  type IndexedFields,
} from './metadata.js';
export { sanitizeFileNamePart, stripExtension } from './filenames.js';
export { reviewReasons, keyFieldValue } from './review.js';
export {
  FieldCorrectionsSchema,
  CORRECTABLE_FIELDS,
  parseCorrectionText,
  applyCorrections,
  acceptExtraction,
  correctableValue,
  type FieldCorrections,
  type CorrectableField,
} from './corrections.js';
export { ZERO_USAGE, addUsage, type TokenUsage } from './usage.js';
export { STATIC_PROMPT_PREFIX, buildExtractionPrompt, type PromptInput, type ExtractionPrompt } from './prompt.js';
export {
  MAX_VECTOR_STORE_ATTRIBUTES,
  VECTOR_STORE_ATTRIBUTE_KEYS,
  type VectorStoreAttributeKey,
  buildVectorStoreAttributes,
  normalizeContentSignature,
  type VectorStoreAttributes,
  type VectorStoreAttributeInput,
} from './attributes.js';
export { highlightTerms } from './snippet.js';
export {
  FILTER_MATCHES,
  FilterFieldSchema,
  FilterBoundSchema,
  DOCUMENT_FILTER,
  DOCUMENT_FILTER_FIELDS,
  defineDocumentFilter,
  type FilterMatch,
  type FilterField,
  type FilterValue,
  type FilterValues,
  type FilterOperator,
  type FilterParameter,
  type FilterOf,
  type FilterQuerySchema,
  type DocumentFilter,
  type DocumentFilterDefinition,
} from './filter.js';
export { LruCache, type LruOptions, type LruStats } from './lru.js';
