import {
  FieldCorrectionsSchema,
  acceptExtraction,
  applyCorrections,
  correctableValue,
  formatIssues,
  indexedFields,
  reviewReasons,
  type CorrectableField,
  type DocumentMetadata,
  type FieldCorrections,
} from '@autod/core';
import type { Database, DocumentRow } from '@autod/db';
import { errorFor } from '@autod/errors';

export interface DocumentReviewOptions {
  /** Key fields under this confidence keep a document in the review queue (AUTOD_REVIEW_THRESHOLD). */
  reviewThreshold: number;
}

export interface ReviewChange {
  /** Field values to set; validated like the metadata fields they replace. */
  fields?: Record<string, unknown>;
  /** Confirm the extraction (after the corrections, if any): the document leaves the review queue. */
  accept?: boolean;
  /** Who did it (audited): e.g. `cli:alice`, `http`. */
  actor: string;
  note?: string;
}

/**
 * The review queue and a person's corrections: documents with a key field under the confidence threshold wait
 * here; a correction or an acceptance is stored (append-only, audited) and applied to the document's metadata and
 * columns in one transaction. Corrections survive `reprocess` (see {@link DocumentReview.reapply}).
 */
export class DocumentReview {
  constructor(
    private readonly db: Database,
    private readonly options: DocumentReviewOptions,
  ) {}

  /** Completed documents that need a review, oldest first. */
  async queue(page: { limit?: number; offset?: number } = {}): Promise<{ items: DocumentRow[]; total: number }> {
    return this.db.documents.list({
      status: 'completed',
      needsReview: true,
      orderBy: 'createdAt',
      order: 'asc',
      limit: page.limit ?? 50,
      offset: page.offset ?? 0,
    });
  }

  /** Apply corrections and/or accept. Throws DOCUMENT_NOT_FOUND, VALIDATION_FAILED (bad field or value). */
  async change(idOrSha: number | string, change: ReviewChange): Promise<DocumentRow> {
    const doc = await this.db.documents.get(idOrSha);
    if (!doc) throw errorFor('DOCUMENT_NOT_FOUND', `No document ${idOrSha}; autod list shows them.`);
    if (doc.status !== 'completed' || !doc.metadata) {
      throw errorFor(
        'VALIDATION_FAILED',
        `Document ${doc.id} is ${doc.status}; only completed documents can be reviewed.`,
      );
    }
    const parsed = FieldCorrectionsSchema.safeParse(change.fields ?? {});
    if (!parsed.success) {
      throw errorFor('VALIDATION_FAILED', `Invalid correction: ${formatIssues(parsed.error).join('; ')}`, {
        details: { issues: formatIssues(parsed.error) },
      });
    }
    const corrections = parsed.data;
    const names = (Object.keys(corrections) as CorrectableField[]).filter((k) => corrections[k] !== undefined);
    if (names.length === 0 && !change.accept) {
      throw errorFor('VALIDATION_FAILED', 'Nothing to do: give fields to correct, accept, or both.');
    }
    const before: DocumentMetadata = doc.metadata;
    let metadata = applyCorrections(before, corrections, change.actor);
    if (change.accept) metadata = acceptExtraction(metadata);
    const reasons = change.accept ? [] : reviewReasons(metadata, this.options.reviewThreshold);
    return this.db.transaction(async (trx) => {
      for (const field of names) {
        await trx.corrections.record({
          documentId: doc.id,
          kind: 'correct',
          field,
          value: corrections[field],
          previous: correctableValue(before, field),
          actor: change.actor,
          note: change.note ?? null,
        });
      }
      if (change.accept) {
        await trx.corrections.record({
          documentId: doc.id,
          kind: 'accept',
          actor: change.actor,
          note: change.note ?? null,
        });
      }
      const row = await trx.documents.updateReviewed(doc.id, {
        metadata,
        fields: indexedFields(metadata),
        reviewReasons: reasons,
      });
      await trx.audit.write({
        actor: change.actor,
        action: change.accept ? 'document.review.accepted' : 'document.corrected',
        documentId: doc.id,
        details: { fields: names, ...(change.note ? { note: change.note } : {}) },
      });
      return row;
    });
  }

  /** A new extraction of a reviewed document with the person's corrections in force re-applied. */
  async reapply(
    documentId: number,
    metadata: DocumentMetadata,
  ): Promise<{ metadata: DocumentMetadata; applied: string[] }> {
    const stored = await this.db.corrections.inForce(documentId);
    // Each stored value is validated again (a field the schema no longer accepts is skipped, not applied blindly).
    const inForce: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(stored)) {
      if (FieldCorrectionsSchema.safeParse({ [field]: value }).success) inForce[field] = value;
    }
    const valid: FieldCorrections = FieldCorrectionsSchema.parse(inForce);
    const applied = Object.keys(valid);
    if (applied.length === 0) return { metadata, applied };
    return { metadata: applyCorrections(metadata, valid, 'an earlier review'), applied };
  }
}
