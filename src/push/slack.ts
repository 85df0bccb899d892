// The Slack incoming-webhook post for a ready message (issue 11, Mailsac's
// Slack page): subject, sender, a link to the message; the To/From lines
// only when webhookSlackToFrom is set. Slack reads &, < and > as markup
// (its "escaping text" rules), so message text is escaped for it.
import type { MessagePayload } from './message-payload.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function addresses(v: unknown): string {
  if (!Array.isArray(v)) return '';
  return v.map((a: { address?: string; name?: string }) => (a.name ? `${a.name} <${a.address}>` : String(a.address ?? ''))).join(', ');
}

export function slackPayload(m: MessagePayload, toFrom: boolean, publicUrl: string): { text: string } {
  const inbox = String(m.inbox);
  const subject = String(m.subject || '(no subject)');
  const lines = [`New message for ${esc(inbox)}: *${esc(subject)}*`];
  if (toFrom) {
    lines.push(`From: ${esc(addresses(m.from))}`);
    lines.push(`To: ${esc(addresses(m.to))}`);
  }
  if (publicUrl) lines.push(`<${publicUrl}/inbox/${encodeURIComponent(inbox)}/${encodeURIComponent(String(m._id))}|Open the message>`);
  return { text: lines.join('\n') };
}
