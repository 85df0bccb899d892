// mailparser's MailParser without the work whose results parse.ts never
// reads (issue 16: CPU per message in the parse workers). Two of its
// internal methods are narrowed; everything else, the MIME structure
// (mailsplit), the limits, the decoding of bodies and attachments, is
// mailparser's own. test/mail/lean-mail-parser.test.ts checks that it
// answers exactly as MailParser does on the hostile catalogue and the bench's
// mail, and that the methods it narrows are still there to narrow.
import { MailParser } from 'mailparser';

/** One header line as mailsplit hands it to processHeaders. */
interface HeaderLine {
  key: string;
  line: string;
}

/** The internals of MailParser 3.x this class narrows (not in its .d.ts). */
interface Internals {
  processHeaders(lines: HeaderLine[]): Map<string, unknown>;
  finished: boolean;
  curnode: { decoder?: { writableEnded?: boolean; end(): void } } | false;
  waitingEnd: ((err?: Error) => void) | false;
}

const base = MailParser.prototype as unknown as Internals;

/**
 * The only field of a part's decoded header map that MailParser's own code
 * reads back for parse.ts: Content-ID, for an attachment's cid and `related`.
 * The rest (addresses parsed and formatted as HTML and text, dates, list
 * headers, DKIM parameters: ~15% of a 5 KB message's parse) went into
 * `headers` events and the `headers` of attachments, which parse.ts does not
 * read: it takes the raw header lines (headerLines) and decodes them itself,
 * and the MIME structure comes from mailsplit's own parse of each part.
 */
const KEPT_HEADERS = new Set(['content-id']);

export class LeanMailParser extends MailParser {
  /** @internal MailParser's hook: the decoded headers of one part, here only those it reads back. */
  processHeaders(lines: HeaderLine[] | undefined): Map<string, unknown> {
    return base.processHeaders.call(this, (lines ?? []).filter((l) => KEPT_HEADERS.has(l.key)));
  }

  /**
   * @internal MailParser 3.14's endStream, except that a decoder already
   * ended is not ended again: for most messages the last part's decoder has
   * been ended by then, and Writable.end() on it builds an
   * ERR_STREAM_ALREADY_FINISHED error, stack trace and all, only to drop it
   * (~35 µs a message). Ending an ended stream has no other effect.
   */
  endStream(): void {
    const self = this as unknown as Internals;
    self.finished = true;
    const decoder = self.curnode ? self.curnode.decoder : undefined;
    if (decoder && !decoder.writableEnded) decoder.end();
    if (typeof self.waitingEnd === 'function') self.waitingEnd();
  }
}
