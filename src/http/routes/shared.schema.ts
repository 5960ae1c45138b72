import { z } from 'zod';

/**
 * Names: letters of any script, combining marks, spaces, hyphens, apostrophes and periods,
 * 1-100 characters (DEV-1: "O'Brien", "Jean-Luc", "José", "Nguyễn" are names). NFC-normalised so that
 * the same name typed on two keyboards is stored the same way.
 */
export const personName = z.string().trim().min(1).max(100).regex(/^[\p{L}\p{M}][\p{L}\p{M} .'’-]*$/u).transform((s) => s.normalize('NFC'));

/** Free text without control characters (no NUL bytes, no terminal escapes); line breaks allowed. */
export const plainText = (max: number) => z.string().trim().max(max).regex(/^[^\u0000-\u0009\u000B\u000C\u000E-\u001F\u007F]*$/u);

/** E.164 phone numbers: a plus, then up to 15 digits, the first not zero (ITU-T E.164). */
export const e164Phone = z.string().regex(/^\+[1-9]\d{1,14}$/);

/** A calendar date YYYY-MM-DD that exists, within [min, today]. */
export const pastDate = (minimum: string) => z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine((value) => {
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value && value >= minimum && date.getTime() <= Date.now();
}, { message: 'invalid_date' });
