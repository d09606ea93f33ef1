/** Small shared pieces: loading, error and empty states that say what to do next. */
import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import Spinner from '@atlaskit/spinner';
import type { ReactNode } from 'react';
import { ApiError, NotLoggedIn } from './api';

export function Loading({ what }: { what: string }) {
  return (
    <div className="state" role="status">
      <Spinner size="medium" label={`Loading ${what}`} />
      <span>Loading {what}…</span>
    </div>
  );
}

/** What the person can do about an error, by its kind. */
export function nextStep(err: unknown): string {
  if (err instanceof NotLoggedIn) return 'Your session ended: log in again.';
  if (err instanceof ApiError) {
    if (err.status === 0) return 'Check that the Bulkhead service is running and reachable, then retry.';
    if (err.status === 403) return 'Your account may not do this here; ask a site administrator.';
    if (err.status === 404) return 'It may have been removed; go back to the list.';
    if (err.status === 409) return 'Its state changed meanwhile; reload to see where it stands.';
    if (err.status === 400 && err.field) return `Correct ${err.field} and try again.`;
    if (err.status >= 500) return 'The service failed; its log says why. Retry in a moment.';
  }
  return 'Retry; if it keeps failing, check the service log.';
}

export function ErrorState({
  title,
  error,
  onRetry,
  children,
}: {
  title: string;
  error: unknown;
  onRetry?: () => void;
  children?: ReactNode;
}) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <SectionMessage appearance="error" title={title}>
      <p>{message}</p>
      <p>{nextStep(error)}</p>
      {children}
      {onRetry ? (
        <p>
          <Button onClick={onRetry}>Retry</Button>
        </p>
      ) : null}
    </SectionMessage>
  );
}

export function Empty({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

/** What became of a save: the success message (announced politely) or the error, under the screen's title. */
export function SaveOutcome({
  message,
  saveError,
  failedTitle,
}: {
  message: string | undefined;
  saveError: unknown;
  failedTitle: string;
}) {
  return (
    <>
      <div aria-live="polite">
        {message ? (
          <SectionMessage appearance="success">
            <p>{message}</p>
          </SectionMessage>
        ) : null}
      </div>
      {saveError !== undefined ? <ErrorState title={failedTitle} error={saveError} /> : null}
    </>
  );
}
