import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import type { association, Dataset as DimseDataset, requests, responses as responseTypes } from 'dcmjs-dimse';
import { ClarusError } from '../domain/error-catalog.ts';
import { isRole, servicePermissionsOf, type Permission } from '../domain/roles.ts';
import type { AuditRecorder } from '../services/audit-recorder.ts';
import type { Principal, RequestOrigin } from '../services/context.ts';
import type { DimsePeerRecord, DimsePeerService, PeerRefusal } from '../services/dimse-peer.service.ts';
import type { IngestService } from '../services/images/ingest.service.ts';
import type { SecurityEventService } from '../services/security-event.service.ts';
import { Dataset, constants, responses, Scp } from './dimse-library.ts';
import { DimseStatus, storeStatusOf, type DimseAnswer } from './dimse-status.ts';
import { parseFindIdentifier, responseIdentifier } from './find-identifier.ts';
import { findMatches, type FindServices } from './find-matches.ts';
import { part10Header } from './part10-header.ts';
import { ContextResult, decideContext, isStorageSopClass, STUDY_ROOT_FIND, PATIENT_ROOT_FIND } from './presentation-contexts.ts';
import { StoreSink } from './store-sink.ts';

/** The services a DIMSE association uses; all of them act as the peer's service account. */
export interface DimseServices extends FindServices {
  ingest: IngestService;
  dimsePeers: DimsePeerService;
  securityEvents: SecurityEventService;
  auditRecorder: AuditRecorder;
}

/** Structured log lines with ids only (never PHI, never AE titles of unknown callers). */
export interface DimseLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface ScpContext {
  services: DimseServices;
  log: DimseLogger;
  /** Clarus's own (called) AE title. */
  aeTitle: string;
  /** Largest instance accepted (the upload limit, ING-2). */
  maxBytes: number;
  /** Every operation's promise, so that a stop can wait for work in progress. */
  track(work: Promise<unknown>): void;
}

interface AcceptedPeer {
  peer: DimsePeerRecord;
  principal: Principal;
  permissions: ReadonlySet<Permission>;
}

/** Timeouts (ms): an association must be requested within 30 s of connecting; a silent peer is dropped after 60 s. */
export const scpTimeouts = { connectTimeout: 120_000, associationTimeout: 30_000, pduTimeout: 60_000 };

const trimUid = (uid: string | undefined): string => (uid ?? '').replace(/[\0 ]+$/u, '');

/**
 * One DIMSE association (PS3.7, PS3.8) handled by dcmjs-dimse's state machine, with Clarus's
 * decisions: who may associate (an allow-listed calling AE title of some tenant, addressed to our
 * called AE title, from an allowed host), which presentation contexts its role permits, and what
 * C-ECHO, C-STORE and C-FIND do — always as the peer's service account, through the services.
 */
export class ClarusScp extends Scp {
  private readonly ctx: ScpContext;
  private readonly associationId = randomUUID();
  private readonly remoteAddress: string | null;
  /** The base class keeps the socket as `socket` (untyped): ours has another name so as not to shadow it. */
  private readonly connection: Socket;
  private accepted: AcceptedPeer | undefined;
  private readonly stores = new Map<requests.CStoreRequest, { sink: StoreSink; answer: Promise<DimseAnswer> }>();
  private readonly tally = { stored: 0, refused: 0, finds: 0, echoes: 0 };
  private finished = false;

  constructor(socket: Socket, ctx: ScpContext) {
    super(socket, scpTimeouts);
    this.ctx = ctx;
    this.connection = socket;
    this.remoteAddress = socket.remoteAddress ?? null;
    // dcmjs-dimse's own Server sets these for accepted sockets; connectedTime also arms the association timeout.
    Object.assign(this, { connected: true, connectedTime: Date.now() });
    this.on('close', () => this.finish());
  }

  private origin(messageId?: number): RequestOrigin {
    return { sourceAddress: this.remoteAddress, requestId: messageId === undefined ? `dimse:${this.associationId}` : `dimse:${this.associationId}:${messageId}` };
  }

  private run(work: () => Promise<void>): void {
    this.ctx.track(work().catch((error: unknown) => {
      this.ctx.log.error({ association: this.associationId, err: error }, 'DIMSE operation failed');
    }));
  }

  override associationRequested(request: association.Association): void {
    this.run(async () => {
      try {
        await this.negotiate(request);
      } catch (error) {
        // Clarus cannot decide now (e.g. the database is unreachable): a transient rejection, so the peer retries later.
        if (!this.finished && !this.accepted) {
          const { RejectResult, RejectSource, RejectReason } = constants;
          this.finished = true;
          this.sendAssociationReject(RejectResult.Transient, RejectSource.ServiceProviderPresentation, RejectReason.TemporaryCongestion);
          this.connection.end();
        }
        throw error;
      }
    });
  }

  private async negotiate(request: association.Association): Promise<void> {
    if (request.getCalledAeTitle().trim() !== this.ctx.aeTitle) return this.refuse('called-ae', null);
    const authorization = await this.ctx.services.dimsePeers.authorize(request.getCallingAeTitle(), this.remoteAddress);
    if (!authorization.ok) return this.refuse(authorization.reason, authorization.tenantId);
    const { peer, principal } = authorization;
    const permissions = servicePermissionsOf(isRole(peer.role) ? peer.role : 'Viewer');
    let acceptedContexts = 0;
    for (const { id } of request.getPresentationContexts()) {
      const context = request.getPresentationContext(id);
      const decision = decideContext(context.getAbstractSyntaxUid(), context.getTransferSyntaxUids(), permissions);
      if (decision.result === ContextResult.Accept) {
        context.setResult(decision.result, decision.transferSyntaxUid);
        acceptedContexts += 1;
      } else {
        context.setResult(decision.result);
      }
    }
    this.accepted = { peer, principal, permissions };
    this.sendAssociationAccept();
    this.ctx.log.info({ association: this.associationId, tenantId: peer.tenantId, peer: peer.id, contexts: acceptedContexts }, 'DIMSE association accepted');
  }

  /** A-ASSOCIATE-RJ, permanent, by the service user (PS3.8 §9.3.4): the caller learns only which title was not recognized. */
  private async refuse(reason: PeerRefusal | 'called-ae', tenantId: string | null): Promise<void> {
    const { RejectResult, RejectSource, RejectReason } = constants;
    this.finished = true;
    this.ctx.log.warn({ association: this.associationId, tenantId, reason }, 'DIMSE association rejected');
    const origin = this.origin();
    try {
      // Recorded before the answer, as a refused sign-in is: the event exists once the peer knows.
      await this.ctx.services.securityEvents.record({ kind: 'dimse.association-rejected', tenantId, actorId: null, details: { reason }, ...origin });
      await this.ctx.services.auditRecorder.record({ tenantId, kind: 'anonymous', id: null }, origin, { action: 'dimse.association', outcome: 'denied', details: { reason } });
    } finally {
      this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, reason === 'called-ae' ? RejectReason.CalledAeNotRecognized : RejectReason.CallingAeNotRecognized);
      this.connection.end();
    }
  }

  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
  }

  /** A-ABORT received: the acceptor closes the transport (PS3.8 §9.2, action AA-3); the peer's ARTIM timer waits for it. */
  override abort(): void {
    this.ctx.log.warn({ association: this.associationId }, 'DIMSE association aborted by the peer');
    this.finish();
    this.connection.destroy();
  }

  /** The association is over (released, aborted or the connection lost): unfinished data sets are dropped. */
  private finish(): void {
    for (const { sink } of this.stores.values()) sink.abort();
    this.stores.clear();
    if (this.finished || !this.accepted) return;
    this.finished = true;
    const { principal, peer } = this.accepted;
    this.ctx.log.info({ association: this.associationId, tenantId: peer.tenantId, peer: peer.id, ...this.tally }, 'DIMSE association ended');
    this.run(() => this.ctx.services.auditRecorder.recordFor(principal, this.origin(), { action: 'dimse.association', outcome: 'success', resourceType: 'dimse-peer', resourceId: peer.id, details: this.tally }));
  }

  override cEchoRequest(request: requests.CEchoRequest, callback: (response: responseTypes.CEchoResponse) => void): void {
    this.tally.echoes += 1;
    const response = responses.CEchoResponse.fromRequest(request);
    response.setStatus(DimseStatus.Success);
    callback(response);
  }

  /**
   * The first fragment of a C-STORE data set: the ingest pipeline starts now and reads the Part 10
   * stream (header + fragments) while the rest arrives, so that scanning overlaps the transfer.
   */
  override createStoreWritableStream(context: association.PresentationContext, request: requests.CStoreRequest): Writable {
    const accepted = this.accepted;
    const sopClassUid = trimUid(request.getAffectedSopClassUid());
    // PS3.7 §9.1.1.1: the Affected SOP Class is the abstract syntax of the context the request came on.
    const forbidden: DimseAnswer = { status: DimseStatus.NotAuthorized, comment: 'CLARUS_ERR_FORBIDDEN' };
    const refusal = !accepted?.permissions.has('images.upload') ? forbidden
      : !isStorageSopClass(sopClassUid) || trimUid(context.getAbstractSyntaxUid()) !== sopClassUid ? { status: DimseStatus.SopClassNotSupported, comment: 'CLARUS_DIMSE_SOP_CLASS_NOT_SUPPORTED' }
        : undefined;
    if (!accepted || refusal) {
      // The fragments that follow are dropped; the answer is ready before they end.
      const sink = new StoreSink(null, 0);
      sink.stop();
      this.stores.set(request, { sink, answer: Promise.resolve(refusal ?? forbidden) });
      return sink;
    }
    const header = part10Header({
      sopClassUid, sopInstanceUid: trimUid(request.getAffectedSopInstanceUid()),
      transferSyntaxUid: trimUid(context.getAcceptedTransferSyntaxUid()), sendingAeTitle: accepted.peer.aeTitle, receivingAeTitle: this.ctx.aeTitle,
    });
    const sink = new StoreSink(header, this.ctx.maxBytes, { pause: () => this.connection.pause(), resume: () => this.connection.resume() });
    const ingest = this.ctx.services.ingest.ingest(accepted.principal, { source: sink.source, declaredSize: null, contentType: 'application/dicom', patientId: null, channel: 'dimse', holdUnmatched: true }, this.origin(request.getMessageId()));
    const answer = ingest.then(
      (outcome): DimseAnswer => {
        // Unmatched DICOM held for reconciliation is durably kept: Success (PS3.4 §B.2.3), as the SCP
        // has taken responsibility for the instance; the modality must not resend it.
        const held = outcome.status === 'reconciliation';
        this.ctx.log.info({ association: this.associationId, tenantId: accepted.peer.tenantId, ...(held ? { reconciliation: outcome.reconciliationId } : { instance: outcome.instanceId }), status: outcome.status }, held ? 'DIMSE C-STORE held for reconciliation' : 'DIMSE C-STORE stored');
        return { status: DimseStatus.Success, comment: null };
      },
      (error: unknown): DimseAnswer => {
        sink.stop();
        const code = error instanceof ClarusError ? error.code : 'CLARUS_ERR_INTERNAL';
        if (!(error instanceof ClarusError)) this.ctx.log.error({ association: this.associationId, err: error }, 'DIMSE C-STORE failed');
        else this.ctx.log.info({ association: this.associationId, tenantId: accepted.peer.tenantId, code }, 'DIMSE C-STORE refused');
        return storeStatusOf(code);
      },
    );
    this.ctx.track(answer);
    this.stores.set(request, { sink, answer });
    return sink;
  }

  /** The data set stays as bytes in the pipeline; dcmjs-dimse gets an empty one (no parse, nothing dropped). */
  override createDatasetFromStoreWritableStream(_writable: Writable, context: association.PresentationContext, callback: (dataset: DimseDataset) => void): void {
    callback(new Dataset({}, context.getAcceptedTransferSyntaxUid()));
  }

  override cStoreRequest(request: requests.CStoreRequest, callback: (response: responseTypes.CStoreResponse) => void): void {
    const store = this.stores.get(request);
    this.stores.delete(request);
    this.run(async () => {
      // A C-STORE without a data set cannot be stored (PS3.7 §9.1.1: the data set is mandatory).
      const answer = store ? await store.answer : { status: DimseStatus.CannotUnderstand, comment: 'CLARUS_ERR_FILE_NOT_DICOM_PART10' };
      if (answer.status === DimseStatus.Success) this.tally.stored += 1;
      else this.tally.refused += 1;
      const response = responses.CStoreResponse.fromRequest(request);
      response.setStatus(answer.status);
      if (answer.comment) response.setErrorComment(answer.comment);
      callback(response);
    });
  }

  override cFindRequest(request: requests.CFindRequest, callback: (responses: responseTypes.CFindResponse[]) => void): void {
    this.tally.finds += 1;
    this.run(async () => callback(await this.find(request)));
  }

  private async find(request: requests.CFindRequest): Promise<responseTypes.CFindResponse[]> {
    const sopClass = trimUid(request.getAffectedSopClassUid());
    const answer = (status: number) => {
      const response = responses.CFindResponse.fromRequest(request);
      // fromRequest names Study Root whatever the request's model: answer with the request's own.
      response.setAffectedSopClassUid(sopClass);
      response.setStatus(status);
      return response;
    };
    const final = (status: number, comment: string | null) => {
      const response = answer(status);
      if (comment) response.setErrorComment(comment);
      return response;
    };
    const accepted = this.accepted;
    if (!accepted || !accepted.permissions.has('images.read')) return [final(DimseStatus.NotAuthorized, 'CLARUS_ERR_FORBIDDEN')];
    if (sopClass !== STUDY_ROOT_FIND && sopClass !== PATIENT_ROOT_FIND) return [final(DimseStatus.DoesNotMatchSopClass, 'CLARUS_DIMSE_MODEL_NOT_SUPPORTED')];
    const identifier = request.getDataset();
    const parsed = parseFindIdentifier(identifier?.getElements() ?? {}, sopClass === STUDY_ROOT_FIND);
    // PS3.4 §C.4.1.1.4: A900 "Identifier does not match SOP Class" — no or an unknown Query/Retrieve Level.
    if (!parsed.ok) return [final(DimseStatus.DoesNotMatchSopClass, 'CLARUS_DIMSE_LEVEL_NOT_SUPPORTED')];
    try {
      const found = await findMatches(this.ctx.services, accepted.principal, parsed.query, this.origin(request.getMessageId()));
      if (!found.ok) return [final(DimseStatus.OutOfResources, 'CLARUS_DIMSE_TOO_MANY_MATCHES')];
      const transferSyntax = identifier?.getTransferSyntaxUid();
      const pending = found.matches.map((match) => {
        const response = answer(DimseStatus.Pending);
        response.setDataset(new Dataset(responseIdentifier(parsed.query, match), transferSyntax));
        return response;
      });
      this.ctx.log.info({ association: this.associationId, tenantId: accepted.peer.tenantId, level: parsed.query.level, matches: pending.length }, 'DIMSE C-FIND answered');
      return [...pending, final(DimseStatus.Success, null)];
    } catch (error) {
      const code = error instanceof ClarusError ? error.code : 'CLARUS_ERR_INTERNAL';
      if (!(error instanceof ClarusError)) this.ctx.log.error({ association: this.associationId, err: error }, 'DIMSE C-FIND failed');
      return [final(code === 'CLARUS_ERR_AUDIT_UNAVAILABLE' ? DimseStatus.OutOfResources : DimseStatus.CannotUnderstand, code.slice(0, 64))];
    }
  }
}
