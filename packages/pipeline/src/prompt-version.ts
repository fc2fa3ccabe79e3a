import { createHash } from 'node:crypto';
import { SCHEMA_VERSION, STATIC_PROMPT_PREFIX, buildExtractionPrompt, responseTextFormat } from '@autod/core';

/**
 * Version of the offline rules (`extractOffline`): raise it with a change to the rules that changes results, so
 * an attempt's `prompt_version` tells which rules produced it.
 */
export const LOCAL_RULES_VERSION = 'rules-2';

/** What an attempt of the offline extractor records as its prompt version: the rules and the metadata schema. */
export const LOCAL_PROMPT_VERSION = `${LOCAL_RULES_VERSION}/schema-${SCHEMA_VERSION}`;

let openai: string | undefined;

/**
 * What an attempt of the OpenAI extractor records as its prompt version: `prompt-<12 hex>`, a SHA-256 of everything
 * fixed in a request (system and developer prompts, the static lines of the user message, the strict JSON schema),
 * so any change to the prompt or the schema is a new version without anyone having to remember to bump it.
 */
export function openAIPromptVersion(): string {
  if (openai === undefined) {
    const fixedUser = buildExtractionPrompt({ processedAt: '', originalFileName: '' }).user;
    const hash = createHash('sha256')
      .update(STATIC_PROMPT_PREFIX)
      .update('\n\n')
      .update(fixedUser)
      .update('\n\n')
      .update(JSON.stringify(responseTextFormat()))
      .digest('hex');
    openai = `prompt-${hash.slice(0, 12)}`;
  }
  return openai;
}
