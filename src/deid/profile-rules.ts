/**
 * From the generated Table E.1-1 to one action per attribute: lookup (exact tag, then repeating
 * groups), option precedence, and the resolution of combined codes (PS3.15 E.1.1). Rules, in order:
 *
 * 1. An enabled option that names the attribute overrides the Basic Profile ("a requirement for an
 *    Option, when implemented, overrides any requirement for the underlying Profile").
 * 2. When several enabled options name it, C (clean) wins over K (keep): the least information.
 *    E.g. Date of Last Calibration with Retain Device Identity (K) and Modified Dates (C) is shifted.
 * 3. A combined code takes the action for the attribute's strongest type in any IOD
 *    (`iod-type-hints.ts`): Type 1 → D (U for X/Z/U*), Type 2 → Z, Type 3 → X; when the code does not
 *    offer that action (X/D for a Type 2 attribute), the next stronger one it offers (D).
 */
import { PROFILE_EXACT, PROFILE_MASKED, type ProfileAction, type ProfileEntry, type ProfileOptionColumn } from './generated/profile-table.ts';
import { strongestIodType, type AttributeType } from './iod-type-hints.ts';

/** The single action applied to one element. */
export type ResolvedAction = 'D' | 'Z' | 'X' | 'K' | 'C' | 'U';

export interface ProfileMatch {
  entry: ProfileEntry;
  /** 'exact' for a tag of its own, 'repeating' for a 50xx/60xx row. */
  kind: 'exact' | 'repeating';
}

/** The Table E.1-1 row of a public tag (8 upper-case hex digits), if any. */
export function lookupProfile(key: string): ProfileMatch | undefined {
  const exact = PROFILE_EXACT.get(key);
  if (exact) return { entry: exact, kind: 'exact' };
  const tag = Number.parseInt(key, 16);
  for (const row of PROFILE_MASKED) {
    if ((tag & row.mask) >>> 0 === row.value) return { entry: row.entry, kind: 'repeating' };
  }
  return undefined;
}

/** A combined (or single) Basic Profile code resolved for an attribute of the given strongest type. */
export function resolveCombined(code: ProfileAction, type: AttributeType): ResolvedAction {
  switch (code) {
    case 'D': case 'Z': case 'X': case 'K': case 'C': case 'U': return code;
    case 'Z/D': return type === 1 ? 'D' : 'Z';
    case 'X/Z': return type === 3 ? 'X' : 'Z';
    case 'X/D': return type === 3 ? 'X' : 'D';
    case 'X/Z/D': return type === 1 ? 'D' : type === 2 ? 'Z' : 'X';
    case 'X/Z/U*': return type === 1 ? 'U' : type === 2 ? 'Z' : 'X';
  }
}

/** The Basic Profile's action for an attribute, combined codes resolved (unknown attributes: Type 3). */
export function basicAction(key: string, entry: ProfileEntry): ResolvedAction {
  return resolveCombined(entry.basic, strongestIodType.get(key) ?? 3);
}

export interface Decision {
  action: ResolvedAction;
  /** For C: the enabled option columns that asked for cleaning. */
  cleanBy: ProfileOptionColumn[];
}

/** The action for one attribute under the enabled option columns (rules 1–3 above). */
export function decide(key: string, entry: ProfileEntry, enabled: ReadonlySet<ProfileOptionColumn>): Decision {
  const cleanBy: ProfileOptionColumn[] = [];
  let keep = false;
  for (const [column, action] of Object.entries(entry.options) as Array<[ProfileOptionColumn, 'K' | 'C']>) {
    if (!enabled.has(column)) continue;
    if (action === 'C') cleanBy.push(column);
    else keep = true;
  }
  if (cleanBy.length > 0) return { action: 'C', cleanBy };
  if (keep) return { action: 'K', cleanBy };
  return { action: basicAction(key, entry), cleanBy };
}
