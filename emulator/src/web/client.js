// The emulator's web client. Everything from the server is shown with
// textContent, never as HTML: message content comes from strangers.
const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, children = []) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key.includes('-')) node.setAttribute(key, value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node[key] = value;
  }
  for (const child of [].concat(children)) if (child != null) node.append(child);
  return node;
};
const state = { world: null, user: null, guild: null, channel: null, live: null, channels: [] };

// Mentions read as names and **bold** as bold, the way Discord shows them;
// still only text nodes, so nothing in a message can become markup.
function richText(text) {
  const users = new Map(state.world.users.map((u) => [u.id, u.globalName ?? u.username]));
  const guild = state.world.guilds.find((g) => g.id === state.guild?.id);
  const roles = new Map(guild?.roles.map((r) => [r.id, r.name]) ?? []);
  const channels = new Map(state.channels.map((c) => [c.id, c.name]));
  const parts = [];
  const pattern = /<@!?(\d+)>|<@&(\d+)>|<#(\d+)>|\*\*(.+?)\*\*/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    if (m[4] !== undefined) parts.push(el('strong', { textContent: m[4] }));
    else {
      const label = m[1]
        ? `@${users.get(m[1]) ?? 'unknown-user'}`
        : m[2]
          ? `@${roles.get(m[2]) ?? 'unknown-role'}`
          : `#${channels.get(m[3]) ?? 'unknown-channel'}`;
      parts.push(el('span', { className: 'mention', textContent: label }));
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

async function api(path, method = 'GET', body) {
  const res = await fetch(path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(data?.message ?? res.statusText);
  return data;
}
const showError = (error) => {
  $('error').textContent = error ? String(error.message ?? error) : '';
};

async function init() {
  state.world = await api('/_emulator/world');
  const select = $('user');
  for (const u of state.world.users.filter((u) => !u.bot)) {
    select.append(el('option', { value: u.id, textContent: u.globalName ?? u.username }));
  }
  const wanted =
    new URLSearchParams(location.search).get('user') ?? localStorage.getItem('tf-emulator-user');
  if (wanted && [...select.options].some((o) => o.value === wanted)) select.value = wanted;
  select.onchange = () => selectUser(select.value);
  await selectUser(select.value);
}

async function selectUser(userId) {
  state.user = userId;
  localStorage.setItem('tf-emulator-user', userId);
  state.live?.close();
  state.live = new EventSource(`/_emulator/live?userId=${userId}`);
  state.live.onmessage = (e) => onLive(JSON.parse(e.data));
  const guilds = await api(`/_emulator/users/${userId}/guilds`);
  const rail = $('guilds');
  rail.replaceChildren(
    ...guilds.map((g) =>
      el('button', {
        title: g.name,
        textContent: g.name
          .split(/\s+/)
          .map((w) => w[0])
          .join('')
          .slice(0, 3),
        onclick: () => selectGuild(g),
      }),
    ),
    el('button', { title: 'Direct messages', textContent: 'DM', onclick: () => selectGuild(null) }),
  );
  await selectGuild(guilds.find((g) => g.id === state.guild?.id) ?? guilds[0] ?? null);
}

async function selectGuild(guild) {
  state.guild = guild;
  for (const b of $('guilds').children)
    b.setAttribute('aria-current', String(b.title === (guild?.name ?? 'Direct messages')));
  $('guild-name').textContent = guild ? guild.name : 'Direct messages';
  await loadChannels();
}

async function loadChannels() {
  const list = $('channels');
  const channels = state.guild
    ? await api(`/_emulator/users/${state.user}/guilds/${state.guild.id}/channels`)
    : await api(`/_emulator/users/${state.user}/dms`);
  state.channels = channels;
  const items = [];
  const byParent = (parent) =>
    channels.filter((c) => (c.parent_id ?? null) === parent && c.type !== 4);
  const channelItem = (c) => {
    const name =
      c.type === 1
        ? c.recipients
            .filter((r) => r.id !== state.user)
            .map((r) => r.username)
            .join(', ')
        : `# ${c.name}`;
    return el(
      'li',
      {},
      el('button', {
        textContent: name,
        dataset: { id: c.id },
        onclick: () => selectChannel(c, name),
      }),
    );
  };
  items.push(...byParent(null).map(channelItem));
  for (const cat of channels.filter((c) => c.type === 4)) {
    items.push(el('li', { className: 'cat', textContent: cat.name }));
    items.push(...byParent(cat.id).map(channelItem));
  }
  list.replaceChildren(...items);
  if (state.channel && !channels.some((c) => c.id === state.channel.id)) {
    state.channel = null;
    $('channel-name').textContent = 'That channel is gone or hidden from you';
    $('messages').replaceChildren(
      el('p', { className: 'empty', textContent: 'No channel selected.' }),
    );
    $('input').disabled = true;
  }
  markCurrent();
}

function markCurrent() {
  for (const b of $('channels').querySelectorAll('button'))
    b.setAttribute('aria-current', String(b.dataset.id === state.channel?.id));
}

async function selectChannel(channel, name) {
  state.channel = channel;
  $('channel-name').textContent = name;
  $('input').disabled = false;
  $('input').focus();
  markCurrent();
  await loadMessages();
}

async function loadMessages() {
  if (!state.channel) return;
  try {
    const messages = await api(
      `/_emulator/users/${state.user}/channels/${state.channel.id}/messages?limit=100`,
    );
    const box = $('messages');
    box.replaceChildren(...messages.reverse().map(renderMessage));
    if (messages.length === 0)
      box.append(el('p', { className: 'empty', textContent: 'No messages yet.' }));
    box.scrollTop = box.scrollHeight;
  } catch (error) {
    showError(error);
  }
}

function renderMessage(m) {
  const name = m.author.global_name ?? m.author.username;
  const body = [
    el('div', {}, [
      el(
        'span',
        { className: 'author', textContent: name },
        m.author.bot
          ? el('span', { className: 'tag', textContent: m.webhook_id ? 'APP' : 'BOT' })
          : null,
      ),
      el('time', { className: 'time', textContent: new Date(m.timestamp).toLocaleTimeString() }),
    ]),
  ];
  if (m.flags & 128)
    body.push(el('div', { className: 'ephemeral', textContent: `${name} is thinking…` }));
  if (m.content) body.push(el('div', { className: 'content' }, richText(m.content)));
  for (const a of m.attachments)
    body.push(
      el('div', {}, el('a', { href: a.url, textContent: `📎 ${a.filename}`, target: '_blank' })),
    );
  for (const e of m.embeds) {
    body.push(
      el('div', { className: 'embed' }, [
        e.title ? el('div', { className: 'title', textContent: e.title }) : null,
        e.description ? el('div', { className: 'content' }, richText(e.description)) : null,
        ...(e.fields ?? []).map((f) =>
          el('div', {}, [
            el('b', { textContent: f.name }),
            el('div', { className: 'content' }, richText(f.value)),
          ]),
        ),
      ]),
    );
  }
  for (const row of m.components ?? []) body.push(renderRow(m, row));
  if (m.flags & 64)
    body.push(el('div', { className: 'ephemeral', textContent: 'Only you can see this' }));
  return el('article', { className: 'msg' }, [
    el('div', { className: 'avatar', textContent: name[0]?.toUpperCase() ?? '?' }),
    el('div', {}, body),
  ]);
}

function renderRow(m, row) {
  const items = (row.components ?? []).map((c) => {
    if (c.type === 2) {
      const label = `${c.emoji?.name ? `${c.emoji.name} ` : ''}${c.label ?? ''}`;
      if (c.url) return el('a', { href: c.url, textContent: label, target: '_blank' });
      return el('button', {
        type: 'button',
        className: `s${c.style}`,
        textContent: label,
        disabled: Boolean(c.disabled),
        onclick: () =>
          interact('button', { channelId: m.channel_id, messageId: m.id, customId: c.custom_id }),
      });
    }
    if (c.type === 3) {
      const select = el('select', { 'aria-label': c.placeholder ?? 'Choose' }, [
        el('option', { value: '', textContent: c.placeholder ?? 'Make a selection' }),
        ...c.options.map((o) =>
          el('option', {
            value: o.value,
            textContent: `${o.emoji?.name ? `${o.emoji.name} ` : ''}${o.label}`,
          }),
        ),
      ]);
      select.onchange = () =>
        select.value &&
        interact('select', {
          channelId: m.channel_id,
          messageId: m.id,
          customId: c.custom_id,
          values: [select.value],
        });
      return select;
    }
    return null;
  });
  return el('div', { className: 'row' }, items);
}

async function interact(kind, body) {
  showError(null);
  try {
    handleOutcome(await api(`/_emulator/users/${state.user}/interactions/${kind}`, 'POST', body));
  } catch (error) {
    showError(error);
  }
}

function handleOutcome(outcome) {
  if (outcome.timedOut) showError('The application did not respond');
  if (outcome.modal) showModal(outcome.interactionId, outcome.modal);
  else loadMessages();
}

function showModal(interactionId, modal) {
  const form = $('modal-form');
  const fields = [];
  for (const row of modal.components) {
    const input = row.component ?? row.components?.[0];
    if (input?.type !== 4) continue;
    const id = `modal-${input.custom_id}`;
    const control =
      input.style === 2 ? el('textarea', { id, rows: 4 }) : el('input', { id, type: 'text' });
    Object.assign(control, {
      name: input.custom_id,
      required: input.required ?? true,
      placeholder: input.placeholder ?? '',
      value: input.value ?? '',
    });
    if (input.max_length) control.maxLength = input.max_length;
    fields.push(
      el(
        'label',
        { htmlFor: id, textContent: row.label ?? input.label ?? input.custom_id },
        control,
      ),
    );
  }
  form.replaceChildren(
    el('h2', { textContent: modal.title }),
    ...fields,
    el('menu', {}, [
      el('button', { value: 'cancel', formNoValidate: true, textContent: 'Cancel' }),
      el('button', { value: 'submit', textContent: 'Submit' }),
    ]),
  );
  form.onsubmit = (event) => {
    if (event.submitter?.value !== 'submit') return;
    const values = Object.fromEntries(new FormData(form).entries());
    interact('modal', { interactionId, values });
  };
  $('modal').showModal();
}

function parseCommand(text) {
  const tokens = text.slice(1).match(/(\w+):"([^"]*)"|(\w+):(\S+)|(\S+)/g) ?? [];
  const [name, ...rest] = tokens;
  const options = {};
  let subcommand;
  for (const t of rest) {
    const m = /^(\w+):(?:"([^"]*)"|(\S+))$/.exec(t);
    if (m) options[m[1]] = m[2] ?? m[3];
    else subcommand ??= t;
  }
  return { name, subcommand, options };
}

$('input').addEventListener('keydown', async (event) => {
  if (event.key !== 'Enter' || event.shiftKey) return;
  event.preventDefault();
  const text = event.target.value.trim();
  if (!text || !state.channel) return;
  showError(null);
  try {
    if (text.startsWith('/')) {
      const { name, subcommand, options } = parseCommand(text);
      handleOutcome(
        await api(`/_emulator/users/${state.user}/interactions/command`, 'POST', {
          channelId: state.channel.id,
          name,
          subcommand,
          options,
        }),
      );
    } else {
      await api(`/_emulator/users/${state.user}/channels/${state.channel.id}/messages`, 'POST', {
        content: text,
      });
    }
    event.target.value = '';
  } catch (error) {
    showError(error);
  }
});

function onLive(note) {
  if (note.channelId && note.channelId === state.channel?.id && note.t.startsWith('MESSAGE'))
    loadMessages();
  else if (
    note.t.startsWith('CHANNEL') ||
    note.t.startsWith('THREAD') ||
    note.t.startsWith('GUILD')
  )
    // Drawn again after the list: a message that mentions a channel created a
    // moment ago (the ticket the bot just opened) then shows its name.
    loadChannels().then(loadMessages, showError);
  else if (note.t === 'MESSAGE_CREATE' && !state.guild) loadChannels();
}

init().catch(showError);
