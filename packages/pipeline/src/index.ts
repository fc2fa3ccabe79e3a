export { Pipeline, defaultOwner, isDeadLocalOwner, noteReadLimits } from './pipeline.js';
export type {
  ClaimedDocument,
  ClaimFile,
  ClaimOptions,
  ClaimStepResult,
  DocumentIndexer,
  HashedFile,
  IntakeFile,
  IntakeResult,
  PipelineDeps,
  PipelineDirs,
  PipelineOptions,
  ProcessFileHooks,
} from './pipeline.js';
export { EInvoiceExtractor, LocalExtractor, OpenAIExtractor } from './extractor.js';
export type { Extractor, ExtractionInput, ExtractionOutput } from './extractor.js';
export { LOCAL_PROMPT_VERSION, LOCAL_RULES_VERSION, openAIPromptVersion } from './prompt-version.js';
export { InboxWatcher, isCandidateFile, type InboxWatcherOptions } from './inbox-watcher.js';
export { discoverFiles, isUpstreamDeferral, processFiles, type ProcessPathsOptions } from './process-paths.js';
export { WorkLanes, type WorkLanesOptions } from './work-lanes.js';
export { looksComplete } from './completeness.js';
export { documentBytesError, tooLargeError } from './intake-checks.js';
export { summarize } from './outcome.js';
export type { OutcomeKind, PipelineEvent, PipelineStage, ProcessOutcome, RunSummary, SkipReason } from './outcome.js';
export { readDocumentFile, type DocumentFileRead } from './read-document-file.js';
export { DEFAULT_STABLE_FILE_OPTIONS, waitForStableFile, type StableFileOptions } from './stable-file.js';
export { moveFileSafely, renderFilingPath, safeJoin, writeErrorReport, type FilingValues } from './filing.js';
export {
  besidePdf,
  fileImageDocument,
  originalExtension,
  removeStaged,
  stageArchive,
  stagingPath,
  type ImageFiling,
} from './originals.js';
export { DocumentReview, type DocumentReviewOptions, type ReviewChange } from './review.js';
