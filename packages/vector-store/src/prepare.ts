import { indexedFields, normalizeContentSignature, type DocumentMetadata } from '@autod/core';
import { chunkText, type ChunkOptions, type TextChunk } from './chunk.js';
import { sha256Hex } from './hash.js';
import type { DocAttributes, StoredChunk } from './local-index.js';
import type { IndexDocument } from './vector-index-types.js';

const MONTH_NAME = new Intl.DateTimeFormat('en-US', { month: 'long', timeZone: 'UTC' });

/** Date as words ("March 2024") so that queries like "bill from March" meet the date. */
function dateWords(date: string | null): string | null {
  const m = date ? /^(\d{4})-(\d{2})/.exec(date) : null;
  if (!m) return null;
  const month = Number(m[2]);
  return month >= 1 && month <= 12 ? `${MONTH_NAME.format(Date.UTC(2000, month - 1, 1))} ${m[1] as string}` : null;
}

/** The metadata line prefixed to every chunk before embedding (title, type, issuer, category, date). */
export function documentHeader(m: DocumentMetadata): string {
  const f = indexedFields(m);
  return [f.title, f.docType, f.issuer, f.subcategory ?? f.category, dateWords(f.primaryDate), ...m.tags.slice(0, 6)]
    .filter((s): s is string => Boolean(s))
    .join(' | ');
}

/** A document ready to embed: its attribute row, its chunks and the texts to embed (header + chunk). */
export interface PreparedDocument {
  attrs: DocAttributes;
  chunks: TextChunk[];
  inputs: string[];
}

/**
 * Chunk a document (by its form-feed pages, else its OCR page excerpts when the text is empty; a document without
 * text falls back to its summary) and compute its attribute row and content signature.
 */
export function prepareDocument(doc: IndexDocument, chunking: ChunkOptions | undefined): PreparedDocument {
  const m = doc.metadata;
  const f = indexedFields(m);
  const pages = doc.text.includes('\f')
    ? doc.text
    : m.ocr_page_summaries.length > 1 && doc.text.trim() === ''
      ? m.ocr_page_summaries.map((p) => p.text_excerpt)
      : doc.text;
  let chunks = chunkText(pages, chunking);
  if (chunks.length === 0) {
    const fallback = [m.summary, m.brief_description, m.ocr_text_excerpt]
      .filter((s): s is string => Boolean(s))
      .join('\n');
    chunks = fallback ? [{ index: 0, page: 1, text: fallback }] : [];
  }
  const header = documentHeader(m);
  return {
    attrs: {
      docId: doc.id,
      sha256: doc.sha256,
      category: f.category,
      docType: f.docType,
      issuer: f.issuer,
      primaryDate: f.primaryDate,
      totalAmount: f.totalAmount,
      title: f.title,
      contentSig: contentSignature(doc),
    },
    chunks,
    inputs: chunks.map((c) => (header ? `${header}\n${c.text}` : c.text)),
  };
}

/** Hash of the normalised text (or OCR excerpt); null below 40 characters (too little to call two documents alike). */
function contentSignature(doc: IndexDocument): string | null {
  const source = doc.text.trim() || doc.metadata.ocr_text_excerpt || '';
  return source.trim().length >= 40 ? sha256Hex(normalizeContentSignature(source, 512)) : null;
}

/** The chunks of `prepared` with their vectors, as the backend stores them. */
export function storedChunks(prepared: PreparedDocument, vectors: readonly Float32Array[]): StoredChunk[] {
  return prepared.chunks.map((c, i) => ({
    chunkNo: c.index,
    page: c.page,
    text: c.text,
    vector: vectors[i] as Float32Array,
  }));
}
