/** One problem with one request field, as sent in the `fields` array of an API error. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** Error codes the web app reacts to (the full catalog lives on the server). */
export const ErrorCode = {
  unauthenticated: 'CLARUS_ERR_UNAUTHENTICATED',
  tokenExpired: 'CLARUS_ERR_TOKEN_EXPIRED',
  sessionExpired: 'CLARUS_ERR_SESSION_EXPIRED',
  csrf: 'CLARUS_ERR_CSRF',
  stepUpRequired: 'CLARUS_ERR_STEP_UP_REQUIRED',
  enrolmentInvalid: 'CLARUS_ERR_ENROLMENT_INVALID',
  forbidden: 'CLARUS_ERR_FORBIDDEN',
  notFound: 'CLARUS_ERR_NOT_FOUND',
  validation: 'CLARUS_ERR_VALIDATION',
  network: 'CLARUS_ERR_NETWORK',
  badResponse: 'CLARUS_ERR_BAD_RESPONSE',
  client: 'CLARUS_ERR_CLIENT',
  stepUpCancelled: 'CLARUS_ERR_STEP_UP_CANCELLED',
  consentMissing: 'CLARUS_ERR_CONSENT_MISSING',
  pixelReviewPending: 'CLARUS_ERR_PIXEL_REVIEW_PENDING',
  deidOptionRefused: 'CLARUS_ERR_DEID_OPTION_REFUSED',
} as const;

interface ApiErrorInit {
  status: number;
  code: string;
  message: string;
  fields?: FieldProblem[];
  requestId?: string;
}

/** A failed API call: HTTP status, stable `CLARUS_ERR_*` code, safe message and field problems. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldProblem[];
  readonly requestId: string | undefined;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.fields = init.fields ?? [];
    this.requestId = init.requestId;
  }

  /**
   * The message for one form field, matched on the last segment of the problem's path
   * (`password`, `body.password` and `body/password` all match `password`).
   */
  fieldMessage(name: string): string | undefined {
    return this.fields.find((f) => lastSegment(f.path) === name)?.message;
  }

  /** Field problems whose path matches none of the given field names (to show at form level). */
  otherFieldMessages(names: readonly string[]): string[] {
    return this.fields.filter((f) => !names.includes(lastSegment(f.path))).map((f) => f.message);
  }
}

function lastSegment(path: string): string {
  const parts = path.split(/[./]/u).filter((p) => p !== '');
  return parts[parts.length - 1] ?? path;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function parseFields(value: unknown): FieldProblem[] {
  if (!Array.isArray(value)) return [];
  const problems: FieldProblem[] = [];
  for (const item of value) {
    if (!isRecord(item) || typeof item.message !== 'string') continue;
    const raw = item.path;
    const path = Array.isArray(raw) ? raw.map(String).join('.') : typeof raw === 'string' ? raw : '';
    problems.push({ path, message: item.message });
  }
  return problems;
}

/** Builds an ApiError from an error response body, tolerating bodies that are not the contract shape. */
export function errorFromResponse(status: number, body: unknown): ApiError {
  if (isRecord(body) && typeof body.code === 'string' && typeof body.message === 'string') {
    return new ApiError({
      status,
      code: body.code,
      message: body.message,
      fields: parseFields(body.fields),
      ...(typeof body.requestId === 'string' ? { requestId: body.requestId } : {}),
    });
  }
  return new ApiError({
    status,
    code: ErrorCode.badResponse,
    message: `The server answered with an unexpected error (HTTP ${status}). Try again later.`,
  });
}

/** Converts anything thrown into an ApiError so that pages have one shape to display. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error && error.message !== '' ? error.message : 'Something went wrong.';
  return new ApiError({ status: 0, code: ErrorCode.client, message });
}

/** True when the error is an ApiError with the given code. */
export function hasCode(error: unknown, code: string): error is ApiError {
  return error instanceof ApiError && error.code === code;
}

/** True when the error means the session is gone (401 unauthenticated, expired or unrefreshable). */
export function isSessionEnd(error: unknown): error is ApiError {
  return (
    error instanceof ApiError &&
    error.status === 401 &&
    (error.code === ErrorCode.sessionExpired ||
      error.code === ErrorCode.unauthenticated ||
      error.code === ErrorCode.tokenExpired)
  );
}

/** An error found before anything was sent (a form check), shaped like the server's. */
export function clientError(message: string, field?: string): ApiError {
  return new ApiError({
    status: 0,
    code: ErrorCode.client,
    message,
    ...(field === undefined ? {} : { fields: [{ path: field, message }] }),
  });
}
