import { describe, expect, it } from 'vitest';
import { markdownToHtml, markdownToText, parseMarkdown } from '../src/markdown.ts';
import { renderTranscript, type TranscriptMessage } from '../src/transcript.ts';

const html = (s: string) =>
  markdownToHtml(parseMarkdown(s), { user: (id) => ({ '123456789012345678': 'Ana' })[id] });

describe('Discord markdown', () => {
  it('renders the everyday formatting', () => {
    expect(html('**b** *i* __u__ ~~s~~ ||sp|| `c`')).toBe(
      '<strong>b</strong> <em>i</em> <u>u</u> <s>s</s> <span class="spoiler">sp</span> <code>c</code>',
    );
    expect(html('```js\nlet a = 1 < 2;\n```')).toBe('<pre><code>let a = 1 &lt; 2;</code></pre>');
    expect(html('> quoted\nplain')).toContain('<blockquote>quoted');
    expect(html('# Title')).toBe('<h3>Title</h3>');
  });

  it('names mentions and keeps unknown ones readable', () => {
    expect(html('hi <@123456789012345678> and <@!223456789012345678> @everyone')).toBe(
      'hi <span class="mention">@Ana</span> and <span class="mention">@user 223456789012345678</span> <span class="mention">@everyone</span>',
    );
    expect(html('<#123456789012345678>')).toBe('<span class="mention">#unknown-channel</span>');
  });

  it('links only http(s) and escapes everything else as text', () => {
    expect(html('see https://example.com/a?b=1&c=2')).toBe(
      'see <a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">https://example.com/a?b=1&amp;c=2</a>',
    );
    const hostile = html(
      '[x](javascript:alert(1)) <img src=x onerror=alert(1)> <script>alert(1)</script>',
    );
    expect(hostile).not.toMatch(/<img|<script|href="javascript/);
    expect(hostile).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(hostile).toContain('&lt;script&gt;');
  });

  it("draws a server's custom emoji from Discord's CDN, named when the image is missing", () => {
    expect(html('hi <:blobwave:123456789012345678>!')).toBe(
      'hi <img class="emoji" src="https://cdn.discordapp.com/emojis/123456789012345678.webp?size=48" alt=":blobwave:" title=":blobwave:">!',
    );
    expect(html('<a:party:223456789012345678>')).toContain(
      'src="https://cdn.discordapp.com/emojis/223456789012345678.gif?size=48"',
    );
    // Only emoji: the message is not empty.
    expect(parseMarkdown('<:ok:323456789012345678>')).toEqual([
      { type: 'emoji', name: 'ok', id: '323456789012345678', animated: false },
    ]);
    // Where only text can stand (a link refused for its scheme), the emoji reads as its name.
    expect(html('[<:ok:323456789012345678> docs](javascript:x)')).toBe(':ok: docs');
  });

  it("reads as one line of plain text for a card's preview", () => {
    const text = (s: string) =>
      markdownToText(parseMarkdown(s), { user: (id) => ({ '123456789012345678': 'Ana' })[id] });
    expect(
      text(
        '**Hi** <@123456789012345678>,\n> see `code` <:wave:123456789012345678> ||the password||',
      ),
    ).toBe('Hi @Ana, see code :wave: [spoiler]');
    expect(text('<script>x</script>')).toBe('<script>x</script>');
  });

  it('renders timestamps in UTC', () => {
    expect(html('<t:1700000000:D>')).toBe(
      '<time datetime="2023-11-14T22:13:20.000Z">14 November 2023</time>',
    );
  });
});

describe('transcript', () => {
  const message = (over: Partial<TranscriptMessage>): TranscriptMessage => ({
    authorId: '123456789012345678',
    author: { username: 'ana', globalName: 'Ana' },
    content: '',
    attachments: [],
    embeds: [],
    internal: false,
    createdAt: new Date('2026-01-02T03:04:05Z'),
    editedAt: null,
    deletedAt: null,
    ...over,
  });
  const ticket = {
    number: 7,
    topic: 'Billing <b>',
    createdAt: new Date('2026-01-02T03:00:00Z'),
    closedAt: null,
    closeReason: null,
  };

  it('leaves notes and deleted messages out of what the opener gets', () => {
    const messages = [
      message({ content: 'visible reply' }),
      message({ content: 'staff only', internal: true }),
      message({ content: 'gone', deletedAt: new Date() }),
    ];
    const forOpener = renderTranscript({ guildName: 'G', ticket, messages, includeNotes: false });
    expect(forOpener).toContain('visible reply');
    expect(forOpener).not.toContain('staff only');
    expect(forOpener).not.toContain('gone');
    expect(forOpener).toContain('<title>Ticket #7 — Billing &lt;b&gt;</title>');
    const forStaff = renderTranscript({ guildName: 'G', ticket, messages, includeNotes: true });
    expect(forStaff).toContain('staff only');
    expect(forStaff).toContain('internal note');
  });

  it('escapes attachment names and refuses non-http attachment URLs', () => {
    const page = renderTranscript({
      guildName: 'G',
      ticket,
      includeNotes: false,
      messages: [
        message({
          attachments: [
            {
              url: 'javascript:alert(1)',
              filename: '"><script>x</script>',
              contentType: 'image/png',
            },
            { url: 'https://cdn.example/a.png', filename: 'a.png', contentType: 'image/png' },
          ],
        }),
      ],
    });
    expect(page).not.toMatch(/<script>x|href="javascript/);
    expect(page).toContain('<img src="https://cdn.example/a.png" alt="a.png">');
  });
});
