import {
  escapeHtml,
  type MentionNames,
  markdownToHtml,
  parseMarkdown,
  safeHref,
} from './markdown.ts';

/** The parts of a stored message a transcript shows. */
export interface TranscriptMessage {
  authorId: string | null;
  author: { username: string | null; globalName: string | null } | null;
  content: string;
  attachments: { url: string; filename: string; contentType?: string | null }[];
  embeds: {
    title?: string | null;
    description?: string | null;
    fields?: { name: string; value: string }[];
  }[];
  internal: boolean;
  createdAt: Date | string;
  editedAt: Date | string | null;
  deletedAt: Date | string | null;
}

export interface TranscriptInput {
  guildName: string;
  ticket: {
    number: number;
    topic: string | null;
    createdAt: Date;
    closedAt: Date | null;
    closeReason: string | null;
  };
  /** Oldest first. */
  messages: TranscriptMessage[];
  /** Staff notes are for the web only: never in what the opener receives. */
  includeNotes: boolean;
  /** Role names by id, for role mentions. */
  roles?: ReadonlyMap<string, string>;
}

const nameOf = (m: TranscriptMessage) =>
  m.author
    ? (m.author.globalName ?? m.author.username ?? 'Unknown')
    : m.authorId
      ? `User ${m.authorId}`
      : 'Deleted user';

const utc = (d: Date | string) => new Date(d).toISOString().slice(0, 16).replace('T', ' ');

/**
 * A ticket as one self-contained HTML page: no scripts, no remote styles, a
 * CSP that forbids both. Message content goes through the markdown tree, which
 * escapes every character of it, so it can never add markup.
 */
export function renderTranscript(input: TranscriptInput): string {
  const names = new Map<string, string>();
  for (const m of input.messages) if (m.authorId) names.set(m.authorId, nameOf(m));
  const mentions: MentionNames = {
    user: (id) => names.get(id),
    role: (id) => input.roles?.get(id),
  };
  const rows = input.messages
    .filter((m) => !m.deletedAt && (input.includeNotes || !m.internal))
    .map((m) => {
      const body = markdownToHtml(parseMarkdown(m.content), mentions);
      const files = m.attachments
        .map((a) => {
          const url = safeHref(a.url);
          if (!url) return escapeHtml(a.filename);
          const href = escapeHtml(url);
          return a.contentType?.startsWith('image/')
            ? `<a href="${href}"><img src="${href}" alt="${escapeHtml(a.filename)}"></a>`
            : `<a href="${href}">${escapeHtml(a.filename)}</a>`;
        })
        .join(' ');
      const embeds = m.embeds
        .map(
          (e) =>
            `<div class="embed">${e.title ? `<strong>${escapeHtml(e.title)}</strong><br>` : ''}${e.description ? markdownToHtml(parseMarkdown(e.description), mentions) : ''}${(e.fields ?? []).map((f) => `<div class="field"><b>${escapeHtml(f.name)}</b><br>${markdownToHtml(parseMarkdown(f.value), mentions)}</div>`).join('')}</div>`,
        )
        .join('');
      return `<article class="msg${m.internal ? ' note' : ''}"><header><b>${escapeHtml(nameOf(m))}</b> <time datetime="${new Date(m.createdAt).toISOString()}">${utc(m.createdAt)} UTC</time>${m.internal ? ' <em>internal note</em>' : ''}${m.editedAt ? ' <small>(edited)</small>' : ''}</header><div>${body}</div>${files ? `<div class="files">${files}</div>` : ''}${embeds}</article>`;
    })
    .join('\n');
  const title = `Ticket #${input.ticket.number}${input.ticket.topic ? ` — ${input.ticket.topic}` : ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;background:#313338;color:#dbdee1;margin:0;padding:1.5rem}h1{color:#fff;font-size:1.3rem}
.msg{padding:.4rem 0;border-bottom:1px solid #3f4147}.msg header{color:#949ba4;font-size:.85rem}.msg header b{color:#f2f3f5;font-size:.95rem}
.note{background:#3b3420;padding:.4rem .6rem}code,pre{background:#1e1f22;border-radius:4px;padding:.1rem .3rem}pre{padding:.5rem;white-space:pre-wrap}
blockquote{border-left:4px solid #4e5058;margin:0;padding-left:.6rem}.spoiler{background:#1e1f22;color:#1e1f22}.spoiler:hover{color:inherit}
.mention{background:#3c4270;color:#c9cdfb;border-radius:3px;padding:0 2px}
.emoji{width:1.375em;height:1.375em;vertical-align:-.3em;object-fit:contain}
a{color:#00a8fc}img{max-width:360px;border-radius:4px}.field{margin-top:.3rem}.embed{border-left:4px solid #5865f2;background:#2b2d31;padding:.4rem .6rem;margin-top:.3rem}</style></head>
<body><h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(input.guildName)} · opened ${utc(input.ticket.createdAt)} UTC${input.ticket.closedAt ? ` · closed ${utc(input.ticket.closedAt)} UTC` : ''}${input.ticket.closeReason ? ` · ${escapeHtml(input.ticket.closeReason)}` : ''}</p>
${rows}
</body></html>`;
}
