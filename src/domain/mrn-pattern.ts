/**
 * Tenant MRN formats are regular expressions from a safe subset, because a pattern with nested or
 * many variable quantifiers can take exponential time in a backtracking engine (ReDoS, CWE-1333):
 * a sequence of literals, escapes (\d, \w, \-) and character classes, each with an optional
 * quantifier, anchored or not; no groups, no alternation, no back-references; at most three variable
 * quantifiers, so matching a 64-character MRN is bounded by about 64³ steps.
 */
const atom = String.raw`(?:\[(?:[^\]\\]|\\.)+\]|\\[dDwWsS.\-]|[A-Za-z0-9 .\-_/:#])`;
const quantifier = String.raw`(?:[*+?]|\{\d{1,2}(?:,\d{0,2})?\})?`;
// eslint-disable-next-line security/detect-non-literal-regexp -- built from the constant fragments above
const safeSubset = new RegExp(`^\\^?(?:${atom}${quantifier})+\\$?$`);

export function mrnPatternProblem(pattern: string): string | undefined {
  if (pattern.length > 200) return 'The format is too long.';
  if (!safeSubset.test(pattern)) return 'Use only characters, character classes and simple quantifiers (no groups or alternation).';
  const variable = (pattern.match(/[*+]|\{\d{1,2},\d{0,2}\}|\?/g) ?? []).length;
  if (variable > 3) return 'Use at most three variable-length parts.';
  try {
    // eslint-disable-next-line security/detect-non-literal-regexp -- compiled only to check it is a pattern; it passed the safe subset above
    new RegExp(pattern, 'u');
  } catch {
    return 'This is not a valid regular expression.';
  }
  return undefined;
}
