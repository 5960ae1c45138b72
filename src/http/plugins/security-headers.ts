import type { FastifyInstance } from 'fastify';

/**
 * Exactly the headers of the security policy ("Required Security Headers"), on every response:
 * pages, API answers, errors and 404s. `X-XSS-Protection` is obsolete in current browsers but the
 * policy requires it. API answers are never cached (they carry PHI).
 */
export const policyHeaders = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'x-xss-protection': '1; mode=block',
  'content-security-policy': "default-src 'self'",
} as const;

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(policyHeaders);
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-request-id', request.id);
    if (request.url.startsWith('/api/') || request.url.startsWith('/dicom-web/')) reply.header('cache-control', 'no-store');
  });
}
