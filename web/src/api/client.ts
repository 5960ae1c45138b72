import { ApiError, ErrorCode, errorFromResponse, hasCode, isSessionEnd } from './errors';

/**
 * The one way the web app talks to the API: same-origin cookies, JSON in and out, the CSRF
 * token on every state-changing request, transparent token refresh, step-up and session-end
 * hooks. Nothing is ever written to localStorage or sessionStorage.
 */

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Per-call options. */
export interface RequestOptions {
  /** JSON body; omitted means no body and no content-type header. */
  body?: unknown;
  /** Do not report a 401 session error to the session-ended handler (the caller handles it). */
  quietSession?: boolean;
  /** The answer is a file (an export): resolve with a `Download` instead of parsed JSON. */
  file?: boolean;
}

/** A file the server sent as an answer (an export), with the name its content-disposition suggests. */
export interface Download {
  blob: Blob;
  /** From `content-disposition: attachment; filename="…"`, or null when the server named none. */
  filename: string | null;
  /** The answer's headers (the viewer's pixel answers describe the pixels in them). */
  headers: Headers;
}

/** Asks the user to confirm with a second factor; resolves true when step-up succeeded. */
export type StepUpHandler = () => Promise<boolean>;
/** Told when a call proved that the session is over (401 after refresh did not help). */
export type SessionEndedHandler = (code: string) => void;

interface Handlers {
  stepUp?: StepUpHandler | undefined;
  sessionEnded?: SessionEndedHandler | undefined;
}

const CSRF_PATH = '/api/auth/csrf';
const REFRESH_PATH = '/api/auth/refresh';
/** Calls after which the server may have issued a new CSRF secret (sign-in, sign-out, new session). */
const SESSION_CHANGING_PATHS = new Set([
  '/api/auth/login',
  '/api/auth/enrolment',
  '/api/auth/totp/confirm',
  '/api/auth/mfa/totp',
  '/api/auth/mfa/recovery',
  '/api/auth/mfa/webauthn/verify',
  '/api/auth/logout',
  '/api/auth/logout-all',
  '/api/auth/password',
]);

let handlers: Handlers = {};
let csrfToken: Promise<string> | null = null;
let refreshing: Promise<void> | null = null;
let steppingUp: Promise<boolean> | null = null;

/** Installs (or, with `undefined`, removes) the step-up and session-ended handlers. */
export function configureClient(next: Handlers): void {
  handlers = { ...handlers, ...next };
}

/** Forgets the CSRF token so that the next state-changing call fetches a fresh one. */
export function resetCsrfToken(): void {
  csrfToken = null;
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (!response.ok) return undefined;
    throw new ApiError({
      status: response.status,
      code: ErrorCode.badResponse,
      message: 'The server sent an answer that could not be read. Try again later.',
    });
  }
}

/** The file name of a `content-disposition` header (plain `filename="…"` only), or null. */
function filenameOf(disposition: string | null): string | null {
  const match = /filename="([^"/\\]+)"/u.exec(disposition ?? '');
  return match?.[1] ?? null;
}

/** One HTTP exchange, no retries; `file` answers are read as a Blob, errors always as JSON. */
async function send(method: Method, path: string, body: unknown, file = false): Promise<unknown> {
  const headers: Record<string, string> = { accept: file ? '*/*' : 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = await getCsrfToken();
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError({
      status: 0,
      code: ErrorCode.network,
      message: 'The Clarus server cannot be reached. Check your connection and try again.',
    });
  }
  if (response.ok && file) {
    const download: Download = { blob: await response.blob(), filename: filenameOf(response.headers.get('content-disposition')), headers: response.headers };
    return download;
  }
  const payload = await readBody(response);
  if (!response.ok) throw errorFromResponse(response.status, payload);
  return payload;
}

function getCsrfToken(): Promise<string> {
  csrfToken ??= send('GET', CSRF_PATH, undefined).then(
    (payload) => {
      const token = (payload as { csrfToken?: unknown } | undefined)?.csrfToken;
      if (typeof token !== 'string' || token === '') {
        throw new ApiError({ status: 200, code: ErrorCode.badResponse, message: 'The server sent no CSRF token.' });
      }
      return token;
    },
    (error: unknown) => {
      csrfToken = null;
      throw error;
    },
  );
  return csrfToken;
}

/** The CSRF token, for state-changing requests sent outside `request` (uploads with progress events). */
export function currentCsrfToken(): Promise<string> {
  return getCsrfToken();
}

/** On 403 CLARUS_ERR_CSRF: fetch a new token and retry once. */
async function withCsrf<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!hasCode(error, ErrorCode.csrf)) throw error;
    csrfToken = null;
    return call();
  }
}

/** Rotates the tokens; concurrent callers share one refresh so the refresh token is used once. */
function refreshTokens(): Promise<void> {
  refreshing ??= withCsrf(() => send('POST', REFRESH_PATH, undefined))
    .then(() => undefined)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** Rotates the tokens after a 401 CLARUS_ERR_TOKEN_EXPIRED of a request sent outside `request`. */
export function refreshSession(): Promise<void> {
  return refreshTokens();
}

/** On 401 CLARUS_ERR_TOKEN_EXPIRED: refresh once and retry once. */
async function withRefresh<T>(path: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (path === REFRESH_PATH || !hasCode(error, ErrorCode.tokenExpired)) throw error;
    await refreshTokens();
    return call();
  }
}

/** On 403 CLARUS_ERR_STEP_UP_REQUIRED: ask the user (one dialog for concurrent calls), then retry once. */
async function withStepUp<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const ask = handlers.stepUp;
    if (!hasCode(error, ErrorCode.stepUpRequired) || ask === undefined) throw error;
    steppingUp ??= ask().finally(() => {
      steppingUp = null;
    });
    if (!(await steppingUp)) {
      throw new ApiError({
        status: error.status,
        code: ErrorCode.stepUpCancelled,
        message: 'The action needs confirmation with your second factor and was not carried out.',
      });
    }
    return call();
  }
}

/**
 * Sends one API request with CSRF, refresh, step-up and session-end handling.
 * @returns the parsed JSON answer (undefined for 204).
 * @throws ApiError for every failure, including network errors (status 0).
 */
export async function request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
  try {
    const exchange = (): Promise<unknown> => withCsrf(() => send(method, path, options.body, options.file === true));
    return (await withStepUp(() => withRefresh(path, exchange))) as T;
  } catch (error) {
    if (isSessionEnd(error)) {
      csrfToken = null;
      if (options.quietSession !== true) handlers.sessionEnded?.(error.code);
    }
    throw error;
  } finally {
    if (SESSION_CHANGING_PATHS.has(path)) csrfToken = null;
  }
}

/** GET a JSON resource. */
export function get<T>(path: string, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
  return request<T>('GET', path, options);
}

/** GET a file (an export) as a Blob, with the same CSRF, refresh, step-up and session handling. */
export function getFile(path: string): Promise<Download> {
  return request<Download>('GET', path, { file: true });
}

/** POST, with an optional JSON body. */
export function post<T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
  return request<T>('POST', path, { ...options, body });
}

/** PUT a JSON body. */
export function put<T>(path: string, body: unknown): Promise<T> {
  return request<T>('PUT', path, { body });
}

/** DELETE a resource. */
export function del<T = void>(path: string): Promise<T> {
  return request<T>('DELETE', path);
}
