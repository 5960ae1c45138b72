import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

/**
 * MON-2: structured pino logs without PHI or secrets. Requests are logged by route pattern (never the
 * raw URL, whose query could carry search terms); cookies, tokens and bodies are never logged; error
 * messages (which can quote database values) are dropped, only their type, code and stack frames kept.
 */
export const redactedPaths = [
  'req.headers.cookie', 'req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]', '*.password', '*.token', '*.secret',
];

function serializeError(error: Error): { type: string; message: string; stack: string; code?: unknown } {
  const frames = (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at '));
  return { type: error.constructor.name, message: '[dropped]', code: (error as { code?: unknown }).code, stack: frames.join('\n') };
}

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: {
      req: (request: { method: string; routeOptions?: { url?: string }; id: string }) => ({
        method: request.method, route: request.routeOptions?.url ?? 'unmatched', id: request.id,
      }),
      res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
      err: serializeError,
    },
  };
}

export type Logger = FastifyBaseLogger;
