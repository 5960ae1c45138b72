/** A DICOM DA value (YYYYMMDD) as YYYY-MM-DD; other text as it is; null stays null. */
export function studyDate(value: string | null): string | null {
  if (value === null) return null;
  const match = /^(\d{4})(\d{2})(\d{2})$/u.exec(value);
  return match === null ? value : `${match[1]}-${match[2]}-${match[3]}`;
}
