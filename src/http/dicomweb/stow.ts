import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import type { Services } from '../../compose.ts';
import { ClarusError, type ErrorCode } from '../../domain/error-catalog.ts';
import type { Principal, RequestOrigin } from '../../services/context.ts';
import { element, sortedByTag, type DicomJson } from './dicom-json.ts';
import { MultipartError, parseMediaType, readMultipart, type MultipartLimits, type Part } from './multipart-related.ts';
import { isValidUid } from './uids.ts';

/**
 * STOW-RS (PS3.18 §10.5): a multipart/related body of DICOM Part 10 instances, each taken through
 * the one ingest pipeline (size limit, malware scan, validation, patient match by Patient ID ↔ MRN,
 * encryption, index, audit) as if it had been uploaded alone, streamed from the request into the
 * pipeline. Each part is stored or refused on its own, as the standard allows: the answer says which
 * were stored and why the others were not (§10.5.3). Parts whose objects are written are indexed
 * several to a transaction, with one audit append (IndexBatch); a part refused there is indexed
 * again alone, so it does not take the others with it.
 */

/** Failure Reason (0008,1197) values (PS3.18 §10.5.3 with the C-STORE statuses of PS3.4 Annex B.2.3). */
export const FailureReason = {
  /** Refused: out of resources — over a size limit, or a dependency (scanner, audit log) unavailable: retry later. */
  outOfResources: 0xa700,
  /** Error: data set does not match SOP Class — identifiers missing, invalid or contradictory, or not of the study in the URL. */
  dataSetMismatch: 0xa900,
  /** Error: cannot understand — not a well-formed DICOM Part 10 instance. */
  cannotUnderstand: 0xc000,
  /** Processing failure — refused by policy: malware, no matching patient, a conflicting instance. */
  processingFailure: 0x0110,
} as const;

const reasonOf: Partial<Record<ErrorCode, number>> = {
  CLARUS_ERR_FILE_TOO_LARGE: FailureReason.outOfResources,
  CLARUS_ERR_FILE_DIMENSIONS: FailureReason.outOfResources,
  CLARUS_ERR_FILE_DECOMPRESSION_BOMB: FailureReason.outOfResources,
  CLARUS_ERR_FILE_SCANNER_UNAVAILABLE: FailureReason.outOfResources,
  CLARUS_ERR_AUDIT_UNAVAILABLE: FailureReason.outOfResources,
  CLARUS_ERR_UNAVAILABLE: FailureReason.outOfResources,
  CLARUS_ERR_FILE_MISSING_UID: FailureReason.dataSetMismatch,
  CLARUS_ERR_FILE_INVALID_UID: FailureReason.dataSetMismatch,
  CLARUS_ERR_FILE_UID_MISMATCH: FailureReason.dataSetMismatch,
  CLARUS_ERR_STUDY_MISMATCH: FailureReason.dataSetMismatch,
  CLARUS_ERR_FILE_UNSUPPORTED_TYPE: FailureReason.cannotUnderstand,
  CLARUS_ERR_FILE_TYPE_MISMATCH: FailureReason.cannotUnderstand,
  CLARUS_ERR_FILE_NOT_DICOM_PART10: FailureReason.cannotUnderstand,
  CLARUS_ERR_FILE_TRUNCATED: FailureReason.cannotUnderstand,
  CLARUS_ERR_FILE_MALFORMED: FailureReason.cannotUnderstand,
  CLARUS_ERR_FILE_TOO_DEEP: FailureReason.cannotUnderstand,
};

/** The Failure Reason of a refusal; anything not listed (infected, unmatched patient, conflict, internal) is a processing failure. */
export function failureReason(error: unknown): number {
  return (error instanceof ClarusError ? reasonOf[error.code] : undefined) ?? FailureReason.processingFailure;
}

export interface StowRequest {
  body: AsyncIterable<Buffer | string>;
  contentType: string | undefined;
  /** The study of `POST /studies/{study}`: instances of other studies fail (0xA900). */
  studyUid?: string | undefined;
  /** `…/dicom-web`, for Retrieve URLs. */
  base: string;
  limits: MultipartLimits;
  /**
   * Parts in the pipeline at once. A part's bytes flow only while it is the one being read from the
   * body; the earlier ones may still be validating and storing. A part whose object is written and
   * that only waits for its index transaction (IndexBatch: at most 16 wait, or 200 ms) is not counted.
   */
  maxInFlightParts: number;
  /** Unexpected failures of one part (logged by the caller; the part is reported as a processing failure). */
  onUnexpected: (error: unknown) => void;
}

export interface StowAnswer {
  /** §10.5.3: 200 all stored, 202 some stored (or held for reconciliation), 409 none stored. */
  status: 200 | 202 | 409;
  body: DicomJson;
  /** Parts held in the reconciliation list: accepted and kept, but not yet retrievable. */
  held: number;
  /** True when the body was not read to its end (the connection should close after the answer). */
  unread: boolean;
}

interface Uids {
  sopClass?: string | undefined;
  sopInstance?: string | undefined;
  study?: string | undefined;
  series?: string | undefined;
}

type PartResult = { stored: true; held: boolean; uids: Uids } | { stored: false; uids: Uids; reason: number };

const uidOf = (value: string | undefined) => {
  const v = value?.replace(/\0+$/, '').trim();
  return v && isValidUid(v) ? v : undefined;
};

/** A part's first bytes are kept for its identifiers (they precede Pixel Data; a larger head rarely helps). */
export const HEAD_BYTES = 256 * 1024;

/** SOP Class and Instance UIDs from the File Meta Information only (PS3.10 §7.1): never inflates, never reads further. */
function metaUids(bytes: Buffer): Uids {
  try {
    const meta = dicomParser.readPart10Header(bytes);
    return { sopClass: uidOf(meta.string('x00020002')), sopInstance: uidOf(meta.string('x00020003')) };
  } catch {
    return {};
  }
}

/**
 * The four UIDs of an instance the pipeline accepted (so validated, and any inflation already
 * bounded), from its first bytes; when those end before Series Instance UID, the meta's two.
 */
function storedUids(bytes: Buffer): Uids {
  try {
    const inflater = (array: Uint8Array, position: number): Uint8Array => {
      const inflated = inflateRawSync(array.subarray(position), { maxOutputLength: 64 * 1024 * 1024 });
      return Buffer.concat([array.subarray(0, position), inflated]);
    };
    const ds = dicomParser.parseDicom(bytes, { untilTag: 'x0020000e', inflater });
    return { sopClass: uidOf(ds.string('x00080016')), sopInstance: uidOf(ds.string('x00080018')), study: uidOf(ds.string('x0020000d')), series: uidOf(ds.string('x0020000e')) };
  } catch {
    return metaUids(bytes);
  }
}

function checkContentType(contentType: string | undefined): { boundary: string; partType: string } {
  const media = contentType === undefined ? undefined : parseMediaType(contentType);
  if (!media || media.essence !== 'multipart/related') throw new ClarusError('CLARUS_ERR_UNSUPPORTED_MEDIA_TYPE');
  // RFC 2387 §3.1: `type` names the root part's type; STOW-RS of DICOM JSON or XML with bulk data is not offered.
  const type = media.params.get('type')?.toLowerCase() ?? 'application/dicom';
  if (type !== 'application/dicom') throw new ClarusError('CLARUS_ERR_UNSUPPORTED_MEDIA_TYPE');
  const boundary = media.params.get('boundary');
  if (boundary === undefined) throw new ClarusError('CLARUS_ERR_MULTIPART_MALFORMED');
  return { boundary, partType: type };
}

export async function runStow(services: Services, principal: Principal, origin: RequestOrigin, request: StowRequest): Promise<StowAnswer> {
  const { boundary, partType } = checkContentType(request.contentType);
  const results: PartResult[] = [];
  // The parts' index transactions and audit appends, several parts to one (IndexBatch).
  const indexBatch = services.ingest.indexBatch(principal);
  let structural: MultipartError | undefined;

  const handle = async (part: Part, onIndexWaiting: () => void): Promise<PartResult> => {
    const type = part.headers.get('content-type');
    if (type !== undefined && parseMediaType(type)?.essence !== partType) {
      part.body.destroy();
      return { stored: false, uids: {}, reason: FailureReason.cannotUnderstand };
    }
    const length = part.headers.get('content-length');
    try {
      const outcome = await services.ingest.ingest(principal, {
        source: part.body, declaredSize: length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : null, contentType: partType,
        patientId: null, studyId: null, channel: 'stow', studyInstanceUid: request.studyUid ?? null, holdUnmatched: true, indexBatch, onIndexWaiting,
      }, origin);
      return { stored: true, held: outcome.status === 'reconciliation', uids: storedUids(part.head()) };
    } catch (error) {
      // The pipeline stopped reading: the rest of this part is skipped, and the next one can flow.
      part.body.destroy();
      if (!(error instanceof ClarusError)) request.onUnexpected(error);
      // An infected file is not parsed any further, not even for its identifiers.
      const infected = error instanceof ClarusError && error.code === 'CLARUS_ERR_FILE_INFECTED';
      return { stored: false, uids: infected ? {} : metaUids(part.head()), reason: failureReason(error) };
    }
  };

  // A part holds a slot until it is done, or until only its index transaction is left to wait for
  // (its object written): the next parts can then reach the same index transaction. Once the body is
  // read and every part still open waits for it, that transaction need not wait for more.
  const inFlight = new Set<Promise<void>>();
  const tasks: Promise<void>[] = [];
  let open = 0;
  let waiting = 0;
  let bodyRead = false;
  const nothingMoreComing = () => {
    if (bodyRead && waiting === open) indexBatch.flushNow();
  };
  try {
    for await (const part of readMultipart(request.body, boundary, { ...request.limits, headBytes: HEAD_BYTES })) {
      // Only earlier parts are waited for: their content has been read completely, so they can finish.
      while (inFlight.size >= request.maxInFlightParts) await Promise.race(inFlight);
      let free: () => void = () => undefined;
      const slot: Promise<void> = new Promise<void>((resolve) => {
        free = resolve;
      }).then(() => {
        inFlight.delete(slot);
      });
      inFlight.add(slot);
      let isWaiting = false;
      const onIndexWaiting = () => {
        isWaiting = true;
        waiting += 1;
        free();
        nothingMoreComing();
      };
      open += 1;
      tasks.push(handle(part, onIndexWaiting).then((result) => {
        results[part.index] = result;
      }).finally(() => {
        open -= 1;
        if (isWaiting) waiting -= 1;
        free();
        nothingMoreComing();
      }));
    }
  } catch (error) {
    if (!(error instanceof MultipartError)) throw error;
    structural = error;
  } finally {
    bodyRead = true;
    nothingMoreComing();
    await Promise.all(tasks);
  }
  // A body that is not multipart as declared, before anything was stored: the request is refused as a whole.
  if (structural && !results.some((r) => r.stored)) throw new ClarusError(structural.problem === 'nested' ? 'CLARUS_ERR_UNSUPPORTED_MEDIA_TYPE' : 'CLARUS_ERR_MULTIPART_MALFORMED');
  return { ...answer(results, request, structural !== undefined), unread: structural !== undefined };
}

function answer(results: PartResult[], request: StowRequest, structuralFailure: boolean): Omit<StowAnswer, 'unread'> {
  const enc = encodeURIComponent;
  const referenced: DicomJson[] = [];
  const failed: DicomJson[] = [];
  for (const r of results) {
    const ids = { '00081150': element('UI', r.uids.sopClass ?? null), '00081155': element('UI', r.uids.sopInstance ?? null) };
    if (r.stored) {
      // A held part (Patient ID matches no MRN) is accepted and durably kept, so it is referenced, not
      // failed — re-sending it would only be idempotent — but it has no Retrieve URL until it is filed.
      const url = !r.held && r.uids.study && r.uids.series && r.uids.sopInstance
        ? `${request.base}/studies/${enc(r.uids.study)}/series/${enc(r.uids.series)}/instances/${enc(r.uids.sopInstance)}` : null;
      referenced.push(sortedByTag({ ...ids, '00081190': element('UR', url) }));
    } else {
      failed.push(sortedByTag({ ...ids, '00081197': element('US', r.reason) }));
    }
  }
  const body: DicomJson = {};
  // Retrieve URL (0008,1190) of the study when the request named one and something was stored in it.
  if (request.studyUid && results.some((r) => r.stored && !r.held)) body['00081190'] = element('UR', `${request.base}/studies/${enc(request.studyUid)}`);
  if (failed.length > 0) body['00081198'] = { vr: 'SQ', Value: failed };
  if (referenced.length > 0) body['00081199'] = { vr: 'SQ', Value: referenced };
  // The rest of a body that stopped being well-formed after some parts were stored (Other Failures Sequence).
  if (structuralFailure) body['0008119A'] = { vr: 'SQ', Value: [{ '00081197': element('US', FailureReason.cannotUnderstand) }] };
  const held = results.filter((r) => r.stored && r.held).length;
  // PS3.18 §10.5.3: 200 only when every instance was stored; held ones are a warning, hence 202.
  const anyFailed = failed.length > 0 || structuralFailure || held > 0;
  return { status: referenced.length === 0 ? 409 : anyFailed ? 202 : 200, body: sortedByTag(body), held };
}
