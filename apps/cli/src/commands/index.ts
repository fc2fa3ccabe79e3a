import type { CommandSpec } from '../command.js';

/**
 * Every `autod` command, in help order: the one place a command is registered. Each entry names the function that
 * defines the command's options and action; its module is imported only when the command runs or shows its help.
 */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'process',
    args: [['[paths...]', 'PDF or image files (JPEG, PNG, TIFF, WebP, GIF, AVIF), or folders']],
    summary: 'process files or folders once (default: the inbox)',
    load: async () => (await import('./process.js')).defineProcess,
  },
  {
    name: 'watch',
    args: [['[inbox]', 'folder to watch (default: the configured inbox)']],
    summary: 'watch the inbox and process new files until stopped',
    load: async () => (await import('./watch.js')).defineWatch,
  },
  { name: 'list', summary: 'list documents', load: async () => (await import('./documents.js')).defineList },
  {
    name: 'show',
    args: [['<id>', 'document id or sha256']],
    summary: 'show one document',
    load: async () => (await import('./documents.js')).defineShow,
  },
  {
    name: 'export',
    summary: 'export documents as JSON or CSV',
    load: async () => (await import('./documents.js')).defineExport,
  },
  {
    name: 'reprocess',
    args: [['<id>', 'document id or sha256']],
    summary: 'extract a document again with the current provider, model and prompt',
    load: async () => (await import('./documents.js')).defineReprocess,
  },
  {
    name: 'search',
    args: [['<query>', 'what to look for, e.g. "water bill from March"']],
    summary: 'search documents: full-text, semantic or both fused (default)',
    load: async () => (await import('./search.js')).defineSearch,
  },
  {
    name: 'reindex',
    summary: 'rebuild the search vectors of every completed document',
    load: async () => (await import('./search.js')).defineReindex,
  },
  {
    name: 'review',
    args: [['[id]', 'document id or sha256 to accept or correct']],
    summary: 'documents whose key fields need a person: list, accept or correct them',
    load: async () => (await import('./review.js')).defineReview,
  },
  {
    name: 'batch',
    args: [['[paths...]', 'PDF or image files, or folders (default: the inbox)']],
    summary: 'process a folder in bulk: live, OpenAI Batch API or a Redis queue',
    load: async () => (await import('./batch.js')).defineBatch,
  },
  {
    name: 'worker',
    summary: 'take documents from the Redis queue until SIGTERM',
    load: async () => (await import('./batch.js')).defineWorker,
  },
  {
    name: 'estimate',
    args: [['[paths...]', 'PDF or image files, or folders (default: the inbox)']],
    summary: 'count files, pages and tokens and price a run per model',
    load: async () => (await import('./batch.js')).defineEstimate,
  },
  {
    name: 'costs',
    summary: 'tokens and dollars spent on paid calls (calls in flight at their estimate)',
    load: async () => (await import('./admin.js')).defineCosts,
  },
  {
    name: 'serve',
    summary: 'run the HTTP API and the web app (needs AUTOD_SERVER_TOKEN)',
    load: async () => (await import('./serve.js')).defineServe,
  },
  {
    name: 'doctor',
    summary: 'check config, database, API key, folders and OCR data',
    load: async () => (await import('./admin.js')).defineDoctor,
  },
  {
    name: 'migrate',
    args: [['[action]', 'up | down | status', 'up']],
    summary: 'database migrations (documents, vector index and batch tables)',
    load: async () => (await import('./admin.js')).defineMigrate,
  },
  {
    name: 'config',
    summary: 'print the effective configuration (secrets redacted)',
    load: async () => (await import('./admin.js')).defineConfig,
  },
  {
    name: 'demo',
    summary: 'process the bundled sample scans in a fresh ./autod-demo folder',
    load: async () => (await import('./demo.js')).defineDemo,
  },
];
