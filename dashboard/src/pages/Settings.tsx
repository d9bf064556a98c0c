import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  BoardColumn,
  Category,
  DiscordInfo,
  GuildDetail,
  GuildSettingsInput,
  Panel,
  Question,
  Tag,
} from '@ticketflow/shared/api';
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { api, guildPath, newSendKey, RequestError } from '../api.ts';
import { Empty, ErrorState, Loading } from '../components.tsx';
import { GuildNav } from './GuildNav.tsx';

const CATEGORY_CHANNEL = 4;
const TEXT_CHANNEL = 0;

/**
 * A save button's state and the server's answer, field errors included. A
 * create (POST) carries a send key, kept while the same create goes
 * unanswered: pressed again after a lost answer, it makes no second category
 * or panel (the server answers with the first).
 */
function useSave<T>(guildId: string, keys: string[][], onDone?: (result: T) => void) {
  const client = useQueryClient();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const unanswered = useRef<{ request: string; sendKey: string } | null>(null);
  const mutation = useMutation({
    mutationFn: (input: { path: string; method: string; body?: object }) => {
      let body = input.body;
      if (input.method === 'POST' && body) {
        const request = `${input.path} ${JSON.stringify(body)}`;
        const sendKey =
          unanswered.current?.request === request ? unanswered.current.sendKey : newSendKey();
        unanswered.current = { request, sendKey };
        body = { ...body, sendKey };
      }
      return api<T>(`${guildPath(guildId)}${input.path}`, {
        method: input.method,
        ...(body === undefined ? {} : { body }),
      });
    },
    onSuccess: (result) => {
      unanswered.current = null;
      setMessage({ ok: true, text: 'Saved' });
      for (const key of keys) void client.invalidateQueries({ queryKey: key });
      onDone?.(result);
    },
    onError: (e, input) => {
      const fields =
        e instanceof RequestError
          ? (e.body?.fields ?? []).map((f) => `${f.path.replace(/^body\./, '')}: ${f.message}`)
          : [];
      // No answer, or the server failed: the create may have been made all the same.
      const unknown =
        input.method === 'POST' &&
        (!(e instanceof RequestError) || e.status === 0 || e.status >= 500);
      const again = unknown
        ? ['Press again: if the first one went through, no second one is made.']
        : [];
      setMessage({ ok: false, text: [e.message, ...fields, ...again].join(' · ') });
    },
  });
  const status = mutation.isPending ? (
    <span className="save-status" role="status">
      Saving…
    </span>
  ) : message ? (
    <span
      className={`save-status ${message.ok ? 'ok' : 'failed'}`}
      role={message.ok ? 'status' : 'alert'}
    >
      {message.text}
    </span>
  ) : null;
  return { save: mutation.mutate, pending: mutation.isPending, status };
}

/** The guild's categories, shared by the categories and panels sections (one request). */
const useCategories = (guildId: string) =>
  useQuery({
    queryKey: ['categories', guildId],
    queryFn: () => api<Category[]>(`${guildPath(guildId)}/categories`),
  });

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="settings-section" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}

/** Checkboxes for a set of Discord roles. */
function RolePicker({
  legend,
  roles,
  value,
  onChange,
}: {
  legend: string;
  roles: DiscordInfo['roles'];
  value: string[];
  onChange: (ids: string[]) => void;
}) {
  return (
    <fieldset className="role-picker">
      <legend>{legend}</legend>
      {roles.length === 0 ? <p className="muted">This server has no roles yet.</p> : null}
      {roles.map((r) => (
        <label key={r.id} className="role">
          <input
            type="checkbox"
            checked={value.includes(r.id)}
            onChange={(e) =>
              onChange(e.target.checked ? [...value, r.id] : value.filter((id) => id !== r.id))
            }
          />
          <span
            className="role-dot"
            style={{
              background: r.color ? `#${r.color.toString(16).padStart(6, '0')}` : undefined,
            }}
          />
          {r.name}
        </label>
      ))}
    </fieldset>
  );
}

function NumberField({
  label,
  value,
  onChange,
  min,
  max,
  hint,
  nullable = false,
}: {
  label: string;
  value: number | null;
  onChange: (v: number | null) => void;
  min: number;
  max: number;
  hint?: string;
  nullable?: boolean;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <input
        type="number"
        min={min}
        max={max}
        value={value ?? ''}
        placeholder={nullable ? 'Off' : undefined}
        onChange={(e) =>
          onChange(e.target.value === '' && nullable ? null : Number(e.target.value))
        }
      />
      {hint ? <small className="muted">{hint}</small> : null}
    </label>
  );
}

function GeneralSettings({ guildId, discord }: { guildId: string; discord: DiscordInfo }) {
  const settings = useQuery({
    queryKey: ['settings', guildId],
    queryFn: () => api<GuildSettingsInput>(`${guildPath(guildId)}/settings`),
  });
  const [draft, setDraft] = useState<GuildSettingsInput | null>(null);
  useEffect(() => {
    if (settings.data) setDraft(settings.data);
  }, [settings.data]);
  const { save, pending, status } = useSave(guildId, [['settings', guildId]]);
  if (settings.error) return <ErrorState error={settings.error} retry={() => settings.refetch()} />;
  if (!draft) return <Loading label="Loading settings" />;
  const set = <K extends keyof GuildSettingsInput>(k: K, v: GuildSettingsInput[K]) =>
    setDraft({ ...draft, [k]: v });
  return (
    <form
      className="settings-form"
      onSubmit={(e) => {
        e.preventDefault();
        save({ path: '/settings', method: 'PATCH', body: draft });
      }}
    >
      <RolePicker
        legend="Admin roles (besides Manage Server): may change these settings"
        roles={discord.roles}
        value={draft.adminRoleIds}
        onChange={(ids) => set('adminRoleIds', ids)}
      />
      <div className="field-row">
        <NumberField
          label="Delete a closed ticket's channel after (seconds)"
          value={draft.closeDelaySeconds}
          min={0}
          max={604800}
          onChange={(v) => set('closeDelaySeconds', v ?? 0)}
        />
        <NumberField
          label="Close request: close when unanswered after (hours)"
          value={draft.closeRequestHours}
          min={1}
          max={720}
          onChange={(v) => set('closeRequestHours', v ?? 24)}
        />
        <NumberField
          label="Delete closed tickets after (days)"
          value={draft.closedTicketRetentionDays}
          min={1}
          max={3650}
          nullable
          hint="Empty: keep them for transcripts"
          onChange={(v) => set('closedTicketRetentionDays', v)}
        />
      </div>
      <label className="check">
        <input
          type="checkbox"
          checked={draft.transcriptDm}
          onChange={(e) => set('transcriptDm', e.target.checked)}
        />
        Send the opener the transcript (HTML, without staff notes) by DM when a ticket closes
      </label>
      <div className="form-actions">
        <button type="submit" disabled={pending}>
          Save settings
        </button>
        {status}
      </div>
    </form>
  );
}

const blankQuestion = (n: number): Question => ({
  id: `q${Date.now().toString(36)}${n}`,
  label: '',
  style: 'short',
  required: true,
});

function QuestionsEditor({
  value,
  onChange,
}: {
  value: Question[];
  onChange: (q: Question[]) => void;
}) {
  const update = (i: number, patch: Partial<Question>) =>
    onChange(value.map((q, j) => (j === i ? { ...q, ...patch } : q)));
  const swap = (i: number, j: number) => {
    const next = [...value];
    const [a, b] = [next[i], next[j]];
    if (!a || !b) return;
    next[i] = b;
    next[j] = a;
    onChange(next);
  };
  return (
    <fieldset className="questions">
      <legend>Questions asked when a ticket opens (up to 5, a Discord form)</legend>
      {value.length === 0 ? <p className="muted">No questions: the ticket opens at once.</p> : null}
      <ol>
        {value.map((q, i) => (
          <li key={q.id} className="question">
            <input
              aria-label={`Question ${i + 1}`}
              value={q.label}
              maxLength={45}
              placeholder="What do you need help with?"
              onChange={(e) => update(i, { label: e.target.value })}
            />
            <select
              aria-label={`Question ${i + 1} answer size`}
              value={q.style}
              onChange={(e) => update(i, { style: e.target.value as Question['style'] })}
            >
              <option value="short">Short answer</option>
              <option value="paragraph">Paragraph</option>
            </select>
            <label className="check">
              <input
                type="checkbox"
                checked={q.required}
                onChange={(e) => update(i, { required: e.target.checked })}
              />
              Required
            </label>
            <button
              type="button"
              className="ghost"
              aria-label={`Move question ${i + 1} up`}
              disabled={i === 0}
              onClick={() => swap(i, i - 1)}
            >
              ↑
            </button>
            <button
              type="button"
              className="ghost"
              aria-label={`Move question ${i + 1} down`}
              disabled={i === value.length - 1}
              onClick={() => swap(i, i + 1)}
            >
              ↓
            </button>
            <button
              type="button"
              className="ghost danger-text"
              aria-label={`Remove question ${i + 1}`}
              onClick={() => onChange(value.filter((_, j) => j !== i))}
            >
              ✕
            </button>
          </li>
        ))}
      </ol>
      <button
        type="button"
        disabled={value.length >= 5}
        onClick={() => onChange([...value, blankQuestion(value.length)])}
      >
        Add a question
      </button>
    </fieldset>
  );
}

type CategoryDraft = Omit<Category, 'id' | 'position'>;
const newCategory: CategoryDraft = {
  name: '',
  emoji: null,
  description: null,
  color: '#5865f2',
  discordCategoryId: null,
  staffRoleIds: [],
  blockedRoleIds: [],
  questions: [],
  openTicketLimit: 1,
  cooldownSeconds: 0,
  channelNamePattern: 'ticket-{number}',
  threadMode: false,
  autoCloseHours: null,
};

function CategoryForm({
  guildId,
  discord,
  category,
  onDone,
}: {
  guildId: string;
  discord: DiscordInfo;
  category: Category | null;
  onDone: () => void;
}) {
  const [draft, setDraft] = useState<CategoryDraft>(() => {
    if (!category) return newCategory;
    const { id: _id, position: _position, ...rest } = category;
    return rest;
  });
  const { save, pending, status } = useSave(
    guildId,
    [
      ['categories', guildId],
      ['guild', guildId],
    ],
    () => {
      if (!category) onDone();
    },
  );
  const set = <K extends keyof CategoryDraft>(k: K, v: CategoryDraft[K]) =>
    setDraft({ ...draft, [k]: v });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body = { ...draft, questions: draft.questions.filter((q) => q.label.trim()) };
    save(
      category
        ? { path: `/categories/${category.id}`, method: 'PATCH', body }
        : { path: '/categories', method: 'POST', body },
    );
  };
  const parents = discord.channels.filter((c) => c.type === CATEGORY_CHANNEL);
  return (
    <form className="settings-form category-form" onSubmit={submit}>
      <div className="field-row">
        <label className="field">
          <span>Name</span>
          <input
            required
            maxLength={50}
            value={draft.name}
            onChange={(e) => set('name', e.target.value)}
          />
        </label>
        <label className="field narrow">
          <span>Emoji</span>
          <input
            maxLength={64}
            value={draft.emoji ?? ''}
            onChange={(e) => set('emoji', e.target.value || null)}
          />
        </label>
        <label className="field narrow">
          <span>Colour</span>
          <input
            type="color"
            value={draft.color ?? '#5865f2'}
            onChange={(e) => set('color', e.target.value)}
          />
        </label>
      </div>
      <label className="field">
        <span>Description (shown on the panel)</span>
        <input
          maxLength={100}
          value={draft.description ?? ''}
          onChange={(e) => set('description', e.target.value || null)}
        />
      </label>
      <div className="field-row">
        <label className="field">
          <span>Discord category for its channels</span>
          <select
            value={draft.discordCategoryId ?? ''}
            onChange={(e) => set('discordCategoryId', e.target.value || null)}
          >
            <option value="">None (top of the channel list)</option>
            {parents.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Channel name pattern</span>
          <input
            maxLength={90}
            value={draft.channelNamePattern}
            onChange={(e) => set('channelNamePattern', e.target.value)}
          />
          <small className="muted">{'{number}, {username}, {category}'}</small>
        </label>
      </div>
      <RolePicker
        legend="Staff roles: see and work these tickets"
        roles={discord.roles}
        value={draft.staffRoleIds}
        onChange={(ids) => set('staffRoleIds', ids)}
      />
      <RolePicker
        legend="Blocked roles: may not open tickets here"
        roles={discord.roles}
        value={draft.blockedRoleIds}
        onChange={(ids) => set('blockedRoleIds', ids)}
      />
      <div className="field-row">
        <NumberField
          label="Open tickets per person"
          value={draft.openTicketLimit}
          min={0}
          max={50}
          hint="0: no limit"
          onChange={(v) => set('openTicketLimit', v ?? 0)}
        />
        <NumberField
          label="Cooldown between tickets (seconds)"
          value={draft.cooldownSeconds}
          min={0}
          max={2592000}
          onChange={(v) => set('cooldownSeconds', v ?? 0)}
        />
        <NumberField
          label="Auto-close after no reply from the opener (hours)"
          value={draft.autoCloseHours}
          min={1}
          max={2160}
          nullable
          hint="Empty: never"
          onChange={(v) => set('autoCloseHours', v)}
        />
      </div>
      <label className="check">
        <input
          type="checkbox"
          checked={draft.threadMode}
          onChange={(e) => set('threadMode', e.target.checked)}
        />
        Private threads instead of channels (staff need Manage Threads to see them)
      </label>
      <QuestionsEditor value={draft.questions} onChange={(q) => set('questions', q)} />
      <div className="form-actions">
        <button type="submit" disabled={pending}>
          {category ? 'Save category' : 'Create category'}
        </button>
        {status}
      </div>
    </form>
  );
}

function Categories({ guildId, discord }: { guildId: string; discord: DiscordInfo }) {
  const categories = useCategories(guildId);
  const [editing, setEditing] = useState<string | 'new' | null>(null);
  if (categories.isPending) return <Loading label="Loading categories" />;
  if (categories.error)
    return <ErrorState error={categories.error} retry={() => categories.refetch()} />;
  return (
    <div>
      <ul className="category-list">
        {categories.data.map((c) => (
          <li key={c.id}>
            <button
              type="button"
              className={`category-item${editing === c.id ? ' active' : ''}`}
              aria-expanded={editing === c.id}
              onClick={() => setEditing(editing === c.id ? null : c.id)}
            >
              <span className="category-dot" style={{ background: c.color ?? undefined }} />
              {c.emoji} {c.name}
              <span className="muted">
                {c.staffRoleIds.length} staff role{c.staffRoleIds.length === 1 ? '' : 's'} ·{' '}
                {c.questions.length} question{c.questions.length === 1 ? '' : 's'}
              </span>
            </button>
            {editing === c.id ? (
              <CategoryForm
                guildId={guildId}
                discord={discord}
                category={c}
                onDone={() => setEditing(null)}
              />
            ) : null}
          </li>
        ))}
      </ul>
      {categories.data.length === 0 ? (
        <Empty>No categories yet: create one, then post a panel so members can open tickets.</Empty>
      ) : null}
      {editing === 'new' ? (
        <CategoryForm
          guildId={guildId}
          discord={discord}
          category={null}
          onDone={() => setEditing(null)}
        />
      ) : (
        <button type="button" onClick={() => setEditing('new')}>
          New category
        </button>
      )}
    </div>
  );
}

function Columns({ guildId, columns }: { guildId: string; columns: BoardColumn[] }) {
  const { save, pending, status } = useSave(guildId, [
    ['guild', guildId],
    ['board', guildId],
  ]);
  const [name, setName] = useState('');
  const [lifecycle, setLifecycle] = useState<'open' | 'closed'>('open');
  return (
    <div>
      <ol className="column-list">
        {columns.map((c, i) => (
          <li key={c.id}>
            <input
              aria-label={`Column ${i + 1} name`}
              defaultValue={c.name}
              maxLength={40}
              onBlur={(e) => {
                const next = e.target.value.trim();
                if (next && next !== c.name)
                  save({ path: `/columns/${c.id}`, method: 'PATCH', body: { name: next } });
              }}
            />
            <select
              aria-label={`Column ${i + 1} state`}
              value={c.lifecycle}
              onChange={(e) =>
                save({
                  path: `/columns/${c.id}`,
                  method: 'PATCH',
                  body: { lifecycle: e.target.value },
                })
              }
            >
              <option value="open">Tickets here are open</option>
              <option value="closed">Tickets here are closed</option>
            </select>
            <button
              type="button"
              className="ghost"
              aria-label={`Move column ${c.name} left`}
              disabled={i === 0 || pending}
              onClick={() =>
                save({
                  path: `/columns/${c.id}`,
                  method: 'PATCH',
                  body: { afterId: columns[i - 2]?.id ?? null },
                })
              }
            >
              ←
            </button>
            <button
              type="button"
              className="ghost"
              aria-label={`Move column ${c.name} right`}
              disabled={i === columns.length - 1 || pending}
              onClick={() =>
                save({
                  path: `/columns/${c.id}`,
                  method: 'PATCH',
                  body: { afterId: columns[i + 1]?.id ?? null },
                })
              }
            >
              →
            </button>
            <button
              type="button"
              className="ghost danger-text"
              aria-label={`Delete column ${c.name}`}
              disabled={pending}
              onClick={() => {
                if (confirm(`Delete the column “${c.name}”? Its tickets move to another column.`))
                  save({ path: `/columns/${c.id}`, method: 'DELETE' });
              }}
            >
              ✕
            </button>
          </li>
        ))}
      </ol>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!name.trim()) return;
          save({ path: '/columns', method: 'POST', body: { name: name.trim(), lifecycle } });
          setName('');
        }}
      >
        <label className="field">
          <span>New column</span>
          <input value={name} maxLength={40} onChange={(e) => setName(e.target.value)} />
        </label>
        <select
          aria-label="New column state"
          value={lifecycle}
          onChange={(e) => setLifecycle(e.target.value as 'open' | 'closed')}
        >
          <option value="open">Open</option>
          <option value="closed">Closed</option>
        </select>
        <button type="submit" disabled={pending}>
          Add column
        </button>
      </form>
      {status}
    </div>
  );
}

/** How the panel will look in Discord. */
function PanelPreview({
  title,
  description,
  style,
  categories,
}: {
  title: string;
  description: string;
  style: 'buttons' | 'select';
  categories: Category[];
}) {
  return (
    <section className="panel-preview" aria-label="Panel preview">
      <div className="embed">
        <strong>{title || 'Open a ticket'}</strong>
        {description ? <p>{description}</p> : null}
      </div>
      {style === 'buttons' ? (
        <div className="preview-buttons">
          {categories.map((c) => (
            <span key={c.id} className="preview-button">
              {c.emoji} {c.name}
            </span>
          ))}
        </div>
      ) : (
        <div className="preview-select">Choose a category… ▾</div>
      )}
    </section>
  );
}

function Panels({ guildId, discord }: { guildId: string; discord: DiscordInfo }) {
  const panels = useQuery({
    queryKey: ['panels', guildId],
    queryFn: () => api<Panel[]>(`${guildPath(guildId)}/panels`),
  });
  const categories = useCategories(guildId);
  const { save, pending, status } = useSave(guildId, [['panels', guildId]]);
  const textChannels = discord.channels.filter((c) => c.type === TEXT_CHANNEL);
  const [channelId, setChannelId] = useState('');
  const [title, setTitle] = useState('Need help? Open a ticket');
  const [description, setDescription] = useState('');
  const [style, setStyle] = useState<'buttons' | 'select'>('buttons');
  const [chosen, setChosen] = useState<string[]>([]);
  if (panels.isPending || categories.isPending) return <Loading label="Loading panels" />;
  if (panels.error) return <ErrorState error={panels.error} retry={() => panels.refetch()} />;
  if (categories.error)
    return <ErrorState error={categories.error} retry={() => categories.refetch()} />;
  const channelName = (id: string) => textChannels.find((c) => c.id === id)?.name ?? id;
  const picked = categories.data.filter((c) => chosen.includes(c.id));
  return (
    <div className="panels">
      <ul className="panel-list">
        {panels.data.map((p) => (
          <li key={p.id}>
            <strong>{p.title}</strong> in #{channelName(p.channelId)} ·{' '}
            {p.messageId ? 'posted' : 'posting…'} · {p.categoryIds.length} categor
            {p.categoryIds.length === 1 ? 'y' : 'ies'}
          </li>
        ))}
      </ul>
      {categories.data.length === 0 ? (
        <p className="muted">Create a category first; a panel offers categories.</p>
      ) : (
        <form
          className="settings-form panel-form"
          onSubmit={(e) => {
            e.preventDefault();
            save({
              path: '/panels',
              method: 'POST',
              body: {
                channelId,
                title,
                description: description || null,
                style,
                categoryIds: chosen,
              },
            });
          }}
        >
          <div className="panel-editor">
            <div>
              <label className="field">
                <span>Channel</span>
                <select required value={channelId} onChange={(e) => setChannelId(e.target.value)}>
                  <option value="" disabled>
                    Choose a channel
                  </option>
                  {textChannels.map((c) => (
                    <option key={c.id} value={c.id}>
                      #{c.name}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field">
                <span>Title</span>
                <input
                  required
                  maxLength={256}
                  value={title}
                  onChange={(e) => setTitle(e.target.value)}
                />
              </label>
              <label className="field">
                <span>Description</span>
                <textarea
                  maxLength={2000}
                  value={description}
                  onChange={(e) => setDescription(e.target.value)}
                />
              </label>
              <label className="field">
                <span>Style</span>
                <select
                  value={style}
                  onChange={(e) => setStyle(e.target.value as 'buttons' | 'select')}
                >
                  <option value="buttons">A button per category</option>
                  <option value="select">A menu of categories</option>
                </select>
              </label>
              <fieldset className="role-picker">
                <legend>Categories offered</legend>
                {categories.data.map((c) => (
                  <label key={c.id} className="role">
                    <input
                      type="checkbox"
                      checked={chosen.includes(c.id)}
                      onChange={(e) =>
                        setChosen(
                          e.target.checked ? [...chosen, c.id] : chosen.filter((id) => id !== c.id),
                        )
                      }
                    />
                    {c.emoji} {c.name}
                  </label>
                ))}
              </fieldset>
            </div>
            <PanelPreview
              title={title}
              description={description}
              style={style}
              categories={picked}
            />
          </div>
          <div className="form-actions">
            <button type="submit" disabled={pending || chosen.length === 0 || !channelId}>
              Post the panel in Discord
            </button>
            {status}
          </div>
        </form>
      )}
    </div>
  );
}

function Tags({ guildId }: { guildId: string }) {
  const tags = useQuery({
    queryKey: ['tags', guildId],
    queryFn: () => api<Tag[]>(`${guildPath(guildId)}/tags`),
  });
  const { save, pending, status } = useSave(guildId, [['tags', guildId]]);
  const [name, setName] = useState('');
  const [content, setContent] = useState('');
  if (tags.isPending) return <Loading label="Loading saved replies" />;
  if (tags.error) return <ErrorState error={tags.error} retry={() => tags.refetch()} />;
  return (
    <div>
      <ul className="tag-list">
        {tags.data.map((t) => (
          <li key={t.id}>
            <code>/{t.name}</code>
            <textarea
              aria-label={`Saved reply ${t.name}`}
              defaultValue={t.content}
              maxLength={2000}
              onBlur={(e) => {
                const next = e.target.value.trim();
                if (next && next !== t.content)
                  save({ path: `/tags/${t.id}`, method: 'PATCH', body: { content: next } });
              }}
            />
            <button
              type="button"
              className="ghost danger-text"
              aria-label={`Delete saved reply ${t.name}`}
              onClick={() => save({ path: `/tags/${t.id}`, method: 'DELETE' })}
            >
              ✕
            </button>
          </li>
        ))}
      </ul>
      {tags.data.length === 0 ? (
        <p className="muted">
          No saved replies yet. Staff post them with /tag in Discord or / in the reply box.
        </p>
      ) : null}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          save({ path: '/tags', method: 'POST', body: { name: name.trim(), content } });
          setName('');
          setContent('');
        }}
      >
        <label className="field narrow">
          <span>Name</span>
          <input
            required
            maxLength={32}
            pattern="[\w\-]+"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Reply</span>
          <textarea
            required
            maxLength={2000}
            value={content}
            onChange={(e) => setContent(e.target.value)}
          />
        </label>
        <button type="submit" disabled={pending}>
          Add saved reply
        </button>
      </form>
      {status}
    </div>
  );
}

/** Admins configure the server: general options, categories, columns, panels, saved replies. */
export function SettingsPage({ guildId }: { guildId: string }) {
  const guild = useQuery({
    queryKey: ['guild', guildId],
    queryFn: () => api<GuildDetail>(guildPath(guildId)),
  });
  const admin = guild.data?.access.role === 'admin';
  const discord = useQuery({
    queryKey: ['discord', guildId],
    queryFn: () => api<DiscordInfo>(`${guildPath(guildId)}/discord`),
    enabled: admin,
  });
  if (guild.isPending) return <Loading label="Loading the server" />;
  if (guild.error) return <ErrorState error={guild.error} />;
  return (
    <main className="settings-page">
      <GuildNav guild={guild.data} current="settings" />
      {!admin ? (
        <ErrorState error={new Error('Only server admins can change settings.')} />
      ) : discord.isPending ? (
        <Loading label="Reading the server's roles and channels from Discord" />
      ) : discord.error ? (
        <ErrorState error={discord.error} retry={() => discord.refetch()} />
      ) : (
        <div className="settings">
          <nav className="settings-toc" aria-label="Settings sections">
            <a href="#general">General</a>
            <a href="#categories">Categories</a>
            <a href="#columns">Board columns</a>
            <a href="#panels">Panels</a>
            <a href="#tags">Saved replies</a>
          </nav>
          <div className="settings-body">
            <div id="general">
              <Section id="general" title="General">
                <GeneralSettings guildId={guildId} discord={discord.data} />
              </Section>
            </div>
            <div id="categories">
              <Section id="categories" title="Categories">
                <Categories guildId={guildId} discord={discord.data} />
              </Section>
            </div>
            <div id="columns">
              <Section id="columns" title="Board columns">
                <Columns guildId={guildId} columns={guild.data.columns} />
              </Section>
            </div>
            <div id="panels">
              <Section id="panels" title="Panels">
                <Panels guildId={guildId} discord={discord.data} />
              </Section>
            </div>
            <div id="tags">
              <Section id="tags" title="Saved replies">
                <Tags guildId={guildId} />
              </Section>
            </div>
          </div>
        </div>
      )}
    </main>
  );
}
