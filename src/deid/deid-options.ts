/**
 * The options of the Basic Application Level Confidentiality Profile (PS3.15 E.3) that Clarus
 * supports, the Table E.1-1 column each one reads, and its code in CID 7050 "De-identification
 * Method" (PS3.16; codes checked against the CID 7050 value set, DCM 113100–113112).
 */
import type { ProfileOptionColumn } from './generated/profile-table.ts';

export type DeidOption =
  | 'retain-safe-private'
  | 'retain-uids'
  | 'retain-device-identity'
  | 'retain-institution-identity'
  | 'retain-patient-characteristics'
  | 'retain-longitudinal-full-dates'
  | 'retain-longitudinal-modified-dates'
  | 'clean-descriptors'
  | 'clean-structured-content'
  | 'clean-graphics';

export interface OptionDefinition {
  column: ProfileOptionColumn;
  code: string;
  meaning: string;
}

/** Option → Table E.1-1 column and CID 7050 code (coding scheme DCM). */
export const deidOptions: Readonly<Record<DeidOption, OptionDefinition>> = {
  'retain-safe-private': { column: 'rtnSafePrivOpt', code: '113111', meaning: 'Retain Safe Private Option' },
  'retain-uids': { column: 'rtnUIDsOpt', code: '113110', meaning: 'Retain UIDs Option' },
  'retain-device-identity': { column: 'rtnDevIdOpt', code: '113109', meaning: 'Retain Device Identity Option' },
  'retain-institution-identity': { column: 'rtnInstIdOpt', code: '113112', meaning: 'Retain Institution Identity Option' },
  'retain-patient-characteristics': { column: 'rtnPatCharsOpt', code: '113108', meaning: 'Retain Patient Characteristics Option' },
  'retain-longitudinal-full-dates': { column: 'rtnLongFullDatesOpt', code: '113106', meaning: 'Retain Longitudinal Temporal Information Full Dates Option' },
  'retain-longitudinal-modified-dates': { column: 'rtnLongModifDatesOpt', code: '113107', meaning: 'Retain Longitudinal Temporal Information Modified Dates Option' },
  'clean-descriptors': { column: 'cleanDescOpt', code: '113105', meaning: 'Clean Descriptors Option' },
  'clean-structured-content': { column: 'cleanStructContOpt', code: '113104', meaning: 'Clean Structured Content Option' },
  'clean-graphics': { column: 'cleanGraphOpt', code: '113103', meaning: 'Clean Graphics Option' },
};

export const DEID_OPTION_NAMES = Object.keys(deidOptions) as DeidOption[];

/** CID 7050 codes that are not options of Table E.1-1's columns. */
export const BASIC_PROFILE_CODE = { code: '113100', meaning: 'Basic Application Confidentiality Profile' } as const;
export const CLEAN_PIXEL_DATA_CODE = { code: '113101', meaning: 'Clean Pixel Data Option' } as const;

export function isDeidOption(name: string): name is DeidOption {
  return Object.hasOwn(deidOptions, name);
}

/** A private attribute kept by Retain Safe Private: its creator, group and element within the block (PS3.5 §7.8.1). */
export interface SafePrivateAttribute {
  creator: string;
  /** Odd group number, e.g. 0x0019. */
  group: number;
  /** Element number within the creator's block, 0x00–0xFF (the `xx` of `(0019,xx02)`). */
  element: number;
}

/** Everything a de-identification run is told, besides keys. */
export interface DeidSettings {
  options: readonly DeidOption[];
  /**
   * Clean Descriptors / Clean Structured Content / Clean Graphics: free text kept only when it
   * matches one of these (whole value, case and surrounding spaces ignored); anything else gets the
   * Basic Profile's action. Strings match exactly; RegExps must match the whole value.
   */
  textAllowList?: ReadonlyArray<string | RegExp>;
  /** Retain Safe Private: the private attributes judged safe (default none: every private attribute goes). */
  safePrivate?: readonly SafePrivateAttribute[];
  /**
   * The tenant's identity of the patient (e.g. the MRN the instance was matched to) for the pseudonym
   * and the date shift; defaults to the file's Patient ID (0010,0020).
   */
  patientIdentity?: string;
}

/** Refuses contradictory option sets (the two Retain Longitudinal options exclude each other, PS3.15 E.3.6). */
export function checkOptions(options: readonly DeidOption[]): string | undefined {
  if (options.includes('retain-longitudinal-full-dates') && options.includes('retain-longitudinal-modified-dates')) {
    return 'retain-longitudinal-full-dates and retain-longitudinal-modified-dates exclude each other';
  }
  return undefined;
}

/** Parses "CREATOR:gggg,xxee" (e.g. "GEMS_ACQU_01:0019,xx02") into a safe private attribute. */
export function parseSafePrivate(text: string): SafePrivateAttribute | undefined {
  const match = /^(.{1,64}):([0-9A-Fa-f]{4}),[xX]{2}([0-9A-Fa-f]{2})$/.exec(text.trim());
  if (!match) return undefined;
  const group = Number.parseInt(match[2] as string, 16);
  if (group % 2 === 0 || group <= 0x0007 || group === 0xffff) return undefined;
  return { creator: (match[1] as string).trim(), group, element: Number.parseInt(match[3] as string, 16) };
}
