/** A patient's demographics as services and the API see them (stored encrypted: docs/encryption.md). */
export interface PatientRecord {
  id: string;
  mrn: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  sex: 'female' | 'male' | 'other' | 'unknown';
  email: string | null;
  phone: string | null;
  address: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type PatientInput = Omit<PatientRecord, 'id' | 'createdAt' | 'updatedAt'>;

/** The PHI fields, each encrypted on its own, and the column that holds it. */
export const encryptedPatientFields = {
  mrn: 'mrn_enc',
  givenName: 'given_name_enc',
  familyName: 'family_name_enc',
  birthDate: 'birth_date_enc',
  sex: 'sex_enc',
  email: 'email_enc',
  phone: 'phone_enc',
  address: 'address_enc',
} as const satisfies Record<keyof PatientInput, string>;

export type EncryptedPatientColumn = (typeof encryptedPatientFields)[keyof PatientInput];
