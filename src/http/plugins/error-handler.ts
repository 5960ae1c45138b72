import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ClarusError, errorCatalog, type ErrorCode, type FieldProblem } from '../../domain/error-catalog.ts';

/** Field messages written by us, so that no part of the input is ever echoed back. */
const fieldMessages: Record<string, string> = {
  invalid_type: 'is missing or has the wrong type.',
  too_big: 'is too long or too large.',
  too_small: 'is too short or too small.',
  invalid_format: 'has an invalid format.',
  invalid_value: 'is not one of the allowed values.',
  unrecognized_keys: 'contains fields that are not accepted.',
};

/** Fastify's own error codes mapped onto the catalog. */
const frameworkCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'CLARUS_ERR_MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'CLARUS_ERR_MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'CLARUS_ERR_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'CLARUS_ERR_BAD_REQUEST',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'CLARUS_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_CSRF_INVALID_TOKEN: 'CLARUS_ERR_CSRF',
  FST_CSRF_MISSING_SECRET: 'CLARUS_ERR_CSRF',
  CLARUS_ERR_RATE_LIMITED: 'CLARUS_ERR_RATE_LIMITED',
};

function classify(error: FastifyError): { code: ErrorCode; fields?: FieldProblem[] } {
  if (error instanceof ClarusError) return { code: error.code, ...(error.fields ? { fields: error.fields } : {}) };
  if (hasZodFastifySchemaValidationErrors(error)) {
    // One message per field: the first problem found, so that a form shows one line under each input.
    const fields = new Map<string, FieldProblem>();
    for (const v of error.validation) {
      const path = v.keyword === 'unrecognized_keys' ? '' : v.instancePath.replace(/^\//, '').replaceAll('/', '.');
      if (!fields.has(path)) fields.set(path, { path, message: `${path === '' ? 'The request' : 'This field'} ${fieldMessages[v.keyword] ?? 'is not valid.'}` });
    }
    return { code: 'CLARUS_ERR_VALIDATION', fields: [...fields.values()] };
  }
  const mapped = error.code ? frameworkCodes[error.code] : undefined;
  if (mapped) return { code: mapped };
  if (error instanceof SyntaxError) return { code: 'CLARUS_ERR_MALFORMED_JSON' };
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) return { code: 'CLARUS_ERR_BAD_REQUEST' };
  return { code: 'CLARUS_ERR_INTERNAL' };
}

/** Sends `{code, message, requestId}` for a catalog code. */
export function sendError(reply: FastifyReply, request: FastifyRequest, code: ErrorCode, fields?: FieldProblem[]): FastifyReply {
  const { status, message } = errorCatalog[code];
  return reply.code(status).type('application/json').send({ code, message, requestId: request.id, ...(fields ? { fields } : {}) });
}

/**
 * One handler for every error (DESIGN.md 6): a stable code, a safe message and the request id go to
 * the client; the stack trace goes only to the server log.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { code, fields } = classify(error);
    if (code === 'CLARUS_ERR_INTERNAL') {
      request.log.error({ err: error }, 'unhandled error');
    } else {
      request.log.info({ code }, 'request refused');
    }
    return sendError(reply, request, code, fields);
  });
}
