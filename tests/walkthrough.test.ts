// The README's walkthrough, done for real: `pnpm start` with no configuration,
// then two Chromium tabs, one for the staff dashboard, one for the member in
// the local Discord. The screenshots in the README come from this run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasChromium, launchBrowser } from '@ticketflow/emulator/test/browser';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Run, startScript } from './support.ts';

if (!hasChromium) console.log('[e2e] walkthrough needs Chromium (set CHROMIUM_PATH); not run');

const docs = fileURLToPath(new URL('../docs/', import.meta.url));
const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(docs, `walkthrough-${name}.png`) });

describe.runIf(hasChromium)('the walkthrough in README, in Chromium', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tf-walkthrough-'));
  let run: Run;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let url = '';
  let discordUrl = '';
  beforeAll(async () => {
    run = startScript('start', {
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      EMULATOR_PORT: String(await freePort()),
    });
    url = (await run.waitFor(/TicketFlow is running: (\S+)/))[1] ?? '';
    discordUrl = (await run.waitFor(/Discord client:\s+(\S+)/))[1] ?? '';
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.dispose();
    run?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('admin sets up, member opens and writes, staff answer from the board, close, transcript', async () => {
    const staff = await browser.newPage();
    const member = await browser.newPage();
    const messages = member.locator('#messages');

    // Tab 1: log in as the demo admin through the (local) Discord's authorise page.
    await staff.goto(`${url}/login`);
    await staff.getByRole('link', { name: 'Log in with Discord' }).click();
    await staff.getByRole('button', { name: /Adam \(admin\)/ }).click();
    await staff.waitForURL(`${url}/`);
    await staff.getByRole('link', { name: /TicketFlow Demo/ }).click();
    await staff.waitForURL(/\/g\/\d+/);
    const board = staff.url();

    // Configure a category for Support with one question, and post a panel.
    await staff.getByRole('link', { name: 'Settings' }).click();
    await staff.getByRole('button', { name: 'New category' }).click();
    const form = staff.locator('.category-form');
    await form.getByLabel('Name', { exact: true }).fill('Support');
    await form.getByLabel('Discord category for its channels').selectOption({ label: 'Tickets' });
    await form
      .getByRole('group', { name: /Staff roles/ })
      .getByLabel('Support')
      .check();
    await form.getByRole('button', { name: 'Add a question' }).click();
    await form.getByLabel('Question 1', { exact: true }).fill('What do you need?');
    await form.getByRole('button', { name: 'Create category' }).click();
    const panelForm = staff.locator('.panel-form');
    await expect.poll(() => panelForm.getByLabel('Support').count()).toBe(1);
    await panelForm.getByLabel('Channel').selectOption({ label: '#open-a-ticket' });
    await panelForm.getByLabel('Title').fill('Need help?');
    await panelForm.getByLabel('Support').check();
    await shot(staff, '1-settings');
    await panelForm.getByRole('button', { name: 'Post the panel in Discord' }).click();
    await staff.goto(board);

    // Tab 2: be Mia in the local Discord, press the panel's button, answer, write.
    await member.goto(discordUrl);
    await member.getByLabel('You are').selectOption({ label: 'Mia (member)' });
    await member.getByRole('button', { name: '# open-a-ticket' }).click();
    await expect.poll(() => messages.textContent(), { timeout: 20_000 }).toContain('Need help?');
    await member.getByRole('button', { name: 'Support' }).click();
    await member.getByLabel('What do you need?').fill('My order never arrived');
    await member.getByRole('dialog').getByRole('button', { name: 'Submit' }).click();
    const channel = member.getByRole('button', { name: /# ticket-/ });
    await expect.poll(() => channel.count(), { timeout: 20_000 }).toBe(1);
    await channel.click();
    await member.getByLabel('Message').fill('Order 1042, paid on Monday. Any news?');
    await member.getByLabel('Message').press('Enter');
    await shot(member, '2-discord');

    // Tab 1: the card is on the board without a reload, with the last message.
    const card = staff.locator('[data-ticket]').first();
    await expect
      .poll(() => card.textContent(), { timeout: 20_000 })
      .toContain('Order 1042, paid on Monday');
    expect(await card.textContent()).toContain('My order never arrived');
    await shot(staff, '3-board');

    // Reply from the board; it is delivered in Discord.
    await card.click();
    const composer = staff.getByLabel('Reply to the ticket');
    await composer.fill('Found it: it ships tomorrow. Sorry for the wait!');
    await composer.press('Enter');
    await expect
      .poll(() => staff.locator('.delivery.delivered').count(), { timeout: 20_000 })
      .toBe(1);
    await expect
      .poll(() => messages.textContent(), { timeout: 20_000 })
      .toContain('Found it: it ships tomorrow');
    await shot(staff, '4-ticket');
    await shot(member, '5-reply-in-discord');

    // Close it with a reason; Discord shows the closing, the transcript has the conversation.
    await staff.getByRole('button', { name: 'Close…' }).click();
    await staff.getByLabel('Reason (optional)').fill('Shipped');
    await staff.getByRole('button', { name: 'Close ticket', exact: true }).click();
    await expect
      .poll(() => staff.getByRole('button', { name: 'Reopen' }).count(), { timeout: 20_000 })
      .toBe(1);
    await expect.poll(() => messages.textContent(), { timeout: 20_000 }).toMatch(/closed/i);
    const transcriptHref = await staff
      .getByRole('link', { name: 'Download transcript' })
      .getAttribute('href');
    const transcript = await browser.newPage();
    await transcript.goto(`${url}${transcriptHref?.replace('?download=1', '')}`);
    const text = await transcript.textContent('body');
    expect(text).toContain('Order 1042, paid on Monday. Any news?');
    expect(text).toContain('Found it: it ships tomorrow. Sorry for the wait!');
    await shot(transcript, '6-transcript');

    // Stops cleanly with both tabs still connected (Socket.IO, the local Discord's live stream).
    const stopped = await run.terminate();
    // On failure, the product's own log says which step of the stop it was waiting for.
    expect(run.output().stderr, run.output().stdout.slice(-4000)).toBe('');
    expect(stopped.code).toBe(0);
  });
});
