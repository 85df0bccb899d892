// Replies to pipelined commands in one write (issue 16: main-thread CPU per
// message). smtp-server writes each reply with its own socket.write, and an
// uncorked socket with nothing queued makes each one a write syscall at once:
// a client that pipelines MAIL, RCPT and DATA (RFC 2920; Postfix does) gets
// three syscalls for what arrived in one packet. Measured with --cpu-prof,
// the main thread spent about a quarter of its time in those writes.
//
// While the commands of one received chunk are being answered the socket is
// corked, and it is uncorked in the same turn of the event loop (setImmediate
// runs before the loop waits for I/O again), so the replies leave together in
// one writev. The wait is bounded by that turn: replies that come later (the
// 250 after the group commit, a RCPT answered by PostgreSQL) find the socket
// uncorked and go at once, as before. Nothing in node_modules is changed: the
// cork is on the socket smtp-server was given.
import type { Socket } from 'node:net';

/**
 * Installs the coalescing on the socket smtp-server reads commands from: the
 * plain connection (the 'connection' event), or the TLSSocket it hands to
 * onSecure (after STARTTLS, on an implicit-TLS port); either before it pipes
 * that socket into its parser.
 */
export function coalesceReplies(socket: Socket): void {
  let corked = false;
  const flush = (): void => {
    if (!corked) return;
    corked = false;
    socket.uncork();
  };
  // Prepended: the cork must be on before smtp-server's parser, which pipe()
  // feeds from its own 'data' listener, answers the chunk.
  socket.prependListener('data', () => {
    if (corked) return;
    corked = true;
    socket.cork();
    setImmediate(flush);
  });
  // STARTTLS: smtp-server writes "220 Ready to start TLS", then unpipes the
  // socket and wraps it in a TLSSocket. The 220 must reach the socket before
  // the TLS layer takes it over, so unpiping flushes first. (end() uncorks by
  // itself, so a 221 or 421 before a close is never held back.)
  const unpipe = socket.unpipe;
  socket.unpipe = function (this: Socket, ...args: Parameters<Socket['unpipe']>) {
    flush();
    return unpipe.apply(this, args);
  } as Socket['unpipe'];
}
