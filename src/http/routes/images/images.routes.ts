import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../../../compose.ts';
import { originOf, principalOf } from '../../route-access.ts';
import * as s from './images.schema.ts';

function declaredSize(request: FastifyRequest): number | null {
  const value = request.headers['content-length'];
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : null;
}

function contentType(request: FastifyRequest): string | undefined {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
}

/**
 * Images (issue 6): one file per request as the raw body (the web app shows a progress bar per file),
 * to a chosen patient or — for DICOM — matched by Patient ID; studies per patient; instance files.
 * Upload bodies are never parsed by fastify: the ingest pipeline reads the stream with its own limit.
 */
export function registerImageRoutes(root: FastifyInstance, services: Services): void {
  root.addContentTypeParser(s.uploadMediaTypes, (_request, payload, done) => done(null, payload));
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['images'];
  const upload = { permission: 'images.upload' } as const;
  const read = { permission: 'images.read' } as const;

  const ingest = async (request: FastifyRequest, reply: FastifyReply, patientId: string | null, studyId: string | null) => {
    try {
      return await services.ingest.ingest(principalOf(request), {
        source: request.body as Readable, declaredSize: declaredSize(request), contentType: contentType(request), patientId, studyId, channel: 'upload', holdUnmatched: true,
      }, originOf(request));
    } catch (error) {
      // A refused upload may not have been read to its end: the connection closes after the answer,
      // instead of the server reading (or a client sending) the rest of an oversize body.
      void reply.header('connection', 'close');
      throw error;
    }
  };

  app.post('/api/patients/:id/images', { config: { access: upload }, schema: { tags, params: s.patientParams, querystring: s.uploadQuery, response: { 200: s.uploadReply, 201: s.uploadReply } } },
    async (request, reply) => {
      const outcome = await ingest(request, reply, request.params.id, request.query.studyId ?? null);
      // A chosen patient is never held for reconciliation (a mismatch is refused instead).
      if (outcome.status === 'reconciliation') throw new Error('an upload to a chosen patient was held for reconciliation');
      return reply.code(outcome.status === 'stored' ? 201 : 200).send(outcome);
    });

  // 202 Accepted (RFC 9110 §15.3.3): unmatched DICOM is kept, but not yet filed to a patient.
  app.post('/api/images', { config: { access: upload }, schema: { tags, response: { 200: s.uploadReply, 201: s.uploadReply, 202: s.heldReply } } },
    async (request, reply) => {
      const outcome = await ingest(request, reply, null, null);
      if (outcome.status === 'reconciliation') return reply.code(202).send(outcome);
      return reply.code(outcome.status === 'stored' ? 201 : 200).send(outcome);
    });

  app.get('/api/patients/:id/studies', { config: { access: read }, schema: { tags, params: s.patientParams, querystring: s.studiesQuery, response: { 200: s.studiesReply } } },
    async (request) => ({ studies: await services.images.studies(principalOf(request), { patientId: request.params.id, ...request.query }, originOf(request)) }));

  app.get('/api/images/instances/:instanceId', { config: { access: read }, schema: { tags, params: s.instanceParams, response: { 200: s.instanceReply } } },
    async (request) => services.images.instance(principalOf(request), request.params.instanceId));

  app.get('/api/images/instances/:instanceId/file', { config: { access: read }, schema: { tags, params: s.instanceParams } },
    async (request, reply) => {
      const { instance, stream } = await services.images.open(principalOf(request), request.params.instanceId, 'download', originOf(request));
      return reply
        .header('content-type', s.storedMediaType[instance.kind])
        .header('content-disposition', `attachment; filename="${instance.id}.${s.storedExtension[instance.kind]}"`)
        .header('cache-control', 'no-store')
        .send(stream);
    });
}
