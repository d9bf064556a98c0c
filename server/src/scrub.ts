/** Free text that may carry secrets: bot tokens, bearer tokens, session cookies, query parameters. */
export function scrubText(text: string): string {
  return (
    text
      // Drizzle and pg put a failed query's parameters (message content among them) after "params:".
      .replace(/params:[\s\S]*/i, 'params: [scrubbed]')
      .replace(/\b(Bot|Bearer)\s+[\w.-]+/g, '$1 [scrubbed]')
      .replace(/[\w-]{20,}\.[\w-]{5,}\.[\w-]{20,}/g, '[token]')
      .replace(
        /((?:__Host-)?tf_session|tf_oauth_state|access_token|refresh_token|code)=[^;&\s]+/g,
        '$1=[scrubbed]',
      )
  );
}
