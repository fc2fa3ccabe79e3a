import { ApiError } from './http-util.js';

type Json = Record<string, unknown>;

/**
 * How the real Responses API treats the generation parameters autod sends, per model family (as OpenAI documents
 * them; written independently of `@autod/api-client` so that a wrong table there fails against the emulator):
 * - `reasoning.effort`: reasoning models only (gpt-5*, o-series); gpt-5-pro takes only `high`; o-series and gpt-5.x
 *   have no `minimal`. Anything else answers 400 `unsupported_parameter` / `unsupported_value`.
 * - `text.verbosity`: gpt-5 models take low/medium/high; every other model only its default `medium`.
 * - `max_output_tokens`: at least 16 and at most the model's output limit.
 */
interface Rules {
  efforts: readonly string[];
  verbosity: readonly string[];
  maxOutput?: number;
}

const ALL_EFFORTS = ['minimal', 'low', 'medium', 'high'];

function rulesFor(model: string): Rules {
  const m = model.replace(/-\d{4}-\d{2}-\d{2}$/, '');
  if (m === 'gpt-5-pro') return { efforts: ['high'], verbosity: ['low', 'medium', 'high'], maxOutput: 272_000 };
  if (/^gpt-5(-mini|-nano)?$/.test(m))
    return { efforts: ALL_EFFORTS, verbosity: ['low', 'medium', 'high'], maxOutput: 128_000 };
  if (/^gpt-5\.\d+/.test(m))
    return { efforts: ['low', 'medium', 'high'], verbosity: ['low', 'medium', 'high'], maxOutput: 128_000 };
  if (/^o\d/.test(m)) return { efforts: ['low', 'medium', 'high'], verbosity: ['medium'], maxOutput: 100_000 };
  if (/^gpt-4\.1/.test(m)) return { efforts: [], verbosity: ['medium'], maxOutput: 32_768 };
  if (/^gpt-4o/.test(m)) return { efforts: [], verbosity: ['medium'], maxOutput: 16_384 };
  // Any other name (tests use their own): permissive, like an OpenAI-compatible server that ignores what it does not know.
  return { efforts: ALL_EFFORTS, verbosity: ['low', 'medium', 'high'] };
}

const list = (xs: readonly string[]): string => xs.map((x) => `'${x}'`).join(', ');

/** Throws the API's 400 for a parameter the model rejects; returns the effective effort and verbosity to echo. */
export function checkGenerationParams(model: string, body: Json): { effort: string | null; verbosity: string } {
  const rules = rulesFor(model);
  const reasoning = body['reasoning'];
  let effort: string | null = null;
  if (reasoning !== undefined && reasoning !== null) {
    const e = (reasoning as Json)['effort'];
    if (e !== undefined && e !== null) {
      if (rules.efforts.length === 0) {
        throw new ApiError(
          400,
          "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
          'invalid_request_error',
          'unsupported_parameter',
          'reasoning.effort',
        );
      }
      if (typeof e !== 'string' || !rules.efforts.includes(e)) {
        throw new ApiError(
          400,
          `Unsupported value: 'reasoning.effort' does not support '${typeof e === 'string' ? e : JSON.stringify(e)}' with this model. Supported values are: ${list(rules.efforts)}.`,
          'invalid_request_error',
          'unsupported_value',
          'reasoning.effort',
        );
      }
      effort = e;
    }
  }
  const text = body['text'];
  const v = text && typeof text === 'object' ? (text as Json)['verbosity'] : undefined;
  if (v !== undefined && v !== null && (typeof v !== 'string' || !rules.verbosity.includes(v))) {
    throw new ApiError(
      400,
      `Unsupported value: 'text.verbosity' does not support '${typeof v === 'string' ? v : JSON.stringify(v)}' with this model. Supported values are: ${list(rules.verbosity)}.`,
      'invalid_request_error',
      'unsupported_value',
      'text.verbosity',
    );
  }
  const max = body['max_output_tokens'];
  if (max !== undefined && max !== null) {
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 16) {
      throw new ApiError(
        400,
        `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got ${JSON.stringify(max)} instead.`,
        'invalid_request_error',
        'integer_below_min_value',
        'max_output_tokens',
      );
    }
    if (rules.maxOutput !== undefined && max > rules.maxOutput) {
      throw new ApiError(
        400,
        `max_output_tokens is too large: ${max}. This model supports at most ${rules.maxOutput} output tokens.`,
        'invalid_request_error',
        'invalid_value',
        'max_output_tokens',
      );
    }
  }
  return {
    effort: effort ?? (rules.efforts.length > 0 ? 'medium' : null),
    verbosity: typeof v === 'string' ? v : 'medium',
  };
}
