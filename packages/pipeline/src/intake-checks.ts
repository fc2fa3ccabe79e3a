import { checkDocumentType } from '@autod/extract';
import { errorFor, toAutodError, type AutodError } from '@autod/errors';

const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);

/**
 * The intake's size check (`INPUT_TOO_LARGE`), shared by every intake: the pipeline's `intake` step, and an HTTP upload
 * that stops reading its stream at the limit (`sizeBytes` unknown then).
 */
export function tooLargeError(fileName: string, sizeBytes: number | undefined, maxBytes: number): AutodError {
  const size = sizeBytes === undefined ? 'over' : `${mb(sizeBytes)} MB, over`;
  return errorFor(
    'INPUT_TOO_LARGE',
    `${fileName} is ${size} the ${mb(maxBytes)} MB limit; split it or raise AUTOD_MAX_FILE_MB.`,
    { details: { ...(sizeBytes !== undefined ? { sizeBytes } : {}), maxBytes } },
  );
}

/**
 * The intake's type check, shared by every intake: not empty, and a PDF or a supported image by its bytes
 * (`INPUT_EMPTY`, `INPUT_UNSUPPORTED_TYPE`); undefined when the bytes pass. The first KiBs are enough.
 */
export function documentBytesError(fileName: string, bytes: Uint8Array): AutodError | undefined {
  try {
    checkDocumentType(bytes, fileName);
    return undefined;
  } catch (error) {
    return toAutodError(error);
  }
}
