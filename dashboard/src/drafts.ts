/**
 * What is typed in a ticket's composer and not sent yet, kept per ticket for
 * this browser tab (sessionStorage: it survives a reload and a look at another
 * ticket, and goes with the tab and at logout; nothing of it leaves the
 * browser). It keeps the mode too: a note's draft must come back as a note,
 * never as a reply to the opener.
 */
export interface Draft {
  mode: 'reply' | 'note';
  text: string;
  /** The send key of a send that got no answer: sending it again is the same message. */
  sending: { draft: string; sendKey: string } | null;
}

const PREFIX = 'tf-draft:';
const key = (ticketId: string) => `${PREFIX}${ticketId}`;

export const emptyDraft: Draft = { mode: 'reply', text: '', sending: null };

/** Storage can be full, turned off or hold anything: a draft that cannot be read is none. */
function read(ticketId: string): unknown {
  try {
    const raw = sessionStorage.getItem(key(ticketId));
    return raw === null ? null : JSON.parse(raw);
  } catch {
    return null;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The ticket's draft in this tab, or an empty one. */
export function loadDraft(ticketId: string): Draft {
  const v = read(ticketId);
  if (!isObject(v) || typeof v.text !== 'string' || (v.mode !== 'reply' && v.mode !== 'note'))
    return emptyDraft;
  const s = v.sending;
  const sending =
    isObject(s) && typeof s.draft === 'string' && typeof s.sendKey === 'string'
      ? { draft: s.draft, sendKey: s.sendKey }
      : null;
  return { mode: v.mode, text: v.text, sending };
}

/** Keeps the ticket's draft (an empty one is forgotten). */
export function saveDraft(ticketId: string, draft: Draft): void {
  try {
    if (draft.text === '' && draft.sending === null && draft.mode === 'reply')
      sessionStorage.removeItem(key(ticketId));
    else sessionStorage.setItem(key(ticketId), JSON.stringify(draft));
  } catch {
    // Full or turned off: the draft lives as long as the page.
  }
}

/** Forgets every draft of this tab (logging out). */
export function clearDrafts(): void {
  try {
    for (let i = sessionStorage.length - 1; i >= 0; i--) {
      const k = sessionStorage.key(i);
      if (k?.startsWith(PREFIX)) sessionStorage.removeItem(k);
    }
  } catch {}
}
