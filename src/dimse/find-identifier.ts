/**
 * C-FIND identifiers (PS3.4 §C.2.2, §C.4.1, §C.6): the query keys of a request, the matching rules
 * of PS3.4 §C.2.2.2, and the identifier of each match. Pure: the records come from the caller.
 */

export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';
type Vr = 'UI' | 'DA' | 'TM' | 'PN' | 'LO' | 'SH' | 'CS' | 'IS';

/** A matchable entity: its attributes and those of its parents (PS3.4 §C.4.1.1.3.1), by keyword. */
export type FindRecord = Record<string, string | string[] | null>;

/** The attributes Clarus can match and return, with their VR and the shallowest level that has them. */
export const findAttributes: Record<string, { vr: Vr; level: QueryLevel }> = {
  PatientID: { vr: 'LO', level: 'PATIENT' },
  PatientName: { vr: 'PN', level: 'PATIENT' },
  PatientBirthDate: { vr: 'DA', level: 'PATIENT' },
  PatientSex: { vr: 'CS', level: 'PATIENT' },
  NumberOfPatientRelatedStudies: { vr: 'IS', level: 'PATIENT' },
  NumberOfPatientRelatedSeries: { vr: 'IS', level: 'PATIENT' },
  NumberOfPatientRelatedInstances: { vr: 'IS', level: 'PATIENT' },
  StudyInstanceUID: { vr: 'UI', level: 'STUDY' },
  StudyDate: { vr: 'DA', level: 'STUDY' },
  StudyTime: { vr: 'TM', level: 'STUDY' },
  AccessionNumber: { vr: 'SH', level: 'STUDY' },
  StudyDescription: { vr: 'LO', level: 'STUDY' },
  ModalitiesInStudy: { vr: 'CS', level: 'STUDY' },
  NumberOfStudyRelatedSeries: { vr: 'IS', level: 'STUDY' },
  NumberOfStudyRelatedInstances: { vr: 'IS', level: 'STUDY' },
  SeriesInstanceUID: { vr: 'UI', level: 'SERIES' },
  Modality: { vr: 'CS', level: 'SERIES' },
  SeriesNumber: { vr: 'IS', level: 'SERIES' },
  SeriesDescription: { vr: 'LO', level: 'SERIES' },
  NumberOfSeriesRelatedInstances: { vr: 'IS', level: 'SERIES' },
  SOPInstanceUID: { vr: 'UI', level: 'IMAGE' },
  SOPClassUID: { vr: 'UI', level: 'IMAGE' },
  InstanceNumber: { vr: 'IS', level: 'IMAGE' },
  Rows: { vr: 'IS', level: 'IMAGE' },
  Columns: { vr: 'IS', level: 'IMAGE' },
  NumberOfFrames: { vr: 'IS', level: 'IMAGE' },
};

const levels: readonly QueryLevel[] = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'];

export interface FindQuery {
  level: QueryLevel;
  /** Every key of the request in order (returned in each match), with its matching value ('' is universal matching). */
  keys: { keyword: string; value: string; sequence: boolean }[];
}

export type ParsedQuery = { ok: true; query: FindQuery } | { ok: false; reason: 'level' };

/** The text of a naturalized value (dcmjs): strings trimmed of padding, PN by its alphabetic group, VM > 1 joined with `\`. */
function textOf(value: unknown): { text: string; sequence: boolean } {
  if (value === null || value === undefined) return { text: '', sequence: false };
  if (typeof value === 'string') return { text: value.replace(/[\0 ]+$/u, '').replace(/^ +/u, ''), sequence: false };
  if (typeof value === 'number') return { text: String(value), sequence: false };
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (const item of value as unknown[]) {
      if (item !== null && typeof item === 'object') {
        const alphabetic = (item as { Alphabetic?: unknown }).Alphabetic;
        if (alphabetic === undefined) return { text: '', sequence: true };
        parts.push(textOf(alphabetic).text);
      } else {
        parts.push(textOf(item).text);
      }
    }
    return { text: parts.join('\\'), sequence: false };
  }
  return { text: '', sequence: true };
}

/**
 * The query of a request identifier (naturalized by dcmjs). The level must exist in the information
 * model: Patient Root has PATIENT, STUDY, SERIES, IMAGE; Study Root has no PATIENT level (§C.6.2).
 */
export function parseFindIdentifier(elements: Record<string, unknown>, studyRoot: boolean): ParsedQuery {
  const level = textOf(elements.QueryRetrieveLevel).text.toUpperCase();
  if (!(levels as readonly string[]).includes(level) || (studyRoot && level === 'PATIENT')) return { ok: false, reason: 'level' };
  const keys: FindQuery['keys'] = [];
  for (const [keyword, raw] of Object.entries(elements)) {
    if (keyword === '_vrMap' || keyword === 'QueryRetrieveLevel' || keyword === 'SpecificCharacterSet') continue;
    const { text, sequence } = textOf(raw);
    keys.push({ keyword, value: text, sequence });
  }
  return { ok: true, query: { level: level as QueryLevel, keys } };
}

/** `*` any run, `?` one character (PS3.4 §C.2.2.2.4), without building a regular expression from input. */
export function wildcardMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === value[v])) {
      p += 1;
      v += 1;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p;
      resume = v;
      p += 1;
    } else if (star >= 0) {
      p = star + 1;
      resume += 1;
      v = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}

/** Times compared as HHMMSS.FFFFFF text (PS3.5 §6.2 TM; colons of the old format dropped). */
function timeKey(value: string, end: boolean): string {
  const [whole = '', fraction = ''] = value.replace(/:/gu, '').split('.');
  const padded = whole.padEnd(6, end ? '9' : '0');
  return `${padded}.${fraction.padEnd(6, end ? '9' : '0')}`;
}

/** Range matching of DA and TM (§C.2.2.2.5): `a-b`, `-b`, `a-`, or a single value. */
function rangeMatch(vr: 'DA' | 'TM', query: string, value: string): boolean {
  const key = (text: string, end: boolean) => (vr === 'DA' ? text : timeKey(text, end));
  const dash = query.indexOf('-');
  if (dash < 0) return vr === 'DA' ? value === query : key(value, false) >= key(query, false) && key(value, false) <= key(query, true);
  const from = query.slice(0, dash);
  const to = query.slice(dash + 1);
  const at = key(value, false);
  return (from === '' || at >= key(from, false)) && (to === '' || at <= key(to, true));
}

/** Whether one stored value matches one query value of the given VR. */
function valueMatches(vr: Vr, query: string, value: string): boolean {
  switch (vr) {
    case 'UI':
      return query === value;
    case 'DA':
    case 'TM':
      return rangeMatch(vr, query, value);
    case 'IS':
      return Number(query) === Number(value);
    case 'PN':
      // Names: case-insensitive, and `*`/`?` (§C.2.2.2.1 lets PN matching ignore case).
      return wildcardMatch(query.toUpperCase(), value.toUpperCase());
    case 'LO':
    case 'SH':
    case 'CS':
      return wildcardMatch(query, value);
    default: {
      const unexpected: never = vr;
      return unexpected;
    }
  }
}

/**
 * PS3.4 §C.2.2.2: an empty key matches everything (universal matching); several query values
 * (`a\b`, list of UID matching and its equivalent for other VRs) match when any does; a
 * multi-valued attribute (Modalities in Study) matches when any of its values does. An attribute
 * Clarus does not hold never restricts the result: it is returned empty (§C.4.1.1.3.2).
 */
export function recordMatches(query: FindQuery, record: FindRecord): boolean {
  for (const key of query.keys) {
    const attribute = findAttributes[key.keyword];
    if (!attribute || key.value === '' || key.sequence) continue;
    const stored = record[key.keyword];
    if (stored === undefined) continue;
    if (stored === null) return false;
    const values = Array.isArray(stored) ? stored : [stored];
    const wanted = key.value.split('\\');
    if (!wanted.some((q) => values.some((v) => valueMatches(attribute.vr, q, v)))) return false;
  }
  return true;
}

/**
 * The identifier of a match (§C.4.1.1.3.2): the level, then every requested key with the stored
 * value, or empty when Clarus has none; sequences are left out. Specific Character Set says UTF-8
 * when a value needs it (PS3.5 §6.1.2.3).
 */
export function responseIdentifier(query: FindQuery, record: FindRecord): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { QueryRetrieveLevel: query.level };
  for (const key of query.keys) {
    if (key.sequence) continue;
    const stored = findAttributes[key.keyword] ? record[key.keyword] : undefined;
    out[key.keyword] = stored ?? '';
  }
  const text = Object.values(out).flat().join('');
  if (/[^\x00-\x7F]/u.test(text)) out.SpecificCharacterSet = 'ISO_IR 192';
  return out;
}

/** Days from a DA query value, for narrowing a search (`undefined` when it cannot narrow). */
export function daysOf(query: string, maxDays: number): string[] | undefined {
  if (query === '' || query.includes('\\') || query.includes('*') || query.includes('?')) return undefined;
  const single = /^\d{8}$/u.test(query) ? query : undefined;
  if (single) return [single];
  const range = /^(\d{8})-(\d{8})$/u.exec(query);
  if (!range) return undefined;
  const parse = (d: string) => Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8)));
  const from = parse(range[1] as string);
  const to = parse(range[2] as string);
  if (!(from <= to) || (to - from) / 86_400_000 + 1 > maxDays) return undefined;
  const days: string[] = [];
  for (let at = from; at <= to; at += 86_400_000) days.push(new Date(at).toISOString().slice(0, 10).replaceAll('-', ''));
  return days;
}

/** Whether a query value can be used as an exact filter (single value, no wildcard). */
export function exactValue(query: string | undefined): string | undefined {
  if (query === undefined || query === '' || /[\\*?]/u.test(query)) return undefined;
  return query;
}
