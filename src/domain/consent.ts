/**
 * Consent per patient and purpose (PRIV-1). A purpose without a recorded decision is `unknown`,
 * which counts as no consent: nothing is exported or analysed on a presumption.
 */
export const consentPurposes = ['research', 'clinical-ai'] as const;
export type ConsentPurpose = (typeof consentPurposes)[number];

export const consentDecisions = ['granted', 'refused', 'withdrawn'] as const;
export type ConsentDecision = (typeof consentDecisions)[number];
export type ConsentStatus = ConsentDecision | 'unknown';

export function isConsentPurpose(value: string): value is ConsentPurpose {
  return (consentPurposes as readonly string[]).includes(value);
}

/** Only an explicit, current grant allows the use. */
export function consentAllows(status: ConsentStatus): boolean {
  return status === 'granted';
}
