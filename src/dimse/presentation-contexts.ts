import type { Permission } from '../domain/roles.ts';

/**
 * Which presentation contexts Clarus accepts (PS3.8 §9.3.2.2, PS3.7 Annex D): abstract syntaxes
 * by the peer's permissions, and one transfer syntax out of those the peer proposed.
 */

export const VERIFICATION = '1.2.840.10008.1.1';
export const PATIENT_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.1.1';
export const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
/** Every Storage SOP Class of PS3.4 Annex B (CT, MR, CR, DX, MG, US, SC, NM, PT, RT, SEG, SR, Enhanced …) lives under this root. */
const STORAGE_ROOT = '1.2.840.10008.5.1.4.1.1.';

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';

/** Uncompressed transfer syntaxes, in the order Clarus prefers them (explicit VR keeps private elements' VRs). */
const uncompressed = [EXPLICIT_LE, IMPLICIT_LE, DEFLATED_LE, EXPLICIT_BE];

/**
 * Compressed syntaxes accepted as they are (PS3.5 Annex A.4): the pixel data is stored as sent, never
 * transcoded. JPEG baseline/extended/lossless, JPEG-LS, JPEG 2000, HTJ2K, RLE.
 */
const compressed = new Set([
  '1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.57', '1.2.840.10008.1.2.4.70',
  '1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.4.81', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91',
  '1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203', '1.2.840.10008.1.2.5',
]);

/** PS3.8 §9.3.3.2 presentation context results. */
export const ContextResult = { Accept: 0, UserRejection: 1, AbstractSyntaxNotSupported: 3, TransferSyntaxesNotSupported: 4 } as const;

export type ContextDecision = { result: typeof ContextResult.Accept; transferSyntaxUid: string } | { result: Exclude<(typeof ContextResult)[keyof typeof ContextResult], 0> };

export function isStorageSopClass(uid: string): boolean {
  return uid.startsWith(STORAGE_ROOT) && /^[0-9.]+$/u.test(uid);
}

/**
 * The decision for one proposed context. Storage needs `images.upload`, Find needs `images.read`;
 * a context the peer may not use is a user rejection, so that the SCU knows before it sends data.
 * Verification is open to every accepted peer.
 *
 * Transfer syntax: the first of explicit VR little endian, implicit VR little endian, deflated,
 * explicit big endian that was proposed; for storage, when the peer proposed only compressed
 * syntaxes (as storescu does for a compressed file, on a context of its own), the first of those we
 * know, kept as the modality encoded it. Preferring uncompressed means that a peer which offers
 * everything is never asked to compress lossily on our behalf. Find and Verification are uncompressed.
 */
export function decideContext(abstractSyntaxUid: string, proposed: readonly string[], permissions: ReadonlySet<Permission>): ContextDecision {
  const storage = isStorageSopClass(abstractSyntaxUid);
  const find = abstractSyntaxUid === STUDY_ROOT_FIND || abstractSyntaxUid === PATIENT_ROOT_FIND;
  if (!storage && !find && abstractSyntaxUid !== VERIFICATION) return { result: ContextResult.AbstractSyntaxNotSupported };
  if ((storage && !permissions.has('images.upload')) || (find && !permissions.has('images.read'))) return { result: ContextResult.UserRejection };
  const native = uncompressed.find((ts) => proposed.includes(ts));
  const chosen = native ?? (storage ? proposed.find((ts) => compressed.has(ts)) : undefined);
  return chosen ? { result: ContextResult.Accept, transferSyntaxUid: chosen } : { result: ContextResult.TransferSyntaxesNotSupported };
}
