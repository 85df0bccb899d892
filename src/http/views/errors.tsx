import { Layout } from './layout.js';

export interface ErrorPageProps {
  nonce: string;
  status: number;
  title: string;
  message: string;
  address?: string;
}

export function ErrorPage(props: ErrorPageProps) {
  return (
    <Layout title={`${props.title} — Mailroom`} nonce={props.nonce} address={props.address}>
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      <p>
        <a href="/">Back to the start page</a>
      </p>
    </Layout>
  );
}
