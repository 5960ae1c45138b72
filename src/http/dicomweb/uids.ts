import { z } from 'zod';

/**
 * UID syntax (PS3.5 §9.1): at most 64 characters, digits in dot-separated components, no empty
 * component, no leading zero unless the component is "0". DICOMweb URLs carry UIDs by design
 * (PS3.18 §10.4–§10.6); anything else in their place is refused with a 400 before any lookup.
 */
export function isValidUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= 64 && uid.split('.').every((component) => /^(0|[1-9][0-9]*)$/.test(component));
}

export const uid = z.string().refine(isValidUid, { message: 'This field must be a DICOM UID.' });
