import type { InstanceView, SeriesView, StudyView } from '../../services/images/image-query.service.ts';
import { element, personName, type DicomJsonElement } from './dicom-json.ts';

/**
 * The attributes QIDO-RS answers with and matches on (PS3.18 §10.6.3.3, Tables 10.6.3-3 to -5), each
 * with how its value is found and how it can be matched. Identifying values are encrypted in the
 * database (docs/encryption.md): `indexed` matching goes through a blind index, `decrypted` matching
 * happens after decryption within the caller's reach (docs/dicomweb.md lists them).
 */

export type QidoLevel = 'study' | 'series' | 'instance';

/** How a key can be matched (PS3.4 §C.2.2.2): a kind of value, and which matching it supports. */
export type Matching =
  | 'uid' // single value (blind index) or UID list
  | 'text' // single value, or wildcard (* and ?), case-sensitive
  | 'person-name' // single value or wildcard, case-insensitive
  | 'date' // single date or range
  | 'code' // single value, exact (CS)
  | 'number' // single integer value
  | 'none'; // returned, never matched (Clarus does not keep the value)

/** What an attribute's value is read from. */
export interface QidoContext {
  base: string;
  study: StudyView;
  series?: SeriesView;
  instance?: InstanceView;
}

export interface QidoAttribute {
  keyword: string;
  tag: string;
  level: QidoLevel;
  /** Always returned at its level (the tables of §10.6.3.3); otherwise only on `includefield`. */
  required: boolean;
  matching: Matching;
  value: (c: QidoContext) => DicomJsonElement;
}

/** The DICOM series and instances of a study: NIfTI, PNG and JPEG objects are not DICOM and are left out. */
export function dicomSeriesOf(study: StudyView): SeriesView[] {
  return study.series
    .map((s) => ({ ...s, instances: s.instances.filter((i) => i.kind === 'dicom') }))
    .filter((s) => s.instances.length > 0);
}

const sexCodes = { female: 'F', male: 'M', other: 'O', unknown: '' } as const;
const enc = encodeURIComponent;
const studyUrl = (c: QidoContext) => `${c.base}/studies/${enc(c.study.studyInstanceUid)}`;
const seriesUrl = (c: QidoContext, s: SeriesView) => `${studyUrl(c)}/series/${enc(s.seriesInstanceUid)}`;
const instanceOf = (c: QidoContext): InstanceView => c.instance as InstanceView;
const seriesOf = (c: QidoContext): SeriesView => c.series as SeriesView;

const study = (keyword: string, tag: string, required: boolean, matching: Matching, value: QidoAttribute['value']): QidoAttribute => ({ keyword, tag, level: 'study', required, matching, value });
const series = (keyword: string, tag: string, required: boolean, matching: Matching, value: QidoAttribute['value']): QidoAttribute => ({ keyword, tag, level: 'series', required, matching, value });
const instance = (keyword: string, tag: string, required: boolean, matching: Matching, value: QidoAttribute['value']): QidoAttribute => ({ keyword, tag, level: 'instance', required, matching, value });

export const qidoAttributes: readonly QidoAttribute[] = [
  // Table 10.6.3-3: studies (with the Patient Module attributes of the patient-root model).
  study('StudyDate', '00080020', true, 'date', (c) => element('DA', c.study.studyDate)),
  study('StudyTime', '00080030', true, 'none', (c) => element('TM', c.study.studyTime)),
  study('AccessionNumber', '00080050', true, 'text', (c) => element('SH', c.study.accessionNumber)),
  study('InstanceAvailability', '00080056', true, 'none', () => element('CS', 'ONLINE')),
  study('ModalitiesInStudy', '00080061', true, 'code', (c) => element('CS', [...new Set(dicomSeriesOf(c.study).map((s) => s.modality).filter((m): m is string => m !== null))].sort())),
  study('SOPClassesInStudy', '00080062', false, 'none', (c) => element('UI', [...new Set(dicomSeriesOf(c.study).flatMap((s) => s.instances.map((i) => i.sopClassUid)).filter((u): u is string => u !== null))].sort())),
  study('ReferringPhysicianName', '00080090', true, 'none', () => personName(null)),
  study('TimezoneOffsetFromUTC', '00080201', true, 'none', () => element('SH', null)),
  study('RetrieveURL', '00081190', true, 'none', (c) => element('UR', studyUrl(c))),
  study('StudyDescription', '00081030', false, 'text', (c) => element('LO', c.study.description)),
  study('PatientName', '00100010', true, 'person-name', (c) => personName(c.study.patient ? `${c.study.patient.familyName}^${c.study.patient.givenName}` : null)),
  study('PatientID', '00100020', true, 'text', (c) => element('LO', c.study.patient?.mrn ?? null)),
  study('PatientBirthDate', '00100030', true, 'date', (c) => element('DA', c.study.patient?.birthDate?.replaceAll('-', '') ?? null)),
  study('PatientSex', '00100040', true, 'code', (c) => element('CS', c.study.patient?.sex ? sexCodes[c.study.patient.sex as keyof typeof sexCodes] ?? null : null)),
  study('StudyInstanceUID', '0020000D', true, 'uid', (c) => element('UI', c.study.studyInstanceUid)),
  study('StudyID', '00200010', true, 'none', () => element('SH', null)),
  study('NumberOfStudyRelatedSeries', '00201206', true, 'none', (c) => element('IS', dicomSeriesOf(c.study).length)),
  study('NumberOfStudyRelatedInstances', '00201208', true, 'none', (c) => element('IS', dicomSeriesOf(c.study).reduce((n, s) => n + s.instances.length, 0))),
  // Table 10.6.3-4: series.
  series('Modality', '00080060', true, 'code', (c) => element('CS', seriesOf(c).modality)),
  series('TimezoneOffsetFromUTC', '00080201', true, 'none', () => element('SH', null)),
  series('SeriesDescription', '0008103E', true, 'text', (c) => element('LO', seriesOf(c).description)),
  series('RetrieveURL', '00081190', true, 'none', (c) => element('UR', seriesUrl(c, seriesOf(c)))),
  series('SeriesInstanceUID', '0020000E', true, 'uid', (c) => element('UI', seriesOf(c).seriesInstanceUid)),
  series('SeriesNumber', '00200011', true, 'number', (c) => element('IS', seriesOf(c).seriesNumber)),
  series('NumberOfSeriesRelatedInstances', '00201209', true, 'none', (c) => element('IS', seriesOf(c).instances.length)),
  series('PerformedProcedureStepStartDate', '00400244', true, 'none', () => element('DA', null)),
  series('PerformedProcedureStepStartTime', '00400245', true, 'none', () => element('TM', null)),
  series('RequestAttributesSequence', '00400275', true, 'none', () => ({ vr: 'SQ' })),
  // Table 10.6.3-5: instances.
  instance('SOPClassUID', '00080016', true, 'uid', (c) => element('UI', instanceOf(c).sopClassUid)),
  instance('SOPInstanceUID', '00080018', true, 'uid', (c) => element('UI', instanceOf(c).sopInstanceUid)),
  instance('InstanceAvailability', '00080056', true, 'none', () => element('CS', 'ONLINE')),
  instance('TimezoneOffsetFromUTC', '00080201', true, 'none', () => element('SH', null)),
  instance('RetrieveURL', '00081190', true, 'none', (c) => element('UR', `${seriesUrl(c, seriesOf(c))}/instances/${enc(instanceOf(c).sopInstanceUid)}`)),
  instance('InstanceNumber', '00200013', true, 'number', (c) => element('IS', instanceOf(c).instanceNumber)),
  instance('Rows', '00280010', true, 'number', (c) => element('US', instanceOf(c).rows)),
  instance('Columns', '00280011', true, 'number', (c) => element('US', instanceOf(c).columns)),
  instance('BitsAllocated', '00280100', true, 'number', (c) => element('US', instanceOf(c).bitsAllocated)),
  instance('NumberOfFrames', '00280008', true, 'number', (c) => element('IS', instanceOf(c).frames)),
];

const levelRank: Record<QidoLevel, number> = { study: 0, series: 1, instance: 2 };

/** The attribute a query key names — keyword or tag (PS3.18 §8.3.4) — at or above a level. */
export function findAttribute(key: string, level: QidoLevel): QidoAttribute | undefined {
  const tag = key.toUpperCase();
  const candidates = qidoAttributes.filter((a) => (a.keyword === key || a.tag === tag) && levelRank[a.level] <= levelRank[level]);
  // The same tag at several levels (RetrieveURL, ...): the most specific one.
  return candidates.sort((a, b) => levelRank[b.level] - levelRank[a.level])[0];
}

export function isAtOrAbove(attribute: QidoAttribute, level: QidoLevel): boolean {
  return levelRank[attribute.level] <= levelRank[level];
}
