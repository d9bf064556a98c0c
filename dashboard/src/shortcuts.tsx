import { useEffect, useRef, useState } from 'react';

const shortcuts: [string, string][] = [
  ['?', 'Show this list'],
  ['Tab / Shift+Tab', 'Move between cards, filters and buttons'],
  ['Enter on a card', 'Open the ticket'],
  ['Space on a card', 'Pick it up to move it; arrows move it, Space drops it, Esc cancels'],
  ['Esc', 'Close the ticket view (or this list)'],
  ['Enter in the reply box', 'Send'],
  ['Shift+Enter', 'New line'],
  ['/ at the start of a reply', 'Insert a saved reply (↑ ↓ to choose, Enter or Tab to insert)'],
];

const typing = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

/** The keyboard shortcuts, listed when someone presses "?" outside a text field. */
export function Shortcuts() {
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === '?' && !typing(e.target)) {
        e.preventDefault();
        setOpen(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  useEffect(() => {
    if (open && !dialog.current?.open) dialog.current?.showModal();
    if (!open && dialog.current?.open) dialog.current.close();
  }, [open]);
  return (
    <dialog
      ref={dialog}
      className="shortcuts"
      aria-labelledby="shortcuts-title"
      onClose={() => setOpen(false)}
    >
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <dl>
        {shortcuts.map(([keys, what]) => (
          <div key={keys}>
            <dt>
              <kbd>{keys}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <form method="dialog">
        <button type="submit">Close</button>
      </form>
    </dialog>
  );
}
