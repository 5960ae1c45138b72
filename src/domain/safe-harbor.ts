/**
 * HIPAA Safe Harbor (45 CFR §164.514(b)(2)) for research exports (DEID-3): the 18 identifiers of
 * the individual must not leave. This file says what that means for the PS3.15 options and for the
 * patient record that goes into an export's manifest.
 */

/**
 * Options that would keep Safe Harbor identifiers, with the identifier they keep:
 * (C) all elements of dates except the year; (R) any other unique identifying number — DICOM UIDs
 * often embed device serial numbers, dates and times; (M) device identifiers and serial numbers;
 * (B) geographic subdivisions smaller than a state — the institution's address and name locate the
 * patient's place of care. Modified Dates stays allowed: the shift is secret per tenant and patient
 * (1–3650 days), so no date in the export is a date of the individual (docs/deidentification.md).
 */
export const safeHarborRefusedOptions: Readonly<Record<string, string>> = {
  'retain-longitudinal-full-dates': 'keeps full dates (Safe Harbor identifier C)',
  'retain-uids': 'keeps original UIDs, which can embed serial numbers and dates (identifier R)',
  'retain-device-identity': 'keeps device identifiers and serial numbers (identifier M)',
  'retain-institution-identity': 'keeps institution names and addresses (identifier B)',
};

/** Ages over 89 are aggregated into one category, 90 or older (§164.514(b)(2)(i)(C)). */
export const SAFE_HARBOR_AGE_CEILING = 90;

/** The patient record of a Safe Harbor manifest: pseudonym, sex, and the year of birth unless over 89. */
export interface SafeHarborPatient {
  pseudonym: string;
  sex: string | null;
  /** The year of birth, or `90 or older` (its year would reveal an age over 89). */
  birthYear: number | '90 or older' | null;
}

function fullYearsBetween(birth: Date, at: Date): number {
  let years = at.getUTCFullYear() - birth.getUTCFullYear();
  const before = at.getUTCMonth() < birth.getUTCMonth() || (at.getUTCMonth() === birth.getUTCMonth() && at.getUTCDate() < birth.getUTCDate());
  if (before) years -= 1;
  return years;
}

/** Builds the manifest's record of one patient; `birthDate` is ISO `YYYY-MM-DD` or null. */
export function safeHarborPatient(pseudonym: string, sex: string | null, birthDate: string | null, at: Date): SafeHarborPatient {
  let birthYear: SafeHarborPatient['birthYear'] = null;
  if (birthDate !== null && /^\d{4}-\d{2}-\d{2}$/.test(birthDate)) {
    const birth = new Date(`${birthDate}T00:00:00Z`);
    birthYear = fullYearsBetween(birth, at) >= SAFE_HARBOR_AGE_CEILING ? '90 or older' : birth.getUTCFullYear();
  }
  // Sex is not one of the 18 identifiers; only the coded value is kept, never free text.
  const coded = sex !== null && ['male', 'female', 'other', 'unknown', 'M', 'F', 'O', 'U'].includes(sex) ? sex : null;
  return { pseudonym, sex: coded, birthYear };
}

/**
 * DICOM Age String (PS3.5 §6.2, `nnnD|W|M|Y`) capped at 090Y: Retain Patient Characteristics keeps
 * Patient's Age (0010,1010), which Safe Harbor allows only up to 89. A value that is not an Age
 * String cannot be judged: undefined, and the caller removes it.
 */
export function capAgeString(value: string): string | undefined {
  const match = /^(\d{3})([DWMY])$/.exec(value.trim());
  if (!match) return undefined;
  const n = Number(match[1]);
  const years = match[2] === 'Y' ? n : match[2] === 'M' ? n / 12 : match[2] === 'W' ? n / 52.1775 : n / 365.2425;
  return years >= SAFE_HARBOR_AGE_CEILING ? '090Y' : value;
}
