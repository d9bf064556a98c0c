import { useMutation } from '@tanstack/react-query';
import { ERASE_SELF_CONFIRMATION, type MeResponse } from '@ticketflow/shared/api';
import { api } from '../api.ts';
import { ConfirmByTyping } from '../components.tsx';
import { clearDrafts } from '../drafts.ts';

/**
 * What TicketFlow stores, for how long, and how to get a copy or have it
 * erased: the privacy policy's promises, as this build keeps them. Public.
 */
export function PrivacyPage() {
  return (
    <main className="prose privacy-page">
      <h1>Privacy: what TicketFlow stores and your rights</h1>
      <section aria-labelledby="stored">
        <h2 id="stored">What is stored</h2>
        <ul>
          <li>
            <b>Discord server information</b>: the server's id, name and icon, to show it in the
            dashboard.
          </li>
          <li>
            <b>Discord user information</b>: user id, username, display name and avatar, to log you
            in and to show who wrote a message.
          </li>
          <li>
            <b>Ticket messages</b>: what is written in ticket channels and from the dashboard, with
            attachment names and links, and staff notes.
          </li>
          <li>
            <b>Ticket metadata</b>: status, assigned staff, board placement, priority, labels,
            timestamps, the answers given when opening, ratings.
          </li>
          <li>
            <b>Server configuration</b>: categories, staff roles, board columns, panels, saved
            replies.
          </li>
          <li>
            <b>An audit log</b>: which staff member opened a ticket or transcript on the web,
            replied, wrote notes, changed settings, exported or erased data, and logged in; with the
            time and IP address.
          </li>
        </ul>
        <p>
          Nothing else about you is collected. Data is used only to run the service: the dashboard,
          syncing messages between Discord and the dashboard, logging in with Discord and enforcing
          role-based access. It is never sold, shared or used for advertising or analytics.
        </p>
      </section>
      <section aria-labelledby="security">
        <h2 id="security">How it is protected</h2>
        <p>
          Data is stored in PostgreSQL. Connections between the bot, the dashboard and the database
          are encrypted in transit. Message text, attachments, embeds, opening answers, notes,
          comments and Discord login tokens are also encrypted at rest (AES-256-GCM); the board's
          search works on keyed hashes of words, not on the text. Staff see only the tickets of the
          categories their roles cover.
        </p>
      </section>
      <section aria-labelledby="retention">
        <h2 id="retention">How long it is kept</h2>
        <ul>
          <li>Ticket data: as long as your server uses TicketFlow.</li>
          <li>
            Closed tickets: kept for transcripts, unless the server's admins set a retention window
            in Settings (then deleted that many days after closing).
          </li>
          <li>Audit and usage logs: 90 days, then purged automatically.</li>
          <li>
            When the bot is removed from a server, collection stops at once and all of the server's
            data is erased 30 days later, unless the bot is added back.
          </li>
          <li>Export archives: downloadable for 24 hours, then deleted.</li>
        </ul>
      </section>
      <section aria-labelledby="rights">
        <h2 id="rights">Your rights, and how to use them</h2>
        <ul>
          <li>
            <b>A copy of your server's data</b>: a server admin opens the server's <i>Data</i> page
            on the dashboard and chooses <i>Export all data</i> (or runs{' '}
            <code>/ticketflow export</code> in Discord). A zip with every record and an HTML
            transcript per ticket is ready on that page.
          </li>
          <li>
            <b>Deletion of your server's data</b>: the server's owner types its name in the danger
            zone of the <i>Data</i> page. Everything is deleted at once.
          </li>
          <li>
            <b>Deletion of one person's data in a server</b>: an admin enters their user id on the{' '}
            <i>Data</i> page. Their messages stay as “Deleted user” with the content removed.
          </li>
          <li>
            <b>Deletion of your own data everywhere</b>: on <a href="/me">your account page</a>.
          </li>
          <li>
            <b>Stop all collection</b>: remove the bot from your server at any time.
          </li>
        </ul>
      </section>
      <section aria-labelledby="third">
        <h2 id="third">Third-party services</h2>
        <p>
          The Discord API, for the bot and for logging in; and Sentry for error tracking, with
          message content and access tokens scrubbed from error reports. No other analytics,
          tracking or advertising services are used.
        </p>
      </section>
      <section aria-labelledby="contact">
        <h2 id="contact">Contact</h2>
        <p>
          TicketFlow is not directed at children under 13. For privacy questions or data requests,
          reach out via our Discord support server.
        </p>
      </section>
    </main>
  );
}

/** Your account: who you are logged in as, and erasing your own data across every server. */
export function AccountPage({ me }: { me: MeResponse }) {
  const erase = useMutation({
    mutationFn: (confirm: string) =>
      api<{ counts: Record<string, number> }>('/api/me/erase', {
        method: 'POST',
        body: { confirm },
      }),
    onSuccess: () => {
      clearDrafts();
      location.href = '/login?erased=1';
    },
  });
  return (
    <main className="settings-page account-page">
      <div className="toolbar">
        <h1>Your account</h1>
      </div>
      <div className="settings-body">
        <section className="settings-section">
          <h2>Logged in as</h2>
          <p>
            {me.user.globalName ?? me.user.username} (<code>{me.user.username}</code>, id{' '}
            <code>{me.user.id}</code>)
          </p>
          <p>
            <a href="/privacy">What TicketFlow stores about you</a>
          </p>
        </section>
        <section className="settings-section danger-zone" aria-labelledby="erase-me">
          <h2 id="erase-me">Erase my data</h2>
          <p>
            In every server: your messages stay as “Deleted user” with their content removed, your
            answers, ratings and comments are deleted, your name and avatar are removed, and you are
            logged out. A server's own records of its staff actions keep no name of yours.
          </p>
          <ConfirmByTyping
            prompt={
              <>
                Type <b>{ERASE_SELF_CONFIRMATION}</b> to confirm
              </>
            }
            matches={(typed) => typed.trim().toLowerCase() === ERASE_SELF_CONFIRMATION}
            action="Erase my data"
            pending={erase.isPending}
            error={erase.error}
            onConfirm={(typed) => erase.mutate(typed)}
          />
        </section>
      </div>
    </main>
  );
}
