import { useSyncExternalStore } from 'react';

/**
 * The research export being prepared: studies picked on patients' pages, the purpose and the
 * options. Kept in memory only (never in storage or the URL), so that a reviewer can go from the
 * export page to the viewer of a held instance and back without losing the form; a reload starts
 * afresh, which is the safe default for a selection of patients' studies. The draft belongs to the
 * user who made it: after a sign-out and another user's sign-in in the same tab it is not shown.
 */

/** A picked study, with what the export page shows of it (it never leaves the browser's memory). */
export interface DraftStudy {
  studyId: string;
  patientId: string;
  /** The patient's name as the user saw it, or null when the page did not show one. */
  patientName: string | null;
  /** Date, description and modalities of the study. */
  label: string;
}

export interface ExportDraft {
  /** The user id of whoever made it. */
  owner: string | null;
  studies: readonly DraftStudy[];
  purpose: string;
  options: readonly string[];
}

const empty: ExportDraft = { owner: null, studies: [], purpose: '', options: [] };
let draft: ExportDraft = empty;
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function snapshot(): ExportDraft {
  return draft;
}

/** Replaces part of the draft of user `owner` (another user's draft is dropped) and tells every page that shows it. */
export function updateDraft(owner: string, change: Partial<Omit<ExportDraft, 'owner'>>): void {
  draft = { ...(draft.owner === owner ? draft : empty), ...change, owner };
  for (const listener of listeners) listener();
}

/** Adds or removes one study (the checkbox next to it on the patient page). */
export function toggleStudy(owner: string, study: DraftStudy, picked: boolean): void {
  const others = draftOf(owner).studies.filter((s) => s.studyId !== study.studyId);
  updateDraft(owner, { studies: picked ? [...others, study] : others });
}

function draftOf(owner: string): ExportDraft {
  return draft.owner === owner ? draft : empty;
}

/** Forgets the whole draft (after an export was asked for, or on sign-out). */
export function clearDraft(): void {
  draft = empty;
  for (const listener of listeners) listener();
}

/** The current draft of user `owner` (empty when someone else made it); re-renders when it changes. */
export function useExportDraft(owner: string): ExportDraft {
  const current = useSyncExternalStore(subscribe, snapshot, snapshot);
  return current.owner === owner ? current : empty;
}
