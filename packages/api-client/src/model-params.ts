/** Reasoning effort values autod can ask for (`AUTOD_REASONING_EFFORT`). */
export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high';
/** Output verbosity values (`AUTOD_VERBOSITY`). */
export type Verbosity = 'low' | 'medium' | 'high';

const EFFORT_ORDER: readonly ReasoningEffort[] = ['minimal', 'low', 'medium', 'high'];

/** What a model accepts in a Responses request, as far as autod sends it. */
export interface ModelParams {
  /** Reasoning efforts the model accepts; empty: it is not a reasoning model and rejects `reasoning`. */
  readonly reasoningEfforts: readonly ReasoningEffort[];
  /** Whether it takes `text.verbosity` other than its default (only gpt-5 models do). */
  readonly verbosity: boolean;
  /** Its largest `max_output_tokens`, when known. */
  readonly maxOutputTokens: number | undefined;
}

const SNAPSHOT = '(-\\d{4}-\\d{2}-\\d{2})?$';
const FAMILIES: readonly [RegExp, ModelParams][] = [
  // gpt-5-pro defaults to, and only takes, high effort (openai-node's ReasoningEffort docs).
  [new RegExp(`^gpt-5-pro${SNAPSHOT}`), { reasoningEfforts: ['high'], verbosity: true, maxOutputTokens: 272_000 }],
  [
    new RegExp(`^gpt-5(-mini|-nano)?${SNAPSHOT}`),
    { reasoningEfforts: EFFORT_ORDER, verbosity: true, maxOutputTokens: 128_000 },
  ],
  // Later gpt-5.x models: no `minimal` on every one of them, so autod asks for low at least.
  [
    /^gpt-5\.\d+(-mini|-nano)?(-\d{4}-\d{2}-\d{2})?$/,
    { reasoningEfforts: ['low', 'medium', 'high'], verbosity: true, maxOutputTokens: 128_000 },
  ],
  // o-series reasoning models: low/medium/high, no verbosity.
  [
    /^o[134](-mini)?(-\d{4}-\d{2}-\d{2})?$/,
    { reasoningEfforts: ['low', 'medium', 'high'], verbosity: false, maxOutputTokens: 100_000 },
  ],
  [
    /^gpt-4\.1(-mini|-nano)?(-\d{4}-\d{2}-\d{2})?$/,
    { reasoningEfforts: [], verbosity: false, maxOutputTokens: 32_768 },
  ],
  [/^gpt-4o(-mini)?(-\d{4}-\d{2}-\d{2})?$/, { reasoningEfforts: [], verbosity: false, maxOutputTokens: 16_384 }],
];

/** Any other model (an OpenAI-compatible server's own): plain `max_output_tokens`, nothing else. */
const OTHER: ModelParams = { reasoningEfforts: [], verbosity: false, maxOutputTokens: undefined };

/** What `model` accepts (by model family; unknown names get the plain set). */
export function modelParams(model: string): ModelParams {
  for (const [pattern, params] of FAMILIES) if (pattern.test(model)) return params;
  return OTHER;
}

/** The accepted effort closest to `wanted` (ties go to the higher effort). */
export function nearestEffort(wanted: ReasoningEffort, accepted: readonly ReasoningEffort[]): ReasoningEffort {
  const at = EFFORT_ORDER.indexOf(wanted);
  let best = accepted[0] ?? wanted;
  for (const e of accepted) {
    const d = Math.abs(EFFORT_ORDER.indexOf(e) - at);
    const bestD = Math.abs(EFFORT_ORDER.indexOf(best) - at);
    if (d < bestD || (d === bestD && EFFORT_ORDER.indexOf(e) > EFFORT_ORDER.indexOf(best))) best = e;
  }
  return best;
}

/** What autod sends for a model: the Responses fields, and why a configured value was changed (for a warning). */
export interface RequestParams {
  maxOutputTokens?: number;
  reasoningEffort?: ReasoningEffort;
  verbosity?: Verbosity;
  adjustments: string[];
}

/**
 * The request parameters for `model` from the configured ones: `max_output_tokens` capped at the model's limit,
 * `reasoning.effort` only for reasoning models (the nearest value the model takes), `text.verbosity` only for gpt-5
 * models. A field the model would reject is never sent.
 */
export function requestParams(
  model: string,
  wanted: {
    maxOutputTokens?: number | undefined;
    reasoningEffort?: ReasoningEffort | undefined;
    verbosity?: Verbosity | undefined;
  },
): RequestParams {
  const p = modelParams(model);
  const out: RequestParams = { adjustments: [] };
  if (wanted.maxOutputTokens !== undefined) {
    const cap = p.maxOutputTokens;
    out.maxOutputTokens = cap !== undefined ? Math.min(wanted.maxOutputTokens, cap) : wanted.maxOutputTokens;
    if (out.maxOutputTokens !== wanted.maxOutputTokens)
      out.adjustments.push(
        `max_output_tokens ${wanted.maxOutputTokens} is above ${model}'s limit: ${out.maxOutputTokens} is sent`,
      );
  }
  if (wanted.reasoningEffort !== undefined && p.reasoningEfforts.length > 0) {
    out.reasoningEffort = p.reasoningEfforts.includes(wanted.reasoningEffort)
      ? wanted.reasoningEffort
      : nearestEffort(wanted.reasoningEffort, p.reasoningEfforts);
    if (out.reasoningEffort !== wanted.reasoningEffort)
      out.adjustments.push(
        `${model} does not take reasoning effort "${wanted.reasoningEffort}": "${out.reasoningEffort}" is sent`,
      );
  }
  if (wanted.verbosity !== undefined && p.verbosity) out.verbosity = wanted.verbosity;
  return out;
}
