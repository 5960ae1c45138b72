import { ClarusError } from '../domain/error-catalog.ts';
import type { Principal, RequestOrigin } from '../services/context.ts';
import type { ImageQueryService, StudyFilter, StudyView } from '../services/images/image-query.service.ts';
import type { PatientService, PatientView } from '../services/patient.service.ts';
import { daysOf, exactValue, recordMatches, type FindQuery, type FindRecord } from './find-identifier.ts';

export interface FindServices {
  images: ImageQueryService;
  patients: PatientService;
}

/** At most this many studies are read for one C-FIND; a broader query is refused with A700. */
export const MAX_FIND_STUDIES = 1000;
/** At most this many matches are returned for one C-FIND (IMAGE level of many studies). */
export const MAX_FIND_MATCHES = 20_000;

export type FindOutcome = { ok: true; matches: FindRecord[] } | { ok: false; reason: 'too-many' };

const sexCodes: Record<string, string> = { female: 'F', male: 'M', other: 'O', unknown: '' };

/** PN from the patient's names (PS3.5 §6.2.1: family^given). */
function personName(patient: PatientView['patient']): string {
  return `${patient.familyName}^${patient.givenName}`;
}

function patientRecord(view: PatientView['patient'], studies: StudyView[]): FindRecord {
  const series = studies.flatMap((s) => s.series);
  return {
    PatientID: view.mrn, PatientName: personName(view),
    // Only for callers whose role sees full demographics; otherwise the key matches nothing and returns empty.
    PatientBirthDate: view.birthDate ? view.birthDate.replaceAll('-', '') : null,
    PatientSex: view.sex ? (sexCodes[view.sex] ?? '') : null,
    NumberOfPatientRelatedStudies: String(studies.length), NumberOfPatientRelatedSeries: String(series.length),
    NumberOfPatientRelatedInstances: String(series.reduce((n, s) => n + s.instances.length, 0)),
  };
}

function studyRecord(patient: FindRecord, study: StudyView): FindRecord {
  return {
    PatientID: patient.PatientID ?? null, PatientName: patient.PatientName ?? null, PatientBirthDate: patient.PatientBirthDate ?? null, PatientSex: patient.PatientSex ?? null,
    StudyInstanceUID: study.studyInstanceUid, StudyDate: study.studyDate, StudyTime: study.studyTime, AccessionNumber: study.accessionNumber,
    StudyDescription: study.description, ModalitiesInStudy: study.modalities,
    NumberOfStudyRelatedSeries: String(study.series.length), NumberOfStudyRelatedInstances: String(study.series.reduce((n, s) => n + s.instances.length, 0)),
  };
}

/**
 * Runs a C-FIND as the peer's service account: the study search of the image service (its scopes,
 * row-level security and audit entries), narrowed by the keys that can be exact filters; the
 * patients' MRN and name from the patient service (audited as reads); then every key matched in
 * memory by the rules of PS3.4 §C.2.2.2, since names and wildcards cannot be searched encrypted.
 */
export async function findMatches(services: FindServices, principal: Principal, query: FindQuery, origin: RequestOrigin): Promise<FindOutcome> {
  const value = (keyword: string) => query.keys.find((k) => k.keyword === keyword)?.value;
  const filter: StudyFilter = { limit: MAX_FIND_STUDIES + 1, offset: 0 };
  filter.studyInstanceUid = exactValue(value('StudyInstanceUID'));
  filter.accessionNumber = exactValue(value('AccessionNumber'));
  filter.studyDates = daysOf(value('StudyDate') ?? '', 3660);
  filter.modality = exactValue(value('ModalitiesInStudy')) ?? (query.level === 'SERIES' || query.level === 'IMAGE' ? exactValue(value('Modality')) : undefined);

  // Patient ID is an MRN: found through its blind index, then the studies of that patient only.
  const mrn = exactValue(value('PatientID'));
  let studies: StudyView[];
  if (mrn !== undefined) {
    const patients = await services.patients.search(principal, { mrn, limit: 10, offset: 0 }, origin);
    studies = [];
    for (const patient of patients) studies.push(...await services.images.studies(principal, { ...filter, patientId: patient.patient.id }, origin));
  } else {
    studies = await services.images.studies(principal, filter, origin);
  }
  if (studies.length > MAX_FIND_STUDIES) return { ok: false, reason: 'too-many' };

  const patients = new Map<string, FindRecord>();
  for (const patientId of new Set(studies.map((s) => s.patientId))) {
    try {
      const view = await services.patients.get(principal, patientId, origin);
      patients.set(patientId, patientRecord(view.patient, studies.filter((s) => s.patientId === patientId)));
    } catch (error) {
      // A patient out of reach (its images are then out of reach too) is left out, never an error.
      if (!(error instanceof ClarusError) || error.code !== 'CLARUS_ERR_NOT_FOUND') throw error;
    }
  }

  const records: FindRecord[] = [];
  if (query.level === 'PATIENT') {
    records.push(...patients.values());
  } else {
    for (const study of studies) {
      const patient = patients.get(study.patientId);
      if (!patient) continue;
      const studyLevel = studyRecord(patient, study);
      if (query.level === 'STUDY') {
        records.push(studyLevel);
        continue;
      }
      for (const series of study.series) {
        const seriesLevel: FindRecord = {
          ...studyLevel, SeriesInstanceUID: series.seriesInstanceUid, Modality: series.modality, SeriesNumber: series.seriesNumber === null ? null : String(series.seriesNumber),
          SeriesDescription: series.description, NumberOfSeriesRelatedInstances: String(series.instances.length),
        };
        if (query.level === 'SERIES') {
          records.push(seriesLevel);
          continue;
        }
        for (const instance of series.instances) {
          records.push({
            ...seriesLevel, SOPInstanceUID: instance.sopInstanceUid, SOPClassUID: instance.sopClassUid,
            InstanceNumber: instance.instanceNumber === null ? null : String(instance.instanceNumber),
            Rows: instance.rows === null ? null : String(instance.rows), Columns: instance.columns === null ? null : String(instance.columns),
            NumberOfFrames: instance.frames === null ? null : String(instance.frames),
          });
        }
      }
    }
  }
  const matches = records.filter((record) => recordMatches(query, record));
  return matches.length > MAX_FIND_MATCHES ? { ok: false, reason: 'too-many' } : { ok: true, matches };
}
