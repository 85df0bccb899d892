// The address column of the search index (issue 13 item 5): what every reader
// of every copy of a message can see on it. The envelope sender is shown on
// the message page; the header addresses with their display names are in the
// message itself. Envelope recipients are not: each copy's reader knows only
// their own, which the search matches from messages.inbox instead.
type Named = { address?: string; name?: string };

export function headerAddresses(headers: Named[]): string {
  return headers.map((a) => `${a.address ?? ''} ${a.name ?? ''}`).join(' ');
}

/** The whole column: envelope sender, then header addresses (as MessageStore.applyParse writes it). */
export function indexedAddresses(mailFrom: string, headers: Named[]): string {
  return mailFrom + ' ' + headerAddresses(headers);
}
