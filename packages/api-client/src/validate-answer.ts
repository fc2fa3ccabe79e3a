import { parseDocumentMetadata, type DocumentMetadata } from '@autod/core';

/** The follow-up message of the repair round. */
export function repairPrompt(issues: string[]): string {
  const list = issues
    .slice(0, 30)
    .map((i) => `- ${i}`)
    .join('\n');
  return [
    'Your previous answer is not valid against the required JSON schema. Problems found:',
    list,
    'Answer again with one JSON object that fixes every problem listed, keeps everything that was correct, and follows the schema exactly. Output only the JSON.',
  ].join('\n');
}

/**
 * Parse and validate a model answer. The echo fields are overwritten with the values we sent,
 * so a model that mangles a file name cannot corrupt them.
 */
export function validateAnswer(
  text: string,
  problem: string | undefined,
  echo: { fileName?: string; sourceFileId?: string; processedAt?: string } = {},
): { ok: true; data: DocumentMetadata } | { ok: false; issues: string[] } {
  if (problem) return { ok: false, issues: [problem] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, issues: [`the answer is not valid JSON (${(error as Error).message})`] };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    if (echo.processedAt !== undefined) obj.processed_date = echo.processedAt;
    if (echo.fileName !== undefined) obj.original_file_name = echo.fileName;
    if (echo.sourceFileId !== undefined) obj.source_file_id = echo.sourceFileId;
  }
  const parsed = parseDocumentMetadata(value);
  return parsed.ok ? { ok: true, data: parsed.data } : { ok: false, issues: parsed.issues };
}
