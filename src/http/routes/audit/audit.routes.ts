import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../../../compose.ts';
import { toCsv, toFhirBundle } from '../../../audit/audit-formats.ts';
import { originOf, principalOf } from '../../route-access.ts';
import { patientParams } from '../patients/patients.schema.ts';
import * as s from './audit.schema.ts';

const date = (value: string | undefined) => (value ? new Date(value) : undefined);

/** Audit review (AUD-4) for Administrators, proofs for auditors (AUD-2), exports with step-up. */
export function registerAuditRoutes(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['audit'];
  const read = { permission: 'audit.read' } as const;

  app.get('/api/audit/entries', { config: { access: read }, schema: { tags, querystring: s.auditFilter, response: { 200: s.entriesReply } } }, async (request) => {
    const q = request.query;
    const entries = await services.audit.search(principalOf(request), {
      actorId: q.actorId, patientId: q.patientId, action: q.action, outcome: q.outcome, from: date(q.from), to: date(q.to), beforeSeq: q.before, limit: q.limit,
    }, originOf(request));
    return { entries, nextBefore: entries.length === q.limit ? (entries.at(-1)?.seq ?? null) : null };
  });

  app.get('/api/audit/export', { config: { access: { permission: 'audit.export', stepUp: true } }, schema: { tags, querystring: s.exportQuery } }, async (request, reply) => {
    const q = request.query;
    const principal = principalOf(request);
    const entries = await services.audit.exportEntries(principal, {
      actorId: q.actorId, patientId: q.patientId, action: q.action, outcome: q.outcome, from: date(q.from), to: date(q.to), beforeSeq: q.before, limit: q.limit,
    }, q.format, originOf(request));
    reply.header('content-disposition', `attachment; filename="clarus-audit.${q.format === 'csv' ? 'csv' : 'json'}"`);
    if (q.format === 'csv') return reply.type('text/csv; charset=utf-8').send(toCsv(entries));
    return reply.type('application/fhir+json').send(JSON.stringify(toFhirBundle(entries, new Date())));
  });

  app.get('/api/patients/:id/disclosures', { config: { access: read }, schema: { tags, params: patientParams, querystring: s.disclosuresQuery } }, async (request) => {
    await services.patients.assertVisible(principalOf(request), request.params.id);
    return { entries: await services.audit.disclosures(principalOf(request), request.params.id, date(request.query.from), date(request.query.to), originOf(request)) };
  });

  // An export leaves the system: it needs the export right and a fresh second factor, and is recorded.
  app.get('/api/patients/:id/disclosures/export', { config: { access: { permission: 'audit.export', stepUp: true } }, schema: { tags, params: patientParams, querystring: s.disclosuresExportQuery } }, async (request, reply) => {
    const principal = principalOf(request);
    await services.patients.assertVisible(principal, request.params.id);
    const entries = await services.audit.disclosures(principal, request.params.id, date(request.query.from), date(request.query.to), originOf(request));
    await services.audit.recordExport(principal, `disclosures-${request.query.format}`, entries.length, originOf(request));
    const csv = request.query.format === 'csv';
    reply.header('content-disposition', `attachment; filename="disclosures.${csv ? 'csv' : 'json'}"`);
    if (csv) return reply.type('text/csv; charset=utf-8').send(toCsv(entries));
    return reply.type('application/fhir+json').send(JSON.stringify(toFhirBundle(entries, new Date())));
  });

  app.get('/api/audit/status', { config: { access: read }, schema: { tags } }, async () => {
    const status = await services.audit.status();
    return {
      treeSize: status.treeSize,
      latestCheckpoint: status.latestCheckpoint && { treeSize: status.latestCheckpoint.treeSize, rootHash: status.latestCheckpoint.rootHash.toString('base64'), at: status.latestCheckpoint.at, keyId: status.latestCheckpoint.keyId },
      lastVerification: status.lastVerification,
    };
  });

  app.get('/api/audit/public-key', { config: { access: read }, schema: { tags } }, async () => services.audit.publicKey());

  app.get('/api/audit/checkpoints', { config: { access: read }, schema: { tags } }, async () => ({
    checkpoints: (await services.audit.checkpoints()).map((c) => ({ treeSize: c.treeSize, rootHash: c.rootHash.toString('base64'), at: c.at, keyId: c.keyId, signature: c.signature.toString('base64') })),
  }));

  app.get('/api/audit/proofs/inclusion', { config: { access: read }, schema: { tags, querystring: s.inclusionQuery } }, async (request) => {
    const proof = await services.audit.inclusion(request.query.seq, request.query.treeSize);
    return { seq: proof.seq, treeSize: proof.treeSize, leafHash: proof.leafHash.toString('base64'), proof: proof.proof.map((p) => p.toString('base64')) };
  });

  app.get('/api/audit/proofs/consistency', { config: { access: read }, schema: { tags, querystring: s.consistencyQuery } }, async (request) => {
    const proof = await services.audit.consistency(request.query.from, request.query.to);
    return { from: proof.from, to: proof.to, proof: proof.proof.map((p) => p.toString('base64')) };
  });
}
