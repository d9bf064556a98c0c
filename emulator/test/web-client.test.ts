import { fileURLToPath } from 'node:url';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  Events,
  type Message,
  ModalBuilder,
  PermissionFlagsBits,
  type TextChannel,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser } from './browser.ts';
import { connectBot, eventually, useEmulator } from './support.ts';

if (!hasChromium)
  console.log('[emulator] web client tests need Chromium (set CHROMIUM_PATH); not run');

describe.runIf(hasChromium)('the web client in Chromium', () => {
  const t = useEmulator();
  let client: Awaited<ReturnType<typeof connectBot>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const received: Message[] = [];

  beforeAll(async () => {
    client = await connectBot(t.emulator, t.world);
    client.on(Events.MessageCreate, (m) => {
      received.push(m);
    });
    client.on(Events.InteractionCreate, async (i) => {
      if (i.isButton() && i.customId === 'open:support') {
        await i.showModal(
          new ModalBuilder()
            .setCustomId('open-modal')
            .setTitle('Open a Support ticket')
            .addComponents(
              new ActionRowBuilder<TextInputBuilder>().addComponents(
                new TextInputBuilder()
                  .setCustomId('topic')
                  .setLabel('What do you need?')
                  .setStyle(TextInputStyle.Paragraph),
              ),
            ),
        );
      } else if (i.isModalSubmit()) {
        // As the ticket bot does: a channel the member may see, then a reply that mentions it.
        const channel = await i.guild?.channels.create({
          name: 'ticket-0001',
          permissionOverwrites: [
            { id: t.world.guildId, deny: [PermissionFlagsBits.ViewChannel] },
            { id: t.world.users.member, allow: [PermissionFlagsBits.ViewChannel] },
          ],
        });
        await i.reply({
          content: `Ticket opened: ${i.fields.getTextInputValue('topic')} in <#${channel?.id}>`,
          flags: 64,
        });
      }
    });
    const panel = client.channels.cache.get(t.world.channels.panel) as TextChannel;
    await panel.send({
      embeds: [{ title: 'Need help?', description: 'Press a button to open a ticket.' }],
      components: [
        new ActionRowBuilder<ButtonBuilder>().addComponents(
          new ButtonBuilder()
            .setCustomId('open:support')
            .setLabel('Support')
            .setStyle(ButtonStyle.Primary),
          new ButtonBuilder()
            .setCustomId('open:billing')
            .setLabel('Billing')
            .setStyle(ButtonStyle.Success),
        ),
      ],
    });
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('dialog', (d) => void d.dismiss());
    await page.goto(`${t.emulator.clientUrl}?user=${t.world.users.member}`);
  });
  afterAll(async () => {
    await browser?.dispose();
    await client?.destroy();
  });

  it("lists the member's channels and sends a message the bot receives", async () => {
    await page.getByRole('button', { name: '# welcome' }).click();
    await page.getByLabel('Message').fill('hello from the browser');
    await page.getByLabel('Message').press('Enter');
    await eventually(() => received.find((m) => m.content === 'hello from the browser'));
    await expect
      .poll(() => page.locator('#messages').textContent())
      .toContain('hello from the browser');
  });

  it('shows a message sent elsewhere live, as text even when it looks like HTML', async () => {
    let scriptRan = false;
    await page.exposeFunction('tfPwned', () => {
      scriptRan = true;
    });
    t.emulator.control.sendMessage(
      t.world.users.member2,
      t.world.channels.welcome,
      '<img src=x onerror="tfPwned()"><script>tfPwned()</script>',
    );
    await expect
      .poll(() => page.locator('#messages').textContent())
      .toContain('<img src=x onerror="tfPwned()">');
    expect(await page.locator('#messages img').count()).toBe(0);
    expect(scriptRan).toBe(false);
    // Mentions read as names and **bold** is bold, still without any markup from the message.
    t.emulator.control.sendMessage(
      t.world.users.member2,
      t.world.channels.welcome,
      `hey <@${t.world.users.member}>, ask <@&${t.world.roles.support}> in <#${t.world.channels.panel}> **now** <b>x</b>`,
    );
    await expect
      .poll(() => page.locator('#messages').textContent())
      .toContain('hey @Mia (member), ask @Support in #open-a-ticket now <b>x</b>');
    expect(await page.locator('#messages strong').last().textContent()).toBe('now');
    expect(await page.locator('#messages b').count()).toBe(0);
  });

  it("presses a panel button, fills the modal, and sees the bot's reply", async () => {
    await page.getByRole('button', { name: '# open-a-ticket' }).click();
    await expect.poll(() => page.locator('#messages').textContent()).toContain('Need help?');
    await page.getByRole('button', { name: 'Support' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await page.getByLabel('What do you need?').fill('My invoice is wrong');
    await page.screenshot({
      path: fileURLToPath(new URL('../../docs/emulator-web-client.png', import.meta.url)),
    });
    await dialog.getByRole('button', { name: 'Submit' }).click();
    await expect
      .poll(() => page.locator('#messages').textContent())
      .toContain('Ticket opened: My invoice is wrong in #ticket-0001');
    await expect
      .poll(() => page.locator('#messages').textContent())
      .toContain('Only you can see this');
  });

  it('says so when the application does not answer a button', async () => {
    await page.getByRole('button', { name: 'Billing' }).click();
    await expect
      .poll(() => page.locator('#error').textContent(), { timeout: 15_000 })
      .toContain('did not respond');
  });
});
