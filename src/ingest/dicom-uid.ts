/**
 * DICOM unique identifiers and transfer syntaxes: the small pure rules the validator applies.
 */

/**
 * UID syntax, PS3.5 §9.1: at most 64 characters; components of digits separated by single dots;
 * no empty component; no leading zero in a component unless the component is exactly "0".
 * (Trailing NUL padding, §9.1 and §6.2 "UI", is removed by the reader before this check.)
 */
export function isValidUid(uid: string): boolean {
  if (uid.length === 0 || uid.length > 64) return false;
  for (const component of uid.split('.')) {
    if (!/^(0|[1-9][0-9]*)$/.test(component)) return false;
  }
  return true;
}

/** Transfer syntaxes whose Pixel Data is native (PS3.5 §8.1.1 and Annex A.1–A.3, A.5). */
const nativeTransferSyntaxes = new Set([
  '1.2.840.10008.1.2', // Implicit VR Little Endian (A.1)
  '1.2.840.10008.1.2.1', // Explicit VR Little Endian (A.2)
  '1.2.840.10008.1.2.2', // Explicit VR Big Endian (A.3, retired but still found)
  '1.2.840.10008.1.2.1.99', // Deflated Explicit VR Little Endian (A.5): native once inflated
]);

/** Root of the transfer syntaxes defined in PS3.6 Annex A; anything else is private and refused. */
const STANDARD_TRANSFER_SYNTAX_ROOT = '1.2.840.10008.1.2';

export type PixelEncoding = 'native' | 'encapsulated';

/**
 * How Pixel Data is encoded under a transfer syntax, or undefined for a syntax we do not know
 * (a private one): such files are refused because their byte layout cannot be checked.
 * Every standard syntax other than the native four encapsulates Pixel Data (PS3.5 §A.4).
 */
export function pixelEncodingOf(transferSyntaxUid: string): PixelEncoding | undefined {
  if (nativeTransferSyntaxes.has(transferSyntaxUid)) return 'native';
  if (transferSyntaxUid.startsWith(`${STANDARD_TRANSFER_SYNTAX_ROOT}.`)) return 'encapsulated';
  return undefined;
}

/** PS3.5 Annex A.1: the only transfer syntax with implicit VR. */
export const IMPLICIT_LITTLE_ENDIAN = '1.2.840.10008.1.2';
