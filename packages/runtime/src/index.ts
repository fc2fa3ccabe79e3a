import 'reflect-metadata';

export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
export { createContainer, type AppContainer, type ContainerOverrides, type LogOptions } from './container.js';
export { migrateSchema, schemaStatus, type SchemaMigration } from './schema.js';
export { TOKENS, type TokenName } from './tokens.js';
export { SpendReporter, alertChannels, createAlertManager } from './alerts.js';
export { pricingFromConfig } from './pricing.js';
export { SpendMeter, type SpendMeterOptions } from './spend-meter.js';
export { searchDocuments, type DocumentSearchOptions } from './search.js';
export { PipelineEventHub, type PipelineEventListener } from './pipeline-events.js';
