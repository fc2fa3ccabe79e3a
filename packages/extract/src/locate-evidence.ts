import { EVIDENCE_FIELDS, type DocumentMetadata } from '@autod/core';
import { boxFor, type EvidencePage } from './rules/evidence.js';

/**
 * Fill in where on the page each key field was read, for evidence that names its source text but has no box (the
 * model quotes the span it read; only the reader knows the geometry). The page the evidence names is searched first,
 * then every page; a span found on another page corrects the page number. Evidence that already has a box, or no
 * source text, is left as it is. Returns a new object when something changed.
 */
export function locateEvidence(metadata: DocumentMetadata, pages: readonly EvidencePage[]): DocumentMetadata {
  if (!pages.some((p) => p.lines && p.lines.length > 0)) return metadata;
  let out: DocumentMetadata | undefined;
  for (const field of EVIDENCE_FIELDS) {
    const ev = metadata.field_evidence[field];
    if (!ev || ev.box !== null || !ev.source_text) continue;
    const source = ev.source_text.replace(/\s+/g, ' ').trim();
    if (source.length === 0) continue;
    const named = pages.find((p) => p.page === ev.page);
    const order = named ? [named, ...pages.filter((p) => p !== named)] : pages;
    for (const page of order) {
      const box = boxFor(page, source);
      if (!box) continue;
      out ??= structuredClone(metadata);
      out.field_evidence[field] = { ...ev, page: page.page, box };
      break;
    }
  }
  return out ?? metadata;
}
