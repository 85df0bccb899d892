// The PostgreSQL engine's full-text search with the SQLite engine's query
// semantics (message-queries.ts ftsQuery): text is split into words on every
// character that is not a letter or digit (FTS5 unicode61), each word the
// user typed must appear (AND), a typed word made of several parts
// ("foo-bar", "a@b.c") is a phrase of them, and a trailing `*` is a prefix
// search on its last part.
import { searchableInput } from '../message-queries.js';

/**
 * The search index holds the first this-many characters of a message's text:
 * a tsvector is limited to 1 MB, and a 20 MB body of distinct words would
 * exceed it and fail the whole commit.
 */
export const INDEXED_TEXT_CHARS = 256 * 1024;

/** Letters and digits kept, everything else a word break; NFC so composed and decomposed accents fold alike. */
export function searchText(text: string, max = INDEXED_TEXT_CHARS): string {
  return text.slice(0, max).normalize('NFC').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

export interface SearchTerm {
  /** The word's parts separated by spaces: phraseto_tsquery makes them a phrase. */
  phrase: string;
  prefix: boolean;
}

/** What a person typed, as terms (null when nothing searchable remains), at most 32 of them as in SQLite. */
export function searchTerms(input: string): SearchTerm[] | null {
  if (!searchableInput(input)) input = input.replace(/[\u0000-\u001f\u007f]/g, ' ');
  const terms: SearchTerm[] = [];
  for (const word of input.normalize('NFC').split(/\s+/).slice(0, 32)) {
    const prefix = word.endsWith('*');
    const phrase = searchText(word.replace(/\*+$/, '').slice(0, 200));
    if (!phrase) continue;
    terms.push({ phrase, prefix });
  }
  return terms.length ? terms : null;
}
