/**
 * A one-time message for the patient list, left by a page that sends the user there (after an
 * erasure). In memory only: never in the URL or in browser storage, and it holds no patient data.
 */
let pending: string | null = null;

/** Leaves a message for the next visit of the patient list. */
export function leavePatientsNotice(message: string): void {
  pending = message;
}

/** The message waiting for the patient list, if any (it stays until `clearPatientsNotice`). */
export function peekPatientsNotice(): string | null {
  return pending;
}

/** Forgets the message once the patient list has shown it. */
export function clearPatientsNotice(): void {
  pending = null;
}
