/**
 * Escapes every regular-expression metacharacter so user text matches literally when it is
 * embedded in a `$regex`: a search for `.*` or `(` finds those characters, never everything,
 * and never raises a syntax error in the database.
 */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
