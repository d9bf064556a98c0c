import {
  emojiUrl,
  formatTimestamp,
  type MdNode,
  type MentionNames,
  mentionLabel,
  parseMarkdown,
} from '@ticketflow/shared/markdown';
import { type ReactNode, useMemo, useState } from 'react';

function Spoiler({ children }: { children: ReactNode }) {
  const [shown, setShown] = useState(false);
  return (
    <button
      type="button"
      className={`spoiler${shown ? ' shown' : ''}`}
      aria-label={shown ? undefined : 'Spoiler, press to show'}
      onClick={() => setShown(true)}
    >
      {children}
    </button>
  );
}

/**
 * React elements for a markdown tree. Text is always a text node (React
 * escapes it) and links are http(s) only, so message content never becomes
 * markup or script.
 */
function render(nodes: MdNode[], names: MentionNames): ReactNode[] {
  return nodes.map((n, i) => {
    // The tree never changes for a given message, so positions are stable keys.
    const key = i;
    switch (n.type) {
      case 'text':
        return n.text;
      case 'br':
        return <br key={key} />;
      case 'code':
        return <code key={key}>{n.text}</code>;
      case 'codeblock':
        return (
          <pre key={key}>
            <code>{n.text}</code>
          </pre>
        );
      case 'strong':
        return <strong key={key}>{render(n.children, names)}</strong>;
      case 'em':
        return <em key={key}>{render(n.children, names)}</em>;
      case 'u':
        return <u key={key}>{render(n.children, names)}</u>;
      case 's':
        return <s key={key}>{render(n.children, names)}</s>;
      case 'quote':
        return <blockquote key={key}>{render(n.children, names)}</blockquote>;
      case 'subtext':
        return <small key={key}>{render(n.children, names)}</small>;
      case 'spoiler':
        return <Spoiler key={key}>{render(n.children, names)}</Spoiler>;
      case 'heading': {
        const Tag = n.level === 1 ? 'h3' : n.level === 2 ? 'h4' : 'h5';
        return <Tag key={key}>{render(n.children, names)}</Tag>;
      }
      case 'link':
        return (
          <a key={key} href={n.href} rel="noopener noreferrer nofollow" target="_blank">
            {render(n.children, names)}
          </a>
        );
      case 'mention':
        return (
          <span key={key} className="mention">
            {mentionLabel(n, names)}
          </span>
        );
      case 'emoji':
        // Offline, or once Discord drops the emoji, its name still reads.
        return (
          <img
            key={key}
            className="emoji"
            src={emojiUrl(n)}
            alt={`:${n.name}:`}
            title={`:${n.name}:`}
          />
        );
    }
    return (
      <time key={key} dateTime={n.at.toISOString()} title={n.at.toLocaleString()}>
        {formatTimestamp(n.at, n.format)}
      </time>
    );
  });
}

/** Discord markdown, drawn the way Discord draws it. */
export function Markdown({ text, names = {} }: { text: string; names?: MentionNames }) {
  const nodes = useMemo(() => parseMarkdown(text), [text]);
  return <>{render(nodes, names)}</>;
}
