// Pieces shared by the inbox and message views.
import type { MailAddress } from '../../mail/types.js';
import { clip } from '../pages/format.js';

/** A display name that looks like an address other than the real one (bad-input 42). */
function misleadingName(a: MailAddress): boolean {
  const name = a.name.trim().toLowerCase();
  return name.includes('@') && !name.includes(a.address.toLowerCase());
}

/** One address: the display name AND the real address, always both, so a name can't pose as an address. */
export function Address(props: { a: MailAddress }) {
  const { a } = props;
  const name = clip(a.name.trim(), 200);
  return (
    <span class="address">
      {name ? <span class="name">{name}</span> : null}
      {name ? ' ' : null}
      <span class="addr">&lt;{clip(a.address, 320) || 'no address'}&gt;</span>
      {misleadingName(a) ? (
        <>
          {' '}
          <span class="flag" title="The display name looks like an email address that is not the sender's real address">
            name is not the address
          </span>
        </>
      ) : null}
    </span>
  );
}

export function AddressList(props: { list: MailAddress[]; max?: number }) {
  const max = props.max ?? 50;
  const shown = props.list.slice(0, max);
  return (
    <>
      {shown.map((a, i) => (
        <>
          {i > 0 ? ', ' : null}
          <Address a={a} />
        </>
      ))}
      {props.list.length > max ? <span class="muted"> and {props.list.length - max} more</span> : null}
    </>
  );
}

/** The sender as the header says, falling back to the envelope sender when there is no From. */
export function Sender(props: { from: MailAddress[]; mailFrom: string }) {
  if (props.from.length > 0) return <AddressList list={props.from} max={3} />;
  return (
    <span class="address">
      <span class="addr">&lt;{clip(props.mailFrom, 320) || 'no sender'}&gt;</span> <span class="muted">(envelope)</span>
    </span>
  );
}
