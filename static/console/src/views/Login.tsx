import Button from '@atlaskit/button/new';
import Heading from '@atlaskit/heading';
import SectionMessage from '@atlaskit/section-message';
import Textfield from '@atlaskit/textfield';
import { useState, type FormEvent } from 'react';
import type { ConsoleApi, SessionInfo } from '../api';

export function LoginForm({ api, onDone }: { api: ConsoleApi; onDone: (s: SessionInfo) => void }) {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!api.login) return;
    setBusy(true);
    setError(undefined);
    api.login(username, password).then(onDone, (err: unknown) => {
      setError((err as Error).message);
      setBusy(false);
    });
  };
  return (
    <form className="login" onSubmit={submit} aria-labelledby="login-title">
      <Heading size="large" as="h1" id="login-title">
        Log in to Bulkhead
      </Heading>
      <p>
        Use the one-time link the service printed (<code>bulkhead demo</code>), or the password in the
        <code> initial-admin-password</code> file beside the state file.
      </p>
      <label htmlFor="username">Username</label>
      <Textfield
        id="username"
        name="username"
        autoComplete="username"
        value={username}
        onChange={(e) => setUsername(e.currentTarget.value)}
        isRequired
      />
      <label htmlFor="password">Password</label>
      <Textfield
        id="password"
        name="password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.currentTarget.value)}
        isRequired
      />
      {error ? (
        <SectionMessage appearance="error" title="Not logged in">
          <p role="alert">{error}</p>
        </SectionMessage>
      ) : null}
      <Button type="submit" appearance="primary" isDisabled={busy}>
        Log in
      </Button>
    </form>
  );
}
