import type { MessageView } from '@ticketflow/db/repositories/messages';
import sanitizeHtml from 'sanitize-html';

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]};`,
  );

/**
 * Discord's everyday markdown on already-escaped text: code blocks, inline
 * code, bold, italic, underline, strike, spoilers, quotes, links. The result
 * still goes through the sanitiser, which keeps only the tags made here.
 */
export function renderMarkdown(text: string): string {
  const blocks: string[] = [];
  let html = escapeHtml(text).replace(/```(?:[\w+-]*\n)?([\s\S]*?)```/g, (_m, code: string) => {
    blocks.push(`<pre><code>${code}</code></pre>`);
    return `\uE000${blocks.length - 1}\uE000`;
  });
  html = html
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>')
    .replace(/__([^_\n]+)__/g, '<u>$1</u>')
    .replace(/\*([^*\n]+)\*/g, '<em>$1</em>')
    .replace(/~~([^~\n]+)~~/g, '<s>$1</s>')
    .replace(/\|\|([^|\n]+)\|\|/g, '<span class="spoiler">$1</span>')
    .replace(/^&gt; (.*)$/gm, '<blockquote>$1</blockquote>')
    .replace(
      /\bhttps?:\/\/[^\s<]+/g,
      (url) => `<a href="${url}" rel="noopener noreferrer nofollow">${url}</a>`,
    )
    .replace(/\n/g, '<br>');
  return html.replace(/\uE000(\d+)\uE000/g, (_m, i: string) => blocks[Number(i)] ?? '');
}

const allowed: sanitizeHtml.IOptions = {
  allowedTags: ['pre', 'code', 'strong', 'em', 'u', 's', 'span', 'blockquote', 'a', 'br', 'img'],
  allowedAttributes: { a: ['href', 'rel'], span: ['class'], img: ['src', 'alt'] },
  allowedSchemes: ['https', 'http'],
  allowedClasses: { span: ['spoiler'] },
};

export interface TranscriptInput {
  guildName: string;
  ticket: {
    number: number;
    topic: string | null;
    createdAt: Date;
    closedAt: Date | null;
    closeReason: string | null;
  };
  messages: MessageView[];
  includeNotes: boolean;
}

const name = (m: MessageView) =>
  m.author
    ? (m.author.globalName ?? m.author.username ?? 'Unknown')
    : m.authorId
      ? `User ${m.authorId}`
      : 'Deleted user';

/** A ticket as one self-contained, sanitised HTML page (no scripts, no remote styles). */
export function renderTranscript(input: TranscriptInput): string {
  const rows = input.messages
    .filter((m) => !m.deletedAt && (input.includeNotes || !m.internal))
    .map((m) => {
      const body = sanitizeHtml(renderMarkdown(m.content), allowed);
      const files = m.attachments
        .map((a) =>
          sanitizeHtml(
            a.contentType?.startsWith('image/')
              ? `<a href="${escapeHtml(a.url)}"><img src="${escapeHtml(a.url)}" alt="${escapeHtml(a.filename)}"></a>`
              : `<a href="${escapeHtml(a.url)}">${escapeHtml(a.filename)}</a>`,
            allowed,
          ),
        )
        .join(' ');
      const embeds = m.embeds
        .map(
          (e) =>
            `<div class="embed">${e.title ? `<strong>${escapeHtml(e.title)}</strong><br>` : ''}${e.description ? sanitizeHtml(renderMarkdown(e.description), allowed) : ''}</div>`,
        )
        .join('');
      return `<article class="msg${m.internal ? ' note' : ''}"><header><b>${escapeHtml(name(m))}</b> <time datetime="${new Date(m.createdAt).toISOString()}">${new Date(m.createdAt).toISOString().replace('T', ' ').slice(0, 16)} UTC</time>${m.internal ? ' <em>internal note</em>' : ''}${m.editedAt ? ' <small>(edited)</small>' : ''}</header><div>${body}</div>${files ? `<div class="files">${files}</div>` : ''}${embeds}</article>`;
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
a{color:#00a8fc}img{max-width:360px;border-radius:4px}.embed{border-left:4px solid #5865f2;background:#2b2d31;padding:.4rem .6rem;margin-top:.3rem}</style></head>
<body><h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(input.guildName)} · opened ${input.ticket.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC${input.ticket.closedAt ? ` · closed ${input.ticket.closedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}${input.ticket.closeReason ? ` · ${escapeHtml(input.ticket.closeReason)}` : ''}</p>
${rows}
</body></html>`;
}
