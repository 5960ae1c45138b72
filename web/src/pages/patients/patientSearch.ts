import { clientError } from '../../api/errors';
import type { PatientSearch, PatientView } from '../../api/patient-types';
import { searchPatients } from '../../api/patients';

/** How many patients one search shows; more means "refine the search". */
export const PAGE_SIZE = 50;

const nameText = /^[\p{L}\p{M} .'’-]+$/u;
const mrnText = /^[\x21-\x7E]+$/u;

/** How a search text was read, for the line above the results. */
export type SearchMode = 'all' | 'mrn' | 'name' | 'name-or-mrn';

/**
 * Reads one search box as the server's criteria. Names never contain digits, so text with a digit is
 * an exact MRN. Text without digits may be either (a name prefix, or an MRN of letters only, which
 * some organisations use), so it is looked up both ways and the answers merged, unless it has a space
 * or a non-ASCII letter, which no MRN has.
 */
export function readSearch(text: string): { mode: SearchMode; criteria: PatientSearch[] } {
  const term = text.trim();
  if (term === '') return { mode: 'all', criteria: [{}] };
  const asName = nameText.test(term);
  const asMrn = mrnText.test(term);
  if (asName && asMrn) return { mode: 'name-or-mrn', criteria: [{ mrn: term }, { name: term }] };
  if (asMrn) return { mode: 'mrn', criteria: [{ mrn: term }] };
  if (asName) return { mode: 'name', criteria: [{ name: term }] };
  throw clientError('Type the start of a family or given name (letters only), or a whole MRN.', 'search');
}

/** Runs the searches of `readSearch` (in parallel) and merges them, first answer first, without duplicates. */
export async function runSearch(criteria: readonly PatientSearch[]): Promise<{ patients: PatientView[]; truncated: boolean }> {
  const answers = await Promise.all(criteria.map((c) => searchPatients({ ...c, limit: PAGE_SIZE })));
  const seen = new Set<string>();
  const patients: PatientView[] = [];
  for (const view of answers.flat()) {
    if (seen.has(view.patient.id)) continue;
    seen.add(view.patient.id);
    patients.push(view);
  }
  return { patients, truncated: answers.some((a) => a.length >= PAGE_SIZE) };
}

/** The line that says what the results are. */
export function describeSearch(mode: SearchMode, term: string, count: number): string {
  const n = count === 1 ? '1 patient' : `${count} patients`;
  switch (mode) {
    case 'all':
      return `${n} you can see.`;
    case 'mrn':
      return `${n} with MRN “${term}”.`;
    case 'name':
      return `${n} whose family or given name starts with “${term}”.`;
    case 'name-or-mrn':
      return `${n} with MRN “${term}” or a family or given name starting with it.`;
  }
}
