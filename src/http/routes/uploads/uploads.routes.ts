import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../../../compose.ts';
import { ClarusError } from '../../../domain/error-catalog.ts';
import type { UploadSession } from '../../../services/images/resumable-upload.service.ts';
import { originOf, principalOf } from '../../route-access.ts';
import * as s from './uploads.schema.ts';

/** RFC 9110 §5.6.7 IMF-fixdate, the format of Upload-Expires (tus 1.0.0 §expiration). */
function httpDate(date: Date): string {
  return date.toUTCString();
}

function mediaType(request: FastifyRequest): string | undefined {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
}

/** Headers that describe a session (tus 1.0.0 §HEAD; Upload-Expires from §expiration). */
function describe(reply: FastifyReply, upload: UploadSession): FastifyReply {
  return reply
    .header('upload-offset', String(upload.offset))
    .header('upload-length', String(upload.length))
    .header('upload-metadata', s.formatUploadMetadata(upload))
    .header('upload-expires', httpDate(upload.expiresAt));
}

/**
 * Resumable uploads with the tus 1.0.0 protocol (core + creation, termination, expiration) at
 * /api/uploads, Clarus's own implementation (docs/adr/0003-tus-own-implementation.md, contract in
 * docs/api-images.md). The same authentication, CSRF and permission as the other upload routes (the
 * root guard runs before any of this); a session exists only for its owner. Bodies are never parsed:
 * the service streams each PATCH into an encrypted chunk.
 */
export function registerUploadRoutes(root: FastifyInstance, services: Services): void {
  root.addContentTypeParser(s.OFFSET_OCTET_STREAM, (_request, payload, done) => done(null, payload));
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['uploads'];
  const config = { access: { permission: 'images.upload' } } as const;
  // tus 1.0.0 §Tus-Resumable: in every answer (errors too; OPTIONS may have it as well).
  const onSend = async (_request: FastifyRequest, reply: FastifyReply) => {
    void reply.header('tus-resumable', s.TUS_VERSION);
  };

  // tus 1.0.0 §OPTIONS: discovery. Needs the upload permission like the rest (the limit is configuration).
  app.options('/api/uploads', { config, onSend, schema: { tags } }, async (_request, reply) => reply.code(204)
    .header('tus-version', s.TUS_VERSION)
    .header('tus-extension', s.TUS_EXTENSIONS.join(','))
    .header('tus-max-size', String(services.uploads.settings.maxBytes))
    .send());

  // tus 1.0.0 §creation: Upload-Length is checked against the limit before any byte is sent (413).
  app.post('/api/uploads', { config, onSend, schema: { tags } }, async (request, reply) => {
    s.requireTusVersion(request.headers['tus-resumable']);
    if (request.headers['upload-defer-length'] !== undefined) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'Upload-Defer-Length', message: 'Declare the length with Upload-Length.' }]);
    const length = s.integerHeader(request.headers['upload-length']);
    if (length === null || length === 0) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'Upload-Length', message: 'Upload-Length must be a positive integer.' }]);
    const metadata = s.parseUploadMetadata(request.headers['upload-metadata']);
    const upload = await services.uploads.create(principalOf(request), { length, ...metadata }, originOf(request));
    return reply.code(201).header('location', `/api/uploads/${upload.id}`).header('upload-offset', '0')
      .header('upload-expires', httpDate(upload.expiresAt)).send();
  });

  // Registered before GET, which would otherwise expose its own HEAD route for the same path.
  app.head('/api/uploads/:uploadId', { config, onSend, schema: { tags, params: s.uploadParams } }, async (request, reply) => {
    s.requireTusVersion(request.headers['tus-resumable']);
    const upload = await services.uploads.status(principalOf(request), request.params.uploadId);
    // tus 1.0.0 §HEAD: Cache-Control: no-store (the security headers already set it on every API answer).
    return describe(reply, upload).code(200).send();
  });

  // Not tus: the session and its outcome as JSON, for a client whose final PATCH answer was lost.
  app.get('/api/uploads/:uploadId', { config, onSend, schema: { tags, params: s.uploadParams, response: { 200: s.uploadStatusReply } } }, async (request) => {
    const upload = await services.uploads.status(principalOf(request), request.params.uploadId);
    return { id: upload.id, length: upload.length, offset: upload.offset, state: upload.state, expiresAt: upload.expiresAt, outcome: upload.outcome };
  });

  app.patch('/api/uploads/:uploadId', { config, onSend, schema: { tags, params: s.uploadParams } }, async (request, reply) => {
    // Checked before the session is looked up: they reveal nothing, and a refused body is never read.
    try {
      s.requireTusVersion(request.headers['tus-resumable']);
      if (mediaType(request) !== s.OFFSET_OCTET_STREAM) throw new ClarusError('CLARUS_ERR_UNSUPPORTED_MEDIA_TYPE');
      const offset = s.integerHeader(request.headers['upload-offset']);
      if (offset === null) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'Upload-Offset', message: 'Upload-Offset is required.' }]);
      const source = request.body instanceof Readable ? request.body : Readable.from([]);
      const result = await services.uploads.append(principalOf(request), request.params.uploadId, {
        offset, declaredSize: s.integerHeader(request.headers['content-length']), source,
      }, originOf(request));
      // A body cut short or stopped was not read to its end: the connection cannot carry another request.
      if (!result.bodyComplete) void reply.header('connection', 'close');
      void reply.header('upload-offset', String(result.offset)).header('upload-expires', httpDate(result.expiresAt));
      if (result.outcome) {
        void reply.header('clarus-upload-status', result.outcome.status);
        if ('instanceId' in result.outcome) void reply.header('clarus-instance-id', result.outcome.instanceId);
      }
      return await reply.code(204).send();
    } catch (error) {
      // As for plain uploads: a refused PATCH may not have been read to its end.
      void reply.header('connection', 'close');
      throw error;
    }
  });

  // tus 1.0.0 §termination: 204; the chunks are removed.
  app.delete('/api/uploads/:uploadId', { config, onSend, schema: { tags, params: s.uploadParams } }, async (request, reply) => {
    s.requireTusVersion(request.headers['tus-resumable']);
    await services.uploads.terminate(principalOf(request), request.params.uploadId);
    return reply.code(204).send();
  });
}
