import { ApiError, ErrorCode } from '../../api/errors';
import type { Actor, ExportState, ResearchExport } from '../../api/research';

/** An export's state in words, with the badge tone that shows it. */
export const exportStates: Record<ExportState, { label: string; tone: string }> = {
  queued: { label: 'Queued', tone: 'badge-neutral' },
  running: { label: 'Running', tone: 'badge-severity-medium' },
  ready: { label: 'Ready to download', tone: 'badge-ok' },
  downloaded: { label: 'Downloaded', tone: 'badge-ok' },
  failed: { label: 'Failed', tone: 'badge-danger' },
  expired: { label: 'Expired', tone: 'badge-neutral' },
};

/** States in which the archive is still being built (the page polls while any export is in one). */
export function isActive(item: ResearchExport): boolean {
  return item.state === 'queued' || item.state === 'running';
}

/** States in which the archive can be downloaded (by the user who asked for it). */
export function isDownloadable(item: ResearchExport, userId: string | undefined): boolean {
  return (item.state === 'ready' || item.state === 'downloaded') && item.requestedBy === userId;
}

/** 0 to 100, whole numbers; a finished export is complete even if it had nothing to count. */
export function percentOf(item: ResearchExport): number {
  const { done, total } = item.progress;
  if (total <= 0) return isActive(item) ? 0 : 100;
  return Math.min(100, Math.floor((done / total) * 100));
}

/** A byte count for people (1 kB = 1000 bytes, as file managers show archive sizes). */
export function formatSize(bytes: number | null): string {
  if (bytes === null) return '—';
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** What to do about each refusal of an export; the server's message says what was wrong. */
const guidance: Record<string, string> = {
  [ErrorCode.consentMissing]:
    'A patient of the selected studies has not granted consent to research use. Record the consent on the patient’s page, or remove their studies, then check again.',
  [ErrorCode.pixelReviewPending]:
    'Some images may carry text in their pixels and have not been reviewed. Check again, open each held image, confirm it free of text or mask it, then start the export.',
  [ErrorCode.deidOptionRefused]:
    'An option that a Safe Harbor de-identified export cannot use was chosen. Untick it and try again.',
  [ErrorCode.stepUpCancelled]:
    'The export was not started: it needs a fresh confirmation with your second factor.',
};

/** The error with what to do about it added to its message (its code, fields and reference kept). */
export function explainExportError(error: ApiError | null): ApiError | null {
  const advice = error === null ? undefined : guidance[error.code];
  if (error === null || advice === undefined) return error;
  return new ApiError({
    status: error.status,
    code: error.code,
    message: error.code === ErrorCode.stepUpCancelled ? advice : `${error.message} ${advice}`,
    fields: error.fields,
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
  });
}

/**
 * Who recorded a decision, for people: "you" for the signed-in user, else the display name. The API
 * names users by id and display name only, so a user without a display name stays unnamed here.
 */
export function actorName(actor: Actor | null, myId: string): string {
  if (actor === null) return 'a user who no longer exists';
  if (actor.id === myId) return 'you';
  return actor.displayName ?? 'a user without a display name';
}
