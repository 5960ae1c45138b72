/**
 * DIMSE status codes Clarus answers with, and how a refusal of the ingest pipeline maps onto them.
 * PS3.7 Annex C (general statuses), PS3.4 §B.2.3 (Storage) and §C.4.1.1.4 (Query/Retrieve FIND).
 */
export const DimseStatus = {
  Success: 0x0000,
  /** C-FIND: a match follows, more may come (PS3.4 §C.4.1.1.4). */
  Pending: 0xff00,
  /** PS3.7 Annex C, Refused: Not Authorized — the invoking peer may not perform this operation (its role lacks the permission). */
  NotAuthorized: 0x0124,
  /** PS3.7 Annex C, Refused: SOP Class not supported — e.g. a C-STORE on a context of another abstract syntax. */
  SopClassNotSupported: 0x0122,
  /** PS3.7 Annex C, Processing failure: a general failure in processing the operation. */
  ProcessingFailure: 0x0110,
  /** Storage and Find: Refused, Out of Resources — the peer may try again later. */
  OutOfResources: 0xa700,
  /** Storage: Data Set does not match SOP Class; Find: Identifier does not match SOP Class. */
  DoesNotMatchSopClass: 0xa900,
  /** Storage and Find: Cannot understand / Unable to process. */
  CannotUnderstand: 0xc000,
} as const;

export interface DimseAnswer {
  status: number;
  /** Error Comment (0000,0902), LO: at most 64 characters; stable codes only, never PHI. */
  comment: string | null;
}

/**
 * The C-STORE status of an ingest refusal (`CLARUS_ERR_*`). The comment carries the stable error
 * code so that the modality's log says why, without any value from the data set.
 *
 * - A7xx (retry later): the file is over the size limit, or the malware scanner or audit log is
 *   unavailable — conditions of this system, not of the data.
 * - A900: the data set contradicts its command (SOP Class/Instance UIDs differ, PS3.4 §B.2.3).
 * - C000: the data set cannot be understood or was refused by the malware scanner (it is in quarantine).
 * - 0110: understood but not stored: it belongs to another patient, or another object already has
 *   its SOP Instance UID. (A Patient ID that matches no MRN is not a refusal: the instance is held in
 *   the reconciliation list and answered with Success; 0110 remains for a pipeline without one.)
 */
export function storeStatusOf(code: string): DimseAnswer {
  const comment = code.slice(0, 64);
  switch (code) {
    case 'CLARUS_ERR_FILE_TOO_LARGE':
    case 'CLARUS_ERR_FILE_SCANNER_UNAVAILABLE':
    case 'CLARUS_ERR_AUDIT_UNAVAILABLE':
    case 'CLARUS_ERR_UNAVAILABLE':
      return { status: DimseStatus.OutOfResources, comment };
    case 'CLARUS_ERR_FILE_UID_MISMATCH':
      return { status: DimseStatus.DoesNotMatchSopClass, comment };
    case 'CLARUS_ERR_FILE_INFECTED':
    case 'CLARUS_ERR_FILE_TRUNCATED':
    case 'CLARUS_ERR_FILE_MALFORMED':
    case 'CLARUS_ERR_FILE_TOO_DEEP':
    case 'CLARUS_ERR_FILE_DIMENSIONS':
    case 'CLARUS_ERR_FILE_DECOMPRESSION_BOMB':
    case 'CLARUS_ERR_FILE_UNSUPPORTED_TYPE':
    case 'CLARUS_ERR_FILE_TYPE_MISMATCH':
    case 'CLARUS_ERR_FILE_NOT_DICOM_PART10':
    case 'CLARUS_ERR_FILE_MISSING_UID':
    case 'CLARUS_ERR_FILE_INVALID_UID':
      return { status: DimseStatus.CannotUnderstand, comment };
    case 'CLARUS_ERR_FORBIDDEN':
      return { status: DimseStatus.NotAuthorized, comment };
    default:
      return { status: DimseStatus.ProcessingFailure, comment };
  }
}
