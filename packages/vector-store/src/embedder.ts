import { errorFor } from '@autod/errors';
import type { TokenUsage } from '@autod/core';
import { fnv1a, normalize } from './hash.js';

/** Result of one {@link Embedder.embed} call: one unit-length vector per input text, in order. */
export interface EmbedResult {
  vectors: Float32Array[];
  usage?: TokenUsage;
  costUsd?: number;
}

/** Turns texts into unit-length vectors. Implementations: {@link LexicalEmbedder}, {@link OpenAIEmbedder}. */
export interface Embedder {
  /** Model id; part of every cache key (with `dimensions`). */
  readonly model: string;
  readonly dimensions: number;
  /** Cosine below which a vector hit is not relevant, calibrated for this embedder. */
  readonly defaultMinSimilarity: number;
  embed(texts: string[], signal?: AbortSignal): Promise<EmbedResult>;
}

const STOPWORDS = new Set(
  'a an and are as at be by for from has have in is it its of on or that the this to was were will with your you our we i'.split(
    ' ',
  ),
);

/** Lower-cased word tokens (letters/digits), stop words dropped. */
export function tokenize(text: string): string[] {
  const words =
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.filter((w) => (w.length > 1 || /\d/.test(w)) && !STOPWORDS.has(w));
}

export interface LexicalEmbedderOptions {
  /** Vector size (default 256). */
  dimensions?: number;
}

/**
 * The offline fallback embedder (no key, no model download): feature hashing of normalised word
 * unigrams (weight 1), word bigrams (0.6) and character trigrams of each word (0.35), sublinear
 * TF (1 + ln tf), signed hashing to cancel collisions, L2-normalised. Deterministic and fast
 * (~20 µs per 1 KB of text); captures lexical overlap and spelling variants (OCR noise, plurals),
 * not synonyms.
 */
export class LexicalEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  readonly defaultMinSimilarity = 0.05;

  constructor(options: LexicalEmbedderOptions = {}) {
    this.dimensions = options.dimensions ?? 256;
    if (!Number.isInteger(this.dimensions) || this.dimensions < 16 || this.dimensions > 4096) {
      throw errorFor(
        'CFG_INVALID',
        `Lexical embedder dimensions must be an integer in 16..4096 (got ${this.dimensions}).`,
      );
    }
    this.model = `autod-lexical-v1-${this.dimensions}`;
  }

  embedOne(text: string): Float32Array {
    const counts = new Map<string, number>();
    const add = (feature: string, weight: number): void => {
      counts.set(feature, (counts.get(feature) ?? 0) + weight);
    };
    const words = tokenize(text);
    for (let i = 0; i < words.length; i++) {
      const w = words[i] as string;
      add(`w:${w}`, 1);
      if (i + 1 < words.length) add(`b:${w} ${words[i + 1] as string}`, 0.6);
      if (w.length >= 3 && !/^\d+$/.test(w)) {
        const padded = `^${w}$`;
        for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`, 0.35);
      }
    }
    const v = new Float32Array(this.dimensions);
    for (const [feature, tf] of counts) {
      const h = fnv1a(feature);
      const idx = h % this.dimensions;
      const sign = (h >>> 31) & 1 ? -1 : 1;
      v[idx] = (v[idx] as number) + sign * (1 + Math.log(tf < 1 ? 1 : tf)) * (tf < 1 ? tf : 1);
    }
    return normalize(v);
  }

  async embed(texts: string[]): Promise<EmbedResult> {
    return { vectors: texts.map((t) => this.embedOne(t)) };
  }
}

/** The part of `@autod/api-client`'s ApiClient the OpenAI embedder uses. */
export interface EmbeddingsClient {
  embed(
    texts: string[],
    opts?: { model?: string; dimensions?: number; batchSize?: number; signal?: AbortSignal },
  ): Promise<{ vectors: number[][]; usage: TokenUsage; costUsd: number }>;
}

export interface OpenAIEmbedderOptions {
  /** Default `text-embedding-3-small`. */
  model?: string;
  /** Requested vector size (default 1536). */
  dimensions?: number;
  /** Texts per request (default 100). */
  batchSize?: number;
  /** Default 0.2 (OpenAI cosine similarities of related query/document pairs are typically 0.25..0.6). */
  minSimilarity?: number;
}

/** Embeddings from the OpenAI embeddings API (or any OpenAI-compatible server) through ApiClient. */
export class OpenAIEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  readonly defaultMinSimilarity: number;
  readonly #batchSize: number;

  constructor(
    private readonly client: EmbeddingsClient,
    options: OpenAIEmbedderOptions = {},
  ) {
    this.model = options.model ?? 'text-embedding-3-small';
    this.dimensions = options.dimensions ?? 1536;
    this.#batchSize = options.batchSize ?? 100;
    this.defaultMinSimilarity = options.minSimilarity ?? 0.2;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<EmbedResult> {
    if (texts.length === 0) return { vectors: [] };
    const out = await this.client.embed(texts, {
      model: this.model,
      dimensions: this.dimensions,
      batchSize: this.#batchSize,
      ...(signal ? { signal } : {}),
    });
    if (out.vectors.length !== texts.length) {
      throw errorFor(
        'UPSTREAM_ERROR',
        `The embeddings API returned ${out.vectors.length} vectors for ${texts.length} texts.`,
      );
    }
    const vectors = out.vectors.map((v) => {
      if (v.length !== this.dimensions) {
        throw errorFor(
          'UPSTREAM_ERROR',
          `The embeddings API returned ${v.length} dimensions, expected ${this.dimensions}; check EMBEDDING_DIMENSION for model ${this.model}.`,
        );
      }
      return normalize(Float32Array.from(v));
    });
    return { vectors, usage: out.usage, costUsd: out.costUsd };
  }
}
