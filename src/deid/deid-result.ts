/**
 * Outcomes of de-identifying one file. A refusal says why the file cannot be made safe; its reason
 * names what is wrong, never a value from the file.
 */
export type DeidRefusalCode =
  /** Not a file we can read completely (damaged, truncated, unsupported encoding). */
  | 'UNREADABLE'
  /** DEID-2: pixels that may carry text, with no configured mask and no reviewer's confirmation. */
  | 'BURNED_IN_TEXT'
  /** Contradictory options. */
  | 'BAD_OPTIONS'
  /** Neither DICOM, NIfTI, PNG nor JPEG. */
  | 'UNSUPPORTED_TYPE';

export type DeidResult<Report> =
  | { ok: true; bytes: Buffer; report: Report }
  | { ok: false; code: DeidRefusalCode; reason: string };

export function refuseDeid(code: DeidRefusalCode, reason: string): { ok: false; code: DeidRefusalCode; reason: string } {
  return { ok: false, code, reason };
}
