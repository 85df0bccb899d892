// An SMTP refusal: smtp-server sends `responseCode` and the message as the
// reply text, so every refusal carries its RFC 3463 enhanced code in the text.
export class SmtpError extends Error {
  constructor(readonly responseCode: number, message: string) {
    super(message);
  }
}
