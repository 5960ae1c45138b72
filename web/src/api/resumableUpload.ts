import { currentCsrfToken, refreshSession, resetCsrfToken } from './client';
import { ApiError, ErrorCode, errorFromResponse } from './errors';
import { contentTypeFor, type UploadOutcome, type UploadTarget } from './imageUpload';

/**
 * Resumable uploads over the tus 1.0.0 protocol (docs/api-images.md "Resumable uploads (tus)"):
 * files above {@link RESUMABLE_THRESHOLD} are sent in PATCHes of {@link CHUNK_SIZE}; after a network
 * error the client asks the server where it got to (HEAD) and continues from there.
 */
export const RESUMABLE_THRESHOLD = 8 * 1024 * 1024;
export const CHUNK_SIZE = 4 * 1024 * 1024;
/** Waits between attempts after a network error or a busy upload (about two minutes in all). */
const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 15_000, 30_000, 30_000, 30_000];
const TUS = { 'tus-resumable': '1.0.0' };
const OFFSET_MISMATCH = 'CLARUS_ERR_UPLOAD_OFFSET_MISMATCH';

const networkError = () => new ApiError({ status: 0, code: ErrorCode.network, message: 'The upload was interrupted. Check your connection and try again.' });
const cancelled = () => new ApiError({ status: 0, code: ErrorCode.client, message: 'The upload was cancelled.' });

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(cancelled());
    }, { once: true });
  });
}

/** Retries once after refreshing an expired access token or a stale CSRF token, as uploadImage does. */
async function withSession<T>(call: (token: string) => Promise<T>): Promise<T> {
  try {
    return await call(await currentCsrfToken());
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.code === ErrorCode.tokenExpired) await refreshSession();
    else if (error.code === ErrorCode.csrf) resetCsrfToken();
    else throw error;
    return call(await currentCsrfToken());
  }
}

/** One request without a body to send (POST creation, HEAD, GET status, DELETE). */
async function exchange(method: 'POST' | 'HEAD' | 'GET' | 'DELETE', url: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<Response> {
  return withSession(async (token) => {
    let response: Response;
    try {
      response = await fetch(url, {
        method, credentials: 'same-origin', cache: 'no-store', signal: signal ?? null,
        headers: { accept: 'application/json', ...TUS, ...headers, ...(method === 'GET' || method === 'HEAD' ? {} : { 'x-csrf-token': token }) },
      });
    } catch {
      throw signal?.aborted ? cancelled() : networkError();
    }
    if (!response.ok) throw errorFromResponse(response.status, method === 'HEAD' ? { code: response.status === 404 ? ErrorCode.notFound : ErrorCode.badResponse, message: 'The upload can no longer be resumed.' } : parse(await response.text()));
    return response;
  });
}

/** Upload-Metadata (tus creation): only the chosen patient and the declared type; never the file name. */
function metadata(target: UploadTarget, file: File): string {
  const b64 = (value: string) => btoa(value);
  return [`contentType ${b64(contentTypeFor(file.name))}`, ...('patientId' in target ? [`patientId ${b64(target.patientId)}`] : [])].join(',');
}

/** One PATCH with upload progress (fetch has none); resolves with the server's new offset. */
function patchChunk(url: string, offset: number, chunk: Blob, token: string, onSent: (bytes: number) => void, signal: AbortSignal | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PATCH', url);
    xhr.setRequestHeader('tus-resumable', TUS['tus-resumable']);
    xhr.setRequestHeader('content-type', 'application/offset+octet-stream');
    xhr.setRequestHeader('upload-offset', String(offset));
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('x-csrf-token', token);
    xhr.upload.onprogress = (event) => onSent(event.loaded);
    xhr.onload = () => {
      if (xhr.status === 204) resolve(Number(xhr.getResponseHeader('upload-offset')));
      else reject(errorFromResponse(xhr.status, parse(xhr.responseText)));
    };
    xhr.onerror = () => reject(networkError());
    xhr.onabort = () => reject(cancelled());
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(chunk);
  });
}

interface UploadStatus {
  offset: number;
  length: number;
  state: 'receiving' | 'finishing' | 'done';
  outcome: (UploadOutcome | { status: 'refused'; code: string }) | null;
}

/** What the completed upload came to, waiting while the server's pipeline still runs. */
async function outcomeOf(url: string, signal: AbortSignal | undefined): Promise<UploadOutcome | 'incomplete'> {
  for (;;) {
    const status = (await (await exchange('GET', url, {}, signal)).json()) as UploadStatus;
    if (status.state === 'done' && status.outcome !== null) {
      if (status.outcome.status === 'refused') {
        throw new ApiError({ status: 422, code: status.outcome.code, message: `The file was refused (${status.outcome.code}).` });
      }
      return status.outcome;
    }
    if (status.state === 'receiving') return 'incomplete';
    await wait(1000, signal);
  }
}

/** Network errors, a busy upload (423) and a stale offset (409) are resumed from the server's offset. */
function resumable(error: ApiError): boolean {
  return error.status === 0 ? error.code === ErrorCode.network : error.status === 423 || error.code === OFFSET_MISMATCH;
}

/**
 * Uploads one file with tus: creates the upload, sends it in chunks with progress (0..1), and after
 * an interruption resumes from the offset the server reports. Cancelling terminates the upload.
 * `onRetry` is told each time the connection failed and the upload waits to resume.
 * @throws ApiError with the server's code and message when the file is refused.
 */
export async function uploadResumable(target: UploadTarget, file: File, onProgress: (fraction: number) => void, signal?: AbortSignal, onRetry?: () => void): Promise<UploadOutcome> {
  const created = await exchange('POST', '/api/uploads', { 'upload-length': String(file.size), 'upload-metadata': metadata(target, file) }, signal);
  const url = created.headers.get('location');
  if (url === null || !url.startsWith('/api/uploads/')) throw new ApiError({ status: created.status, code: ErrorCode.badResponse, message: 'The server did not say where to send the file.' });
  let offset = 0;
  let known = true;
  let failures = 0;
  try {
    for (;;) {
      try {
        if (!known) {
          offset = Number((await exchange('HEAD', url, {}, signal)).headers.get('upload-offset'));
          known = true;
          onProgress(offset / file.size);
        }
        if (offset >= file.size) {
          const outcome = await outcomeOf(url, signal);
          if (outcome !== 'incomplete') return outcome;
        }
        // An empty PATCH at the end runs the server's pipeline again after it could not (tus offset = length).
        const start = offset;
        const chunk = file.slice(start, Math.min(start + CHUNK_SIZE, file.size));
        offset = await withSession((token) => patchChunk(url, start, chunk, token, (sent) => onProgress((start + sent) / file.size), signal));
        failures = 0;
        if (offset >= file.size) {
          const outcome = await outcomeOf(url, signal);
          if (outcome !== 'incomplete') return outcome;
        }
      } catch (error) {
        const failure = error instanceof ApiError ? error : networkError();
        const delay = RETRY_DELAYS_MS[failures];
        if (signal?.aborted || !resumable(failure) || delay === undefined) throw failure;
        failures += 1;
        onRetry?.();
        await wait(delay, signal);
        known = false;
      }
    }
  } catch (error) {
    // tus termination: a cancelled upload leaves nothing on the server (best effort; it also expires).
    if (signal?.aborted) void fetch(url, { method: 'DELETE', credentials: 'same-origin', headers: { ...TUS, 'x-csrf-token': await currentCsrfToken().catch(() => '') } }).catch(() => undefined);
    throw error;
  }
}
