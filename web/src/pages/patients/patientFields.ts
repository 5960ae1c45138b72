import { ApiError, ErrorCode } from '../../api/errors';
import { SEXES, type Patient, type PatientInput, type Sex } from '../../api/patient-types';

/** The patient form's values, all as typed (strings). */
export interface PatientFormValues {
  mrn: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  sex: Sex | '';
  email: string;
  phone: string;
  address: string;
}

/** The name of one form field (the same as the API's field name, so server messages match). */
export type PatientField = keyof PatientFormValues;

/** Labels of the fields, also used to word the server's generic field messages. */
export const fieldLabels: Record<PatientField, string> = {
  mrn: 'MRN',
  givenName: 'Given name',
  familyName: 'Family name',
  birthDate: 'Birth date',
  sex: 'Sex',
  email: 'E-mail address',
  phone: 'Phone',
  address: 'Address',
};

/** Every field the form shows inline (problems with others go to the form's banner). */
export const patientFieldNames = Object.keys(fieldLabels) as PatientField[];

/** What to do about a field the server refused with one of its generic messages. */
const advice: Partial<Record<PatientField, string>> = {
  mrn: 'Use the medical record number exactly as on the patient’s records.',
  givenName: 'Use letters, spaces, hyphens, apostrophes and full stops.',
  familyName: 'Use letters, spaces, hyphens, apostrophes and full stops.',
  birthDate: 'Enter a real date between 1 January 1900 and today.',
  email: 'Check the address, for example name@example.org.',
  phone: 'Use the international format: a plus, the country code and the number, for example +441632960000.',
  address: 'Use at most 500 characters.',
};

/**
 * The message to show under one field: the server's own words when it wrote them for this field
 * ("This MRN is already used."), or its generic message worded with the label plus advice.
 */
export function fieldProblem(error: ApiError | null, field: PatientField): string | undefined {
  const message = error?.fieldMessage(field);
  if (message === undefined || !message.startsWith('This field ')) return message;
  const worded = `${fieldLabels[field]} ${message.slice('This field '.length)}`;
  const extra = advice[field];
  return extra === undefined ? worded : `${worded} ${extra}`;
}

/** How each sex value reads on screen. */
export const sexLabels: Record<Sex, string> = { female: 'Female', male: 'Male', other: 'Other', unknown: 'Unknown' };
/** The choices of the sex select. */
export const sexOptions = SEXES.map((sex) => ({ value: sex, label: sexLabels[sex] }));

/** The form's starting values: empty, or those of the patient being edited. */
export function valuesOf(patient?: Patient): PatientFormValues {
  return {
    mrn: patient?.mrn ?? '',
    givenName: patient?.givenName ?? '',
    familyName: patient?.familyName ?? '',
    birthDate: patient?.birthDate ?? '',
    sex: patient?.sex ?? '',
    email: patient?.email ?? '',
    phone: patient?.phone ?? '',
    address: patient?.address ?? '',
  };
}

/** Required fields left empty, as a form-check error with one message per field (or null). */
export function missingFields(values: PatientFormValues): ApiError | null {
  const required: PatientField[] = ['mrn', 'givenName', 'familyName', 'birthDate', 'sex'];
  const fields = required.filter((f) => values[f].trim() === '').map((f) => ({ path: f, message: `Enter the ${fieldLabels[f].toLowerCase()}.` }));
  if (fields.length === 0) return null;
  return new ApiError({ status: 0, code: ErrorCode.client, message: 'Some required fields are empty.', fields });
}

/** The create body: trimmed, optional fields left out when empty. */
export function toInput(values: PatientFormValues): PatientInput {
  const optional = (value: string): string | undefined => (value.trim() === '' ? undefined : value.trim());
  const email = optional(values.email);
  const phone = optional(values.phone);
  const address = optional(values.address);
  return {
    mrn: values.mrn.trim(),
    givenName: values.givenName.trim(),
    familyName: values.familyName.trim(),
    birthDate: values.birthDate,
    sex: values.sex === '' ? 'unknown' : values.sex,
    ...(email === undefined ? {} : { email }),
    ...(phone === undefined ? {} : { phone }),
    ...(address === undefined ? {} : { address }),
  };
}

/** The PATCH body: only the fields that changed; a cleared optional field becomes null. */
export function toPatch(before: PatientFormValues, values: PatientFormValues): Partial<PatientInput> {
  const input = toInput(values);
  const patch: Partial<PatientInput> = {};
  if (values.mrn.trim() !== before.mrn) patch.mrn = input.mrn;
  if (values.givenName.trim() !== before.givenName) patch.givenName = input.givenName;
  if (values.familyName.trim() !== before.familyName) patch.familyName = input.familyName;
  if (values.birthDate !== before.birthDate) patch.birthDate = input.birthDate;
  if (values.sex !== before.sex) patch.sex = input.sex;
  if (values.email.trim() !== before.email) patch.email = input.email ?? null;
  if (values.phone.trim() !== before.phone) patch.phone = input.phone ?? null;
  if (values.address.trim() !== before.address) patch.address = input.address ?? null;
  return patch;
}
