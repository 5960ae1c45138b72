import { readFileSync } from 'node:fs';

/**
 * NIST SP 800-63B §5.1.1.2 (AUTH-1): at least 12 characters, at most 256; checked against a list of
 * commonly used passwords and context-specific words; no composition rules, no forced expiry.
 */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(new URL('./data/common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  return common;
}

/** Returns why a password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, context: { email?: string } = {}): string | undefined {
  const length = [...password.normalize('NFKC')].length;
  if (length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  const lower = password.normalize('NFKC').toLowerCase();
  const list = commonPasswords();
  // The list itself, and the usual disguises: digits or symbols (anything but letters, in any script)
  // added before, after, or around a listed word.
  const trailing = /[^\p{L}]+$/u;
  const leading = /^[^\p{L}]+/u;
  const core = lower.replace(trailing, '').replace(leading, '');
  const variants = [lower, lower.replace(trailing, ''), lower.replace(leading, ''), core];
  if (variants.some((v) => v.length >= 6 && list.has(v))) return 'is too common';
  if (new Set(lower).size <= 2) return 'is too repetitive';
  const email = context.email?.toLowerCase();
  const localPart = email?.split('@')[0];
  const contextWords = ['clarus', ...(email && localPart && localPart.length >= 4 ? [email, localPart, localPart.replace(trailing, '')] : [])];
  // A context word padded with anything but letters is still that word.
  if (contextWords.some((w) => w.length >= 4 && lower.startsWith(w) && !/\p{L}/u.test(lower.slice(w.length)))) return 'is too easy to guess from the context';
  if (contextWords.some((w) => w.length >= 4 && core === w)) return 'is too easy to guess from the context';
  return undefined;
}
