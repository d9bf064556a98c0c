import type { UserRef } from '@ticketflow/shared/api';
import { useState } from 'react';
import { avatarUrl, displayName } from './api.ts';

const palette = ['#5865f2', '#3ba55c', '#faa61a', '#ed4245', '#eb459e', '#737f8d'];

/** A user's Discord avatar, or their initial on a colour derived from their id. */
export function Avatar({ user, size = 20 }: { user: UserRef | null; size?: number }) {
  const url = avatarUrl(user);
  const name = displayName(user);
  if (url) {
    return <img className="avatar" src={url} alt="" width={size} height={size} title={name} />;
  }
  const colour = palette[user ? Number(BigInt(user.id) % 6n) : 5];
  return (
    <span
      className="avatar initial"
      style={{ width: size, height: size, background: colour, fontSize: size * 0.5 }}
      title={name}
      aria-hidden="true"
    >
      {name.slice(0, 1).toUpperCase()}
    </span>
  );
}

export function Loading({ label }: { label: string }) {
  return (
    <div className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}…
    </div>
  );
}

export function ErrorState({ error, retry }: { error: Error; retry?: () => void }) {
  return (
    <div className="state error" role="alert">
      <p>{error.message}</p>
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : (
        <a href="/">Back to your servers</a>
      )}
    </div>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <div className="state empty">{children}</div>;
}

/** A failed action's message beside its button (nothing when it did not fail). */
export function FailedNote({ error }: { error: Error | null }) {
  return error ? (
    <span className="save-status failed" role="alert">
      {error.message}
    </span>
  ) : null;
}

/**
 * The form of an action that cannot be undone: its button stays disabled
 * until what is typed matches (a server's name, a word), and says so while it runs.
 */
export function ConfirmByTyping({
  prompt,
  matches,
  action,
  pending,
  error,
  onConfirm,
  children,
}: {
  /** What to type, as the field's label. */
  prompt: React.ReactNode;
  matches: (typed: string) => boolean;
  /** The button's label. */
  action: string;
  pending: boolean;
  error: Error | null;
  onConfirm: (typed: string) => void;
  /** More fields, between the confirmation and the button. */
  children?: React.ReactNode;
}) {
  const [typed, setTyped] = useState('');
  return (
    <form
      className="settings-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (matches(typed) && !pending) onConfirm(typed);
      }}
    >
      <label className="field">
        <span>{prompt}</span>
        <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
      </label>
      {children}
      <div className="form-actions">
        <button type="submit" className="danger" disabled={!matches(typed) || pending}>
          {pending ? 'Erasing…' : action}
        </button>
        <FailedNote error={error} />
      </div>
    </form>
  );
}
