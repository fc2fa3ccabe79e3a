import { CSRF_HEADER, getCsrfToken, notifyUnauthorized, type Paths } from './client.js';
import { ApiError, toApiError } from './errors.js';
import type { UploadAccepted } from './models.js';

/** The upload route of the generated schema (fetch has no upload progress, so this one call uses XHR). */
export const UPLOAD_PATH = '/v1/documents' satisfies keyof Paths;

export interface UploadHandle {
  done: Promise<UploadAccepted>;
  abort(): void;
}

/** Uploads one file as multipart/form-data with progress (0..1). */
export function uploadFile(file: File, onProgress: (fraction: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<UploadAccepted>((resolve, reject) => {
    xhr.open('POST', UPLOAD_PATH);
    xhr.withCredentials = true;
    const csrf = getCsrfToken();
    if (csrf) xhr.setRequestHeader(CSRF_HEADER, csrf);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status === 202 || xhr.status === 200) {
        onProgress(1);
        resolve(body as UploadAccepted);
        return;
      }
      if (xhr.status === 401) notifyUnauthorized('Your session has ended; sign in again.');
      reject(toApiError(body, xhr.status));
    };
    xhr.onerror = () => reject(toApiError(new TypeError('network')));
    xhr.onabort = () => reject(new ApiError('Upload cancelled.', '', 'ABORTED', 0));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
