import type OpenAI from 'openai';
import type * as OpenAISdk from 'openai';

/** The `openai` module (the SDK's classes and helpers). */
export type OpenAIModule = typeof OpenAISdk;

/** An SDK client made on first use (see {@link loadOpenAI}). */
export type LazySdk = () => Promise<OpenAI>;

let loaded: OpenAIModule | undefined;
let loading: Promise<OpenAIModule> | undefined;

/**
 * The `openai` SDK, loaded on first use: it is ~240 modules (about 150 ms of CPU at start-up), and most commands of a
 * local-provider install never call the API.
 */
export async function loadOpenAI(): Promise<OpenAIModule> {
  if (loaded) return loaded;
  loading ??= import('openai').then((m) => (loaded = m));
  return loading;
}

/** The SDK module when it has been loaded (an error can only come from the SDK after it was), else undefined. */
export function loadedOpenAI(): OpenAIModule | undefined {
  return loaded;
}
