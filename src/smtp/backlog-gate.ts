// Back-pressure on processing (issue 16): when more acknowledged messages wait
// to become ready than smtp.maxPendingMessages, new mail is refused for now
// instead of queued without end (the queue's memory and every reader's wait
// grew with it).
//
// Where: the reply to the final dot, 451 4.3.0, not 421 4.3.2 at connect.
// - Load comes mostly over persistent (and pipelined) sessions; a 421 to new
//   connections would not slow a sender that already holds one, so the bound
//   would not hold. The final dot is the one point every message passes.
// - It is exact: the check is made at the moment the message would join the
//   backlog, so the backlog never passes the bound by more than the messages
//   already between their dot and their commit.
// - A 4yz to the final dot leaves the message with the sender, which queues
//   and retries it (RFC 5321 §4.2.5, §6.1); nothing is stored. The bytes
//   were transferred for nothing, but they are bounded by
//   smtp.maxDataBytesInFlight and only spent while the backlog is over.
// 4.3.0 (RFC 3463: other or undefined mail system status) rather than 4.3.1
// (storage full), which the disk floor and the DATA budget already use:
// storage is fine here, processing is behind.

export class BacklogGate {
  /** Messages refused because the backlog was over the bound. */
  refused = 0;

  constructor(
    /** smtp.maxPendingMessages; 0: no bound. */
    private readonly max: number,
    /** Acknowledged messages not yet ready, as the writer thread last reported it. */
    private readonly pending: () => number,
  ) {}

  /** The reply for a message whose final dot just arrived, or null to store it. */
  refusal(): { code: 451; message: string } | null {
    if (this.max <= 0 || this.pending() < this.max) return null;
    this.refused++;
    return { code: 451, message: '4.3.0 Too much mail waiting to be processed, try again later' };
  }
}
