export {
  ALLOWED_MODELS,
  EMBEDDING_MODELS,
  configSchema,
  type Config,
  type ModelPriceEntry,
  type SettingKind,
} from './settings.js';
export { formatIssue, loadConfig, type ConfigIssue, type ConfigSource, type LoadConfigOptions } from './load.js';
export { REDACTED, redactConfig, redactSecrets } from './redact.js';
export { redactUrl, parseDbUrl, type DbTarget } from './urls.js';
export { describeSettings, renderConfigurationDoc, renderEnvExample, type SettingInfo } from './describe.js';
export { DROPPED_SETTINGS } from './dropped.js';
export { readPricingFile, type PricingFileResult } from './pricing-file.js';
