export { buildApp, SERVER_VERSION, type BuildAppOptions } from './app.js';
export { startServer, type StartServerOptions, type RunningServer } from './server.js';
export type { AutodApp, ServerContext } from './context.js';
export { createTokenCheck } from './auth.js';
export { safeFileName } from './file-names.js';
export { WorkTracker, type UploadStatus, type UploadState, type WorkTrackerOptions } from './work.js';
export {
  BatchManager,
  type BatchSnapshot,
  type BatchStatus,
  type BatchEvent,
  type BatchCreateInput,
  type BatchOutcomeSummary,
  type BatchManagerOptions,
} from './batches.js';
export {
  fulltextSearch,
  indexSearch,
  SEARCH_MODES,
  type SearchBackend,
  type SearchMode,
  type SearchRequest,
  type SearchResult,
} from './search-backend.js';
export type { ErrorBody } from './http-errors.js';
