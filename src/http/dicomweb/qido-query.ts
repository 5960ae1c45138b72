import { ClarusError, type FieldProblem } from '../../domain/error-catalog.ts';
import type { InstanceView, SeriesView, StudyFilter, StudyView } from '../../services/images/image-query.service.ts';
import { findAttribute, type QidoAttribute, type QidoContext, type QidoLevel } from './qido-attributes.ts';
import { isValidUid } from './uids.ts';

/**
 * QIDO-RS query parameters (PS3.18 §8.3.4) → what the image service can find through blind indexes
 * (`filter`), and tests on decrypted values for the rest (PS3.4 §C.2.2.2 matching).
 */

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
const MAX_OFFSET = 100_000;
/** A closed StudyDate range up to this many days goes through the day index; longer ones are tested after decryption. */
const MAX_INDEXED_DAYS = 3660;
const MAX_VALUE_LENGTH = 1024;

export interface QidoPlan {
  level: QidoLevel;
  /** Study-level values that blind indexes find (exact); the service's filter. */
  filter: Omit<StudyFilter, 'limit' | 'offset' | 'match'>;
  studyTests: ((study: StudyView) => boolean)[];
  seriesTests: ((series: SeriesView) => boolean)[];
  instanceTests: ((instance: InstanceView) => boolean)[];
  /** Tags returned besides the required ones: includefield, `all`, and the match keys (§10.6.3.3). */
  included: Set<string>;
  includeAll: boolean;
  limit: number;
  offset: number;
  /** The caller asked for more than MAX_LIMIT results; the answer says so in a Warning header. */
  limitCapped: boolean;
}

const invalid = (path: string, message: string) => new ClarusError('CLARUS_ERR_VALIDATION', [{ path, message } satisfies FieldProblem]);

/**
 * Wildcard matching (PS3.4 §C.2.2.2.4): `*` any sequence, `?` one character. Iterative with one
 * backtracking point, so that it is linear in practice and cannot be driven into exponential work.
 */
export function wildcardMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const p = [...(caseInsensitive ? pattern.toLowerCase() : pattern)];
  const v = [...(caseInsensitive ? value.toLowerCase() : value)];
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < v.length) {
    if (i < p.length && (p[i] === '?' || (p[i] !== '*' && p[i] === v[j]))) {
      i += 1;
      j += 1;
    } else if (i < p.length && p[i] === '*') {
      star = i;
      mark = j;
      i += 1;
    } else if (star >= 0) {
      i = star + 1;
      mark += 1;
      j = mark;
    } else {
      return false;
    }
  }
  while (i < p.length && p[i] === '*') i += 1;
  return i === p.length;
}

function isCalendarDate(day: string): boolean {
  if (!/^\d{8}$/.test(day)) return false;
  const date = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8))));
  return date.toISOString().slice(0, 10).replaceAll('-', '') === day;
}

/** A DA value or range (PS3.4 §C.2.2.2.5): `D`, `D1-D2`, `-D`, `D-`. */
export function parseDateRange(value: string, path: string): { from: string | null; to: string | null } {
  const parts = value.split('-');
  if (parts.length === 1) {
    if (!isCalendarDate(value)) throw invalid(path, 'This field must be a date (YYYYMMDD) or a range of dates.');
    return { from: value, to: value };
  }
  const [from = '', to = ''] = parts;
  if (parts.length !== 2 || (from === '' && to === '') || (from !== '' && !isCalendarDate(from)) || (to !== '' && !isCalendarDate(to)) || (from !== '' && to !== '' && from > to)) {
    throw invalid(path, 'This field must be a date (YYYYMMDD) or a range of dates.');
  }
  return { from: from || null, to: to || null };
}

function daysBetween(from: string, to: string): string[] | undefined {
  const start = Date.UTC(Number(from.slice(0, 4)), Number(from.slice(4, 6)) - 1, Number(from.slice(6, 8)));
  const end = Date.UTC(Number(to.slice(0, 4)), Number(to.slice(4, 6)) - 1, Number(to.slice(6, 8)));
  const count = Math.round((end - start) / 86_400_000) + 1;
  if (count > MAX_INDEXED_DAYS) return undefined;
  return Array.from({ length: count }, (_, n) => new Date(start + n * 86_400_000).toISOString().slice(0, 10).replaceAll('-', ''));
}

function single(query: Record<string, unknown>, key: string): string {
  const value = query[key];
  if (Array.isArray(value)) throw invalid(key, 'This field may be given only once.');
  if (typeof value !== 'string') throw invalid(key, 'This field has an invalid format.');
  if (value.length > MAX_VALUE_LENGTH) throw invalid(key, 'This field is too long.');
  return value;
}

function integer(query: Record<string, unknown>, key: string, fallback: number, max: number): number {
  if (query[key] === undefined) return fallback;
  const text = single(query, key);
  if (!/^\d{1,9}$/.test(text) || Number(text) > max) throw invalid(key, 'This field must be a non-negative integer within the allowed range.');
  return Number(text);
}

const hasWildcard = (value: string) => value.includes('*') || value.includes('?');

/** The study of a context in which only a series or an instance is tested. */
const emptyStudy: StudyView = { id: '', patientId: '', studyInstanceUid: '', accessionNumber: null, studyDate: null, studyTime: null, description: null, modalities: [], series: [] };

/** Reads the value an attribute has in a result (for tests on decrypted values). */
function valueOf(attribute: QidoAttribute, c: QidoContext): string[] {
  const values = attribute.value(c).Value ?? [];
  return values.map((v) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    return v !== null && 'Alphabetic' in v && typeof v.Alphabetic === 'string' ? v.Alphabetic : '';
  });
}

/**
 * Turns one match key into an indexed filter and/or a test (PS3.4 §C.2.2.2): single value, UID
 * list, wildcard, and date range matching; Clarus does not do fuzzy matching.
 */
function addMatch(plan: QidoPlan, attribute: QidoAttribute, value: string, path: string): void {
  const matches = (c: (values: string[]) => boolean) => (ctx: QidoContext) => c(valueOf(attribute, ctx));
  let test: ((ctx: QidoContext) => boolean) | undefined;
  switch (attribute.matching) {
    case 'none':
      throw invalid(path, 'Clarus does not match on this attribute; ask for it with includefield.');
    case 'uid': {
      const uids = value.split(',');
      if (uids.length > 100 || !uids.every(isValidUid)) throw invalid(path, 'This field must be a UID or a comma-separated list of UIDs.');
      if (uids.length === 1) {
        if (attribute.keyword === 'StudyInstanceUID') plan.filter.studyInstanceUid = value;
        if (attribute.keyword === 'SeriesInstanceUID') plan.filter.seriesInstanceUid = value;
        if (attribute.keyword === 'SOPInstanceUID') plan.filter.sopInstanceUid = value;
      }
      // The index narrowed the studies; the decrypted value decides (and lists need it anyway).
      if (uids.length > 1 || attribute.level !== 'study') test = matches((values) => values.some((v) => uids.includes(v)));
      break;
    }
    case 'date': {
      const { from, to } = parseDateRange(value, path);
      const days = attribute.keyword === 'StudyDate' && from && to ? daysBetween(from, to) : undefined;
      if (days) plan.filter.studyDates = days;
      else test = matches((values) => values.some((v) => v !== '' && (from === null || v >= from) && (to === null || v <= to)));
      break;
    }
    case 'number': {
      if (!/^-?\d{1,9}$/.test(value)) throw invalid(path, 'This field must be an integer.');
      test = matches((values) => values.some((v) => v !== '' && Number(v) === Number(value)));
      break;
    }
    case 'code': {
      if (hasWildcard(value)) throw invalid(path, 'This field is matched exactly; wildcards are not supported.');
      if (attribute.keyword === 'ModalitiesInStudy' || attribute.keyword === 'Modality') plan.filter.modality = value;
      if (attribute.keyword !== 'ModalitiesInStudy') test = matches((values) => values.includes(value));
      break;
    }
    case 'text':
    case 'person-name': {
      const insensitive = attribute.matching === 'person-name';
      if (!hasWildcard(value) && attribute.keyword === 'PatientID') plan.filter.patientMrn = value;
      else if (!hasWildcard(value) && attribute.keyword === 'AccessionNumber') plan.filter.accessionNumber = value;
      else test = matches((values) => values.some((v) => wildcardMatch(value, v, insensitive)));
      break;
    }
  }
  if (!test) return;
  const check = test;
  if (attribute.level === 'study') plan.studyTests.push((study) => check({ base: '', study }));
  else if (attribute.level === 'series') plan.seriesTests.push((series) => check({ base: '', study: emptyStudy, series }));
  else plan.instanceTests.push((instance) => check({ base: '', study: emptyStudy, instance }));
}

const RESERVED = new Set(['limit', 'offset', 'includefield', 'fuzzymatching']);

/** Parses a QIDO-RS query string at a level; any problem is a 400 naming the parameter, never its value. */
export function planQuery(level: QidoLevel, query: Record<string, unknown>): QidoPlan {
  const requested = integer(query, 'limit', DEFAULT_LIMIT, Number.MAX_SAFE_INTEGER);
  const plan: QidoPlan = {
    level, filter: { dicomOnly: true }, studyTests: [], seriesTests: [], instanceTests: [], included: new Set(), includeAll: false,
    limit: Math.min(requested, MAX_LIMIT), offset: integer(query, 'offset', 0, MAX_OFFSET), limitCapped: requested > MAX_LIMIT,
  };
  if (plan.limit === 0) throw invalid('limit', 'This field must be at least 1.');
  // §8.3.4: fuzzymatching=true asks for fuzzy matching of person names, which Clarus does not offer.
  if (query.fuzzymatching !== undefined && single(query, 'fuzzymatching') !== 'false') throw invalid('fuzzymatching', 'Clarus supports only fuzzymatching=false.');
  const includes = query.includefield === undefined ? [] : [query.includefield].flat();
  for (const include of includes) {
    if (typeof include !== 'string' || include.length > MAX_VALUE_LENGTH) throw invalid('includefield', 'This field has an invalid format.');
    for (const key of include.split(',')) {
      if (key === 'all') plan.includeAll = true;
      else {
        // Unknown or unsupported attributes are not an error: §10.6.3.3 returns those "supported by the origin server".
        const attribute = findAttribute(key, level);
        if (attribute) plan.included.add(attribute.tag);
      }
    }
  }
  for (const key of Object.keys(query)) {
    if (RESERVED.has(key)) continue;
    // Sequence matching (dotted keys) and attributes Clarus does not keep are refused, so that a filter is never silently ignored.
    const attribute = /^[A-Za-z0-9]{1,64}$/.test(key) ? findAttribute(key, level) : undefined;
    if (!attribute) throw invalid(key, 'This attribute is not supported as a query key at this level.');
    const value = single(query, key);
    plan.included.add(attribute.tag);
    // An empty value is universal matching: the attribute is returned, everything matches.
    if (value !== '') addMatch(plan, attribute, value, key);
  }
  // Patient attributes are returned with every study-level answer, and matched on decrypted values.
  plan.filter.withPatient = true;
  return plan;
}
