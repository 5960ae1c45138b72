/**
 * Values the de-identifier writes: dummies per VR (action D), date shifts (Retain Longitudinal
 * Temporal Information with Modified Dates), and the VR classes the walker needs. Value formats
 * follow PS3.5 §6.2 (Table 6.2-1).
 */

/** Dummy text of the string VRs: obviously not a value, valid in every text VR (≤ 16 characters for SH/AE/CS). */
export const DUMMY_TEXT = 'ANONYMIZED';
export const DUMMY_DATE = '19000101';
export const DUMMY_TIME = '000000';
export const DUMMY_DATETIME = '19000101000000';

/** VRs holding free text or names: what a dummy or clean context replaces. */
export const TEXT_VRS: ReadonlySet<string> = new Set(['AE', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT', 'UR']);
/** Long free-text VRs (not code values or meanings): what Clean Structured Content / Clean Graphics screen. */
export const FREE_TEXT_VRS: ReadonlySet<string> = new Set(['LT', 'ST', 'UT', 'UC', 'PN']);
export const DATE_VRS: ReadonlySet<string> = new Set(['DA', 'DT']);
const BINARY_VRS: ReadonlySet<string> = new Set(['OB', 'OW', 'OD', 'OF', 'OL', 'OV', 'UN']);
const NUMBER_VRS: ReadonlySet<string> = new Set(['FL', 'FD', 'SL', 'SS', 'UL', 'US', 'SV', 'UV', 'DS', 'IS', 'AT']);

function zeroBytes(vr: string): ArrayBuffer {
  // One value of the VR's unit: 2 bytes keep OB/OW/UN even, 4 for OF/OL, 8 for OD/OV (PS3.5 §7.1.1).
  return new ArrayBuffer(vr === 'OD' || vr === 'OV' ? 8 : vr === 'OF' || vr === 'OL' ? 4 : 2);
}

/**
 * The dummy value (a one-element Value array) of a VR for action D: never empty (PS3.15 E.1.1: "a
 * non-zero length value"). UI dummies are supplied by the caller (a keyed UID); SQ is handled by the
 * walker. Returns undefined for VRs without a dummy here.
 */
export function dummyValue(vr: string): unknown[] | undefined {
  switch (vr) {
    case 'PN': return [{ Alphabetic: DUMMY_TEXT }];
    case 'AE': case 'LO': case 'LT': case 'SH': case 'ST': case 'UC': case 'UT': case 'CS': return [DUMMY_TEXT];
    case 'UR': return ['urn:x-clarus:anonymized'];
    case 'AS': return ['000D'];
    case 'DA': return [DUMMY_DATE];
    case 'TM': return [DUMMY_TIME];
    case 'DT': return [DUMMY_DATETIME];
    default:
      if (NUMBER_VRS.has(vr)) return [0];
      if (BINARY_VRS.has(vr)) return [zeroBytes(vr)];
      return undefined;
  }
}

const DAY_MS = 86_400_000;

function ymd(year: number, month: number, day: number): Date | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day));
  // Reject 20230231 and the like instead of letting Date roll it over.
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date : undefined;
}

function format(date: Date): string {
  const y = String(date.getUTCFullYear()).padStart(4, '0');
  const m = String(date.getUTCMonth() + 1).padStart(2, '0');
  const d = String(date.getUTCDate()).padStart(2, '0');
  return `${y}${m}${d}`;
}

/** A DA value (YYYYMMDD, or ACR-NEMA YYYY.MM.DD) moved back by `days`; undefined when it is not a full date. */
export function shiftDate(value: string, days: number): string | undefined {
  const match = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(value.trim());
  if (!match) return undefined;
  const date = ymd(Number(match[1]), Number(match[2]), Number(match[3]));
  if (date === undefined || date.getUTCFullYear() < 1000) return undefined;
  const shifted = new Date(date.getTime() - days * DAY_MS);
  return shifted.getUTCFullYear() < 1000 ? undefined : format(shifted);
}

/**
 * A DT value (YYYYMMDDHHMMSS.FFFFFF&ZZXX) with its date part moved back by `days` and the rest —
 * time of day, fraction, UTC offset — unchanged; undefined when it has no full date (a DT of only a
 * year or year and month cannot move by days without inventing precision).
 */
export function shiftDateTime(value: string, days: number): string | undefined {
  const match = /^(\d{8})(.*)$/.exec(value.trim());
  if (!match) return undefined;
  const date = shiftDate(match[1] as string, days);
  return date === undefined ? undefined : date + (match[2] as string);
}

/** Shifts every value of a DA or DT element; undefined when any value cannot be shifted. */
export function shiftValues(vr: string, values: readonly unknown[], days: number): string[] | undefined {
  const out: string[] = [];
  for (const value of values) {
    if (typeof value !== 'string') return undefined;
    if (value.trim() === '') {
      out.push('');
      continue;
    }
    const shifted = vr === 'DA' ? shiftDate(value, days) : shiftDateTime(value, days);
    if (shifted === undefined) return undefined;
    out.push(shifted);
  }
  return out;
}

/** A value's text for allow-list matching: PN objects by their alphabetic group. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'Alphabetic' in value && typeof value.Alphabetic === 'string') return value.Alphabetic;
  return undefined;
}

/** Whether every value of an element is on the allow-list (trimmed, case-insensitive; RegExps must match whole). */
export function allowListed(values: readonly unknown[], allowList: ReadonlyArray<string | RegExp>): boolean {
  if (allowList.length === 0) return false;
  return values.every((value) => {
    const text = textOf(value);
    if (text === undefined) return false;
    const normal = text.trim().replace(/\s+/g, ' ').toUpperCase();
    if (normal === '') return true;
    return allowList.some((entry) => {
      if (typeof entry === 'string') return entry.trim().replace(/\s+/g, ' ').toUpperCase() === normal;
      const match = entry.exec(text.trim());
      return match !== null && match.index === 0 && match[0].length === text.trim().length;
    });
  });
}
