import { parse as parseDiscord } from 'discord-markdown-parser';

/**
 * Discord's message markdown as a small tree both renderers share: the
 * transcript (an HTML string) and the dashboard (React elements). The parsing
 * is discord-markdown-parser's (simple-markdown with Discord's rules); this
 * module only narrows its nodes to the ones we draw, so neither renderer ever
 * sees raw markup: everything that is not a known node is text.
 */
export type MdNode =
  | { type: 'text'; text: string }
  | { type: 'br' }
  | { type: 'code'; text: string }
  | { type: 'codeblock'; text: string; lang: string | null }
  | {
      type: 'strong' | 'em' | 'u' | 's' | 'spoiler' | 'quote' | 'subtext';
      children: MdNode[];
    }
  | { type: 'heading'; level: 1 | 2 | 3; children: MdNode[] }
  /** `href` is always http(s); other schemes (javascript:, data:) become text. */
  | { type: 'link'; href: string; children: MdNode[] }
  | { type: 'mention'; kind: 'user' | 'channel' | 'role'; id: string }
  | { type: 'mention'; kind: 'everyone' | 'here' }
  /** A server's own emoji (`<:name:id>`, `<a:name:id>` when animated), drawn from Discord's CDN. */
  | { type: 'emoji'; name: string; id: string; animated: boolean }
  | { type: 'time'; at: Date; format: string };

interface RawNode {
  type: string;
  content?: unknown;
  target?: unknown;
  id?: unknown;
  level?: unknown;
  lang?: unknown;
  timestamp?: unknown;
  format?: unknown;
  name?: unknown;
  fullName?: unknown;
  animated?: unknown;
}

type Wrapper = 'strong' | 'em' | 'u' | 's' | 'spoiler' | 'quote' | 'subtext';
const wrappers: Record<string, Wrapper> = {
  strong: 'strong',
  em: 'em',
  underline: 'u',
  strikethrough: 's',
  spoiler: 'spoiler',
  blockQuote: 'quote',
  subtext: 'subtext',
};

export function safeHref(target: unknown): string | null {
  if (typeof target !== 'string') return null;
  try {
    const url = new URL(target);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

function textOf(nodes: MdNode[]): string {
  return nodes
    .map((n) =>
      n.type === 'text' || n.type === 'code' || n.type === 'codeblock'
        ? n.text
        : n.type === 'br'
          ? '\n'
          : n.type === 'emoji'
            ? `:${n.name}:`
            : 'children' in n
              ? textOf(n.children)
              : '',
    )
    .join('');
}

function convert(raw: RawNode[]): MdNode[] {
  const out: MdNode[] = [];
  const push = (node: MdNode) => {
    const last = out.at(-1);
    // The parser splits plain text at every character that could start a rule.
    if (node.type === 'text' && last?.type === 'text') last.text += node.text;
    else out.push(node);
  };
  for (const node of raw) {
    const children = () => (Array.isArray(node.content) ? convert(node.content) : []);
    const wrapper = wrappers[node.type];
    if (wrapper) push({ type: wrapper, children: children() });
    else if (node.type === 'text' || node.type === 'escape' || node.type === 'emoticon')
      push({ type: 'text', text: String(node.content ?? '') });
    else if (node.type === 'twemoji') push({ type: 'text', text: String(node.name ?? '') });
    else if (node.type === 'br' || node.type === 'newline') push({ type: 'br' });
    else if (node.type === 'inlineCode') push({ type: 'code', text: String(node.content ?? '') });
    else if (node.type === 'codeBlock')
      push({
        type: 'codeblock',
        text: String(node.content ?? ''),
        lang: typeof node.lang === 'string' && node.lang ? node.lang : null,
      });
    else if (node.type === 'heading') {
      const level = node.level === 1 || node.level === 2 ? node.level : 3;
      push({ type: 'heading', level, children: children() });
    } else if (node.type === 'url' || node.type === 'autolink' || node.type === 'link') {
      const href = safeHref(node.target);
      if (href) push({ type: 'link', href, children: children() });
      else push({ type: 'text', text: textOf(children()) });
    } else if (
      (node.type === 'user' || node.type === 'channel' || node.type === 'role') &&
      typeof node.id === 'string'
    )
      push({ type: 'mention', kind: node.type, id: node.id });
    else if (node.type === 'everyone' || node.type === 'here')
      push({ type: 'mention', kind: node.type });
    else if (
      node.type === 'emoji' &&
      typeof node.id === 'string' &&
      /^\d{1,20}$/.test(node.id) &&
      typeof node.name === 'string'
    )
      push({ type: 'emoji', name: node.name, id: node.id, animated: node.animated === true });
    else if (node.type === 'timestamp' && Number.isFinite(Number(node.timestamp)))
      push({
        type: 'time',
        at: new Date(Number(node.timestamp) * 1000),
        format: typeof node.format === 'string' ? node.format : 'f',
      });
    else if (node.type === 'slashCommand')
      push({ type: 'text', text: `/${String(node.fullName ?? node.name ?? '')}` });
    else push({ type: 'text', text: textOf(children()) });
  }
  return out;
}

/** Parses a message's content; never throws (unparseable input is one text node). */
export function parseMarkdown(content: string): MdNode[] {
  try {
    return convert(parseDiscord(content, 'extended') as RawNode[]);
  } catch {
    return [{ type: 'text', text: content }];
  }
}

/** How a `<t:…>` timestamp reads, in UTC (transcripts) or the reader's zone (dashboard). */
export function formatTimestamp(at: Date, format: string, timeZone?: string): string {
  const options: Intl.DateTimeFormatOptions =
    format === 't'
      ? { timeStyle: 'short' }
      : format === 'T'
        ? { timeStyle: 'medium' }
        : format === 'd'
          ? { dateStyle: 'short' }
          : format === 'D'
            ? { dateStyle: 'long' }
            : format === 'F'
              ? { dateStyle: 'full', timeStyle: 'short' }
              : { dateStyle: 'long', timeStyle: 'short' };
  return new Intl.DateTimeFormat('en-GB', { ...options, ...(timeZone ? { timeZone } : {}) }).format(
    at,
  );
}

export interface MentionNames {
  user?: (id: string) => string | undefined;
  channel?: (id: string) => string | undefined;
  role?: (id: string) => string | undefined;
}

/** Where Discord serves a custom emoji's image. */
export function emojiUrl(node: Extract<MdNode, { type: 'emoji' }>): string {
  return `https://cdn.discordapp.com/emojis/${node.id}.${node.animated ? 'gif' : 'webp'}?size=48`;
}

/** `@name`, `#channel`, `@role` as shown for a mention node. */
export function mentionLabel(
  node: Extract<MdNode, { type: 'mention' }>,
  names: MentionNames = {},
): string {
  if (!('id' in node)) return `@${node.kind}`;
  const name = names[node.kind]?.(node.id);
  if (node.kind === 'channel') return `#${name ?? 'unknown-channel'}`;
  return `@${name ?? (node.kind === 'role' ? 'unknown-role' : `user ${node.id}`)}`;
}

const escapeMap: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => escapeMap[c] ?? c);

const tags = { strong: 'strong', em: 'em', u: 'u', s: 's', quote: 'blockquote' } as const;

/**
 * The tree as one line of plain text, for a card's preview: mentions named,
 * custom emoji as `:name:`, formatting dropped, a spoiler kept hidden.
 */
export function markdownToText(nodes: MdNode[], names: MentionNames = {}): string {
  const line = (list: MdNode[]): string =>
    list
      .map((n): string => {
        switch (n.type) {
          case 'text':
          case 'code':
          case 'codeblock':
            return n.text;
          case 'br':
            return ' ';
          case 'mention':
            return mentionLabel(n, names);
          case 'emoji':
            return `:${n.name}:`;
          case 'time':
            return formatTimestamp(n.at, n.format);
          case 'spoiler':
            return '[spoiler]';
        }
        return line(n.children);
      })
      .join('');
  return line(nodes).replace(/\s+/g, ' ').trim();
}

/**
 * The tree as HTML. All text is escaped here and the only tags are the ones
 * written below, so message content can never add markup of its own.
 */
export function markdownToHtml(nodes: MdNode[], names: MentionNames = {}): string {
  return nodes
    .map((n): string => {
      switch (n.type) {
        case 'text':
          return escapeHtml(n.text);
        case 'br':
          return '<br>';
        case 'code':
          return `<code>${escapeHtml(n.text)}</code>`;
        case 'codeblock':
          return `<pre><code>${escapeHtml(n.text)}</code></pre>`;
        case 'strong':
        case 'em':
        case 'u':
        case 's':
        case 'quote':
          return `<${tags[n.type]}>${markdownToHtml(n.children, names)}</${tags[n.type]}>`;
        case 'spoiler':
          return `<span class="spoiler">${markdownToHtml(n.children, names)}</span>`;
        case 'subtext':
          return `<small>${markdownToHtml(n.children, names)}</small>`;
        case 'heading':
          return `<h${n.level + 2}>${markdownToHtml(n.children, names)}</h${n.level + 2}>`;
        case 'link':
          return `<a href="${escapeHtml(n.href)}" rel="noopener noreferrer nofollow">${markdownToHtml(n.children, names)}</a>`;
        case 'mention':
          return `<span class="mention">${escapeHtml(mentionLabel(n, names))}</span>`;
        case 'emoji':
          // Offline, or once Discord drops the emoji, its name still reads.
          return `<img class="emoji" src="${escapeHtml(emojiUrl(n))}" alt=":${escapeHtml(n.name)}:" title=":${escapeHtml(n.name)}:">`;
      }
      return `<time datetime="${n.at.toISOString()}">${escapeHtml(formatTimestamp(n.at, n.format, 'UTC'))}</time>`;
    })
    .join('');
}
