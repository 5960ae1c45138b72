/**
 * De-identification of one DICOM Part 10 instance (DEID-1, DEID-2, DEID-4): PS3.15 Annex E, Basic
 * Application Level Confidentiality Profile from the generated Table E.1-1, with the options of
 * `deid-options.ts`. Input and output are whole files in memory (one instance); nothing is written
 * anywhere. What it decides per element is in `dicom-dataset-walker.ts`; the rules and their
 * reasons are in docs/deidentification.md.
 *
 * After the data set: Patient's Name and Patient ID become the tenant's keyed pseudonym; Patient
 * Identity Removed (0012,0062) = YES, De-identification Method (0012,0063) and its Code Sequence
 * (0012,0064) with the CID 7050 codes used; Longitudinal Temporal Information Modified (0028,0303);
 * the File Meta Information is rebuilt around the new SOP Instance UID and the preamble is zeroed
 * (PS3.15 E.1.1 item 7).
 */
import { PROFILE_EDITION } from './generated/profile-table.ts';
import type { ProfileOptionColumn } from './generated/profile-table.ts';
import { DatasetWalker, type ActionTaken, type DeidKeys, type TagClass } from './dicom-dataset-walker.ts';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, DicomReadError, EXPLICIT_VR_LITTLE_ENDIAN, readRawDicom, writeRawDicom, type RawDataset, type RawDicom } from './dcmjs-raw.ts';
import { BASIC_PROFILE_CODE, checkOptions, CLEAN_PIXEL_DATA_CODE, deidOptions, type DeidSettings } from './deid-options.ts';
import { assessPixelTextRisk, findMaskRule, maskNativePixels, unmaskableLayout, type NativePixelLayout, type PixelRegion, type PixelTextFacts, type PixelTextPolicy, type PixelTextRisk } from './pixel-text-risk.ts';
import { capAgeString } from '../domain/safe-harbor.ts';
import { textOf } from './dicom-values.ts';
import type { DeidResult } from './deid-result.ts';
import { validateDicom } from '../ingest/dicom-validate.ts';

export type { DeidKeys } from './dicom-dataset-walker.ts';

/** UID of this implementation in the rebuilt File Meta Information (0002,0012). */
export const CLARUS_IMPLEMENTATION_CLASS_UID = '2.25.161583781879718378709188813405474123334';
export const CLARUS_IMPLEMENTATION_VERSION = 'CLARUS_DEID_1';

export interface DicomDeidOptions extends DeidSettings {
  /** The burned-in text gate (DEID-2). */
  pixelText?: {
    policy: PixelTextPolicy;
    /** An Administrator or Radiologist confirmed this instance free of text in its pixels. */
    confirmedClean?: boolean;
    /** Regions a reviewer drew on this very instance: they replace the configured mask rules. */
    reviewerRegions?: readonly PixelRegion[];
  };
  /**
   * HIPAA Safe Harbor (research exports): Patient's Age over 89 becomes 090Y, one that is not an
   * Age String is removed (src/domain/safe-harbor.ts).
   */
  safeHarbor?: boolean;
}

export interface DicomDeidReport {
  profile: { standard: 'DICOM PS3.15 Annex E'; edition: string; options: string[] };
  /** Elements by what happened to them (sequences and their items counted at every level). */
  actions: Partial<Record<ActionTaken, number>>;
  /** The same, per kind of element. */
  byClass: Partial<Record<TagClass, Partial<Record<ActionTaken, number>>>>;
  pixelText: PixelTextRisk & { masked?: number; confirmedClean?: boolean };
  /** The new SOP Instance UID (not PHI: a keyed pseudonym). */
  sopInstanceUid: string;
  transferSyntaxUid: string;
}

export type DicomDeidResult = DeidResult<DicomDeidReport>;

function first(ds: RawDataset, key: string): string | undefined {
  const value = ds[key]?.Value?.[0];
  const text = textOf(value);
  if (text !== undefined) return text.trim() === '' ? undefined : text.trim();
  return typeof value === 'number' ? String(value) : undefined;
}

function number(ds: RawDataset, key: string): number | undefined {
  const value = ds[key]?.Value?.[0];
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number.parseInt(value, 10) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

function pixelFacts(ds: RawDataset, meta: RawDataset): PixelTextFacts {
  return {
    sopClassUid: first(ds, '00080016') ?? first(meta, '00020002') ?? '',
    modality: first(ds, '00080060'),
    burnedInAnnotation: first(ds, '00280301'),
    manufacturer: first(ds, '00080070'),
    modelName: first(ds, '00081090'),
    rows: number(ds, '00280010'),
    columns: number(ds, '00280011'),
    hasPixels: ds['7FE00010'] !== undefined || ds['7FE00008'] !== undefined || ds['7FE00009'] !== undefined,
  };
}

/** What the burned-in text gate looks at in a Part 10 file, or undefined when it cannot be read. */
export function readPixelTextFacts(bytes: Buffer): PixelTextFacts | undefined {
  if (!validateDicom(bytes).ok) return undefined;
  try {
    const raw = readRawDicom(bytes);
    return pixelFacts(raw.dict, raw.meta);
  } catch {
    return undefined;
  }
}

/** Blanks the configured regions, or says why it cannot (compressed or unusual pixel data). */
function applyMasks(ds: RawDataset, transferSyntax: string, facts: PixelTextFacts, policy: PixelTextPolicy, reviewerRegions?: readonly PixelRegion[]): { masked: number } | { refusal: string } {
  const rule = reviewerRegions !== undefined && reviewerRegions.length > 0 ? { regions: reviewerRegions } : findMaskRule(facts, policy);
  if (rule === undefined) return { refusal: 'no pixel mask is configured for this device model and image size' };
  const native = ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN].includes(transferSyntax);
  const pixels = ds['7FE00010']?.Value;
  if (!native || !Array.isArray(pixels) || pixels.length !== 1 || !(pixels[0] instanceof ArrayBuffer)) return { refusal: 'pixel masks need native (uncompressed) pixel data' };
  const layout: NativePixelLayout = {
    rows: facts.rows ?? 0, columns: facts.columns ?? 0, frames: number(ds, '00280008') ?? 1,
    samplesPerPixel: number(ds, '00280002') ?? 1, planarConfiguration: number(ds, '00280006') ?? 0,
    bitsAllocated: number(ds, '00280100') ?? 0, photometricInterpretation: first(ds, '00280004') ?? '',
  };
  const bytes = new Uint8Array(pixels[0]);
  const why = unmaskableLayout(layout, bytes.length);
  if (why !== undefined) return { refusal: why };
  return { masked: maskNativePixels(bytes, layout, rule.regions) };
}

function code(value: string, meaning: string): RawDataset {
  return { '00080100': { vr: 'SH', Value: [value] }, '00080102': { vr: 'SH', Value: ['DCM'] }, '00080104': { vr: 'LO', Value: [meaning] } };
}

function rebuildMeta(raw: RawDicom, sopInstanceUid: string): string {
  const sopClass = first(raw.dict, '00080016') ?? first(raw.meta, '00020002') ?? '';
  const original = first(raw.meta, '00020010') ?? EXPLICIT_VR_LITTLE_ENDIAN;
  // dcmjs reads deflated data sets but writes them inflated: say so (PS3.5 §A.5 → §A.2).
  const transferSyntax = original === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN ? EXPLICIT_VR_LITTLE_ENDIAN : original;
  raw.meta = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': { vr: 'UI', Value: [sopClass] },
    '00020003': { vr: 'UI', Value: [sopInstanceUid] },
    '00020010': { vr: 'UI', Value: [transferSyntax] },
    '00020012': { vr: 'UI', Value: [CLARUS_IMPLEMENTATION_CLASS_UID] },
    '00020013': { vr: 'SH', Value: [CLARUS_IMPLEMENTATION_VERSION] },
  };
  return transferSyntax;
}

/**
 * De-identifies one Part 10 file. Refuses (never throws for bad input) what it cannot make safe:
 * unreadable files, and instances the burned-in text gate holds without a configured mask or a
 * reviewer's confirmation.
 */
export function deidentifyDicom(bytes: Buffer, options: DicomDeidOptions, keys: DeidKeys): DicomDeidResult {
  const optionProblem = checkOptions(options.options);
  if (optionProblem !== undefined) return { ok: false, code: 'BAD_OPTIONS', reason: optionProblem };
  // The ingest checks first (ING-4: bounded nesting, lengths and frames; truncation refused, never
  // padded): the offline tool reads files nobody validated, and dcmjs alone would pad or misread.
  const valid = validateDicom(bytes);
  if (!valid.ok) return { ok: false, code: 'UNREADABLE', reason: valid.refusal.message };
  let raw: RawDicom;
  try {
    raw = readRawDicom(bytes);
  } catch (thrown) {
    return { ok: false, code: 'UNREADABLE', reason: thrown instanceof DicomReadError ? thrown.message : 'not a readable DICOM file' };
  }
  const ds = raw.dict;
  const originalTransferSyntax = first(raw.meta, '00020010') ?? EXPLICIT_VR_LITTLE_ENDIAN;

  // DEID-2 first: nothing is worth de-identifying if the pixels cannot leave.
  const facts = pixelFacts(ds, raw.meta);
  const risk = assessPixelTextRisk(facts, options.pixelText?.policy);
  const pixelReport: DicomDeidReport['pixelText'] = { ...risk };
  let pixelsCleaned = false;
  // A reviewer's rectangles are applied whether or not the rules hold the image: a radiologist who
  // saw a name in a CT the rules let through has found what the rules missed (DEID-2).
  const reviewerRegions = options.pixelText?.reviewerRegions ?? [];
  if (reviewerRegions.length > 0 || (risk.hold && options.pixelText?.confirmedClean !== true)) {
    const masked = applyMasks(ds, originalTransferSyntax, facts, options.pixelText?.policy ?? {}, reviewerRegions);
    if ('refusal' in masked) return { ok: false, code: 'BURNED_IN_TEXT', reason: `${risk.hold ? risk.detail : 'a reviewer masked regions'}; ${masked.refusal}` };
    pixelReport.masked = masked.masked;
    pixelsCleaned = true;
  } else if (risk.hold) {
    pixelReport.confirmedClean = true;
  }

  const identity = options.patientIdentity ?? first(ds, '00100020') ?? `study/${first(ds, '0020000D') ?? ''}`;
  const enabled = new Set<ProfileOptionColumn>(options.options.map((o) => deidOptions[o].column));
  const actions: DicomDeidReport['actions'] = {};
  const byClass: DicomDeidReport['byClass'] = {};
  const walker = new DatasetWalker({
    enabled, keys,
    shiftDays: enabled.has('rtnLongModifDatesOpt') ? keys.dateShiftDays(identity) : undefined,
    allowList: options.textAllowList ?? [],
    safePrivate: options.safePrivate ?? [],
    count(tagClass, action) {
      actions[action] = (actions[action] ?? 0) + 1;
      const counts = (byClass[tagClass] ??= {});
      counts[action] = (counts[action] ?? 0) + 1;
    },
  });
  try {
    walker.walk(ds, 'normal');
  } catch {
    return { ok: false, code: 'UNREADABLE', reason: 'data set too deeply nested' };
  }

  if (options.safeHarbor === true && ds['00101010'] !== undefined) {
    const age = capAgeString(first(ds, '00101010') ?? '');
    if (age === undefined) delete ds['00101010'];
    else ds['00101010'] = { vr: 'AS', Value: [age] };
  }

  // DEID-4: the keyed pseudonym as Patient's Name and Patient ID (Z and Z/D allow a dummy value).
  const pseudonym = keys.patientPseudonym(identity);
  ds['00100010'] = { vr: 'PN', Value: [{ Alphabetic: pseudonym }] };
  ds['00100020'] = { vr: 'LO', Value: [pseudonym] };
  actions.pseudonym = 2;

  const used = options.options.map((o) => deidOptions[o]);
  const codes = [BASIC_PROFILE_CODE, ...(pixelsCleaned ? [CLEAN_PIXEL_DATA_CODE] : []), ...used];
  ds['00120062'] = { vr: 'CS', Value: ['YES'] };
  ds['00120063'] = { vr: 'LO', Value: [`Clarus: PS3.15 ${PROFILE_EDITION} Table E.1-1 Basic Profile`, ...used.map((o) => o.meaning.replace(/ Option$/, '').slice(0, 64))] };
  ds['00120064'] = { vr: 'SQ', Value: codes.map((c) => code(c.code, c.meaning)) };
  // PS3.3 C.12.1: UNMODIFIED, MODIFIED or REMOVED (PS3.15 E.3.6).
  const temporal = enabled.has('rtnLongModifDatesOpt') ? 'MODIFIED' : enabled.has('rtnLongFullDatesOpt') ? 'UNMODIFIED' : 'REMOVED';
  ds['00280303'] = { vr: 'CS', Value: [temporal] };
  if (pixelsCleaned) ds['00280301'] = { vr: 'CS', Value: ['NO'] };

  const sopInstanceUid = first(ds, '00080018') ?? keys.uid(`instance/${identity}`);
  ds['00080018'] = { vr: 'UI', Value: [sopInstanceUid] };
  const transferSyntaxUid = rebuildMeta(raw, sopInstanceUid);
  let output: Buffer;
  try {
    output = writeRawDicom(raw);
  } catch {
    return { ok: false, code: 'UNREADABLE', reason: 'the de-identified data set could not be encoded' };
  }
  return {
    ok: true,
    bytes: output,
    report: {
      profile: { standard: 'DICOM PS3.15 Annex E', edition: PROFILE_EDITION, options: [...options.options] },
      actions, byClass, pixelText: pixelReport, sopInstanceUid, transferSyntaxUid,
    },
  };
}
