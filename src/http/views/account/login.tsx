// Sign-in and (when the operator allows it) registration forms.
import { Layout } from '../layout.js';

export interface LoginProps {
  nonce: string;
  csrf: string;
  error?: string;
  username?: string;
  registration: boolean;
  mode: 'login' | 'register';
}

export function LoginPage(props: LoginProps) {
  const register = props.mode === 'register';
  return (
    <Layout title={register ? 'Create an account — Mailroom' : 'Sign in — Mailroom'} nonce={props.nonce}>
      <h1>{register ? 'Create an account' : 'Sign in'}</h1>
      {props.error ? (
        <p class="notice" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="post" action={register ? '/register' : '/login'} class="stack">
        <input type="hidden" name="csrf" value={props.csrf} />
        <p>
          <label>
            User name <input type="text" name="username" autocomplete="username" required value={props.username ?? ''} />
          </label>
        </p>
        <p>
          <label>
            Password{' '}
            <input type="password" name="password" autocomplete={register ? 'new-password' : 'current-password'} required minlength={register ? 10 : undefined} />
          </label>
        </p>
        <p>
          <button type="submit">{register ? 'Create account' : 'Sign in'}</button>
        </p>
      </form>
      {register ? (
        <p class="muted">
          Already have an account? <a href="/login">Sign in</a>.
        </p>
      ) : props.registration ? (
        <p class="muted">
          No account yet? <a href="/register">Create one</a>.
        </p>
      ) : (
        <p class="muted">Accounts are created by the operator of this Mailroom.</p>
      )}
      <p class="muted">Signing in sets one cookie, used only to keep you signed in; forms like this one also carry a form-protection cookie (see <a href="/privacy">Privacy</a>).</p>
    </Layout>
  );
}
