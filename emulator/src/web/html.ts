import { escapeHtml } from '@ticketflow/shared/markdown';

/** Everything the emulator renders from data goes through escapeHtml. */
export { escapeHtml };

const style = `
:root{color-scheme:dark}
body{margin:0;font:15px/1.45 "gg sans","Noto Sans",system-ui,sans-serif;background:#313338;color:#dbdee1}
main{max-width:34rem;margin:4rem auto;background:#2b2d31;border-radius:8px;padding:1.5rem 2rem}
h1{font-size:1.25rem;color:#f2f3f5}
code{background:#1e1f22;border-radius:4px;padding:0 .3rem}
button{font:inherit;border:0;border-radius:4px;padding:.55rem 1rem;margin:.25rem 0;cursor:pointer;background:#5865f2;color:#fff;display:block;width:100%;text-align:left}
button small{opacity:.7;margin-left:.4rem}
button.cancel{background:#4e5058;text-align:center}
button:focus-visible{outline:2px solid #00a8fc;outline-offset:2px}`;

/** A small page in Discord's colours, for the OAuth screens. */
export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${style}</style></head><body><main>${body}</main></body></html>`;
}
