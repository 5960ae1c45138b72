import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { sendError } from '../plugins/error-handler.ts';

/**
 * Serves the built browser app (web/dist) from the same origin, so that `default-src 'self'` covers
 * it. @fastify/static only provides `sendFile` (serve: false): our own declared public routes decide
 * what is served, and paths are resolved by the plugin inside the root only.
 */
export async function registerWebApp(app: FastifyInstance, distDir: string): Promise<void> {
  const built = existsSync(join(distDir, 'index.html'));
  await app.register(fastifyStatic, { root: distDir, serve: false, index: false, dotfiles: 'deny' });

  app.get('/assets/*', { config: { access: { public: true } }, schema: { hide: true } }, async (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    if (!built || !/^[\w.-]+$/.test(file)) return sendError(reply, request, 'CLARUS_ERR_NOT_FOUND');
    return reply.header('cache-control', 'public, max-age=31536000, immutable').sendFile(`assets/${file}`);
  });

  // Every other GET outside /api is a page of the single-page app.
  app.setNotFoundHandler(async (request, reply) => {
    const isPage = request.method === 'GET' && !request.url.startsWith('/api/') && !request.url.startsWith('/dicom-web/') && !request.url.startsWith('/assets/');
    if (isPage && built) return reply.header('cache-control', 'no-store').sendFile('index.html');
    return sendError(reply, request, 'CLARUS_ERR_NOT_FOUND');
  });
}
