import { describe, expect, it } from 'vitest';
import { channelName, isAdmin, isStaffOf, type OpenCheck, refuseToOpen } from '../src/tickets.ts';

const category = {
  staffRoleIds: ['support'],
  blockedRoleIds: ['muted'],
  openTicketLimit: 1,
  cooldownSeconds: 300,
  channelNamePattern: 'ticket-{number}',
};
const member = { userId: 'u1', roleIds: [], managesGuild: false };
const base: OpenCheck = {
  category,
  member,
  openCount: 0,
  lastOpenedAt: null,
  guildChannelCount: 10,
  now: new Date('2026-11-23T10:00:00Z'),
};

describe('who is who', () => {
  it('counts owners, managers and admin roles as admins, and admins as staff everywhere', () => {
    expect(isAdmin({ ...member, managesGuild: true })).toBe(true);
    expect(isAdmin({ ...member, roleIds: ['boss'] }, ['boss'])).toBe(true);
    expect(isAdmin(member, ['boss'])).toBe(false);
    expect(isStaffOf({ ...member, roleIds: ['boss'] }, category, ['boss'])).toBe(true);
  });

  it('makes a member staff of a category only through its staff roles', () => {
    expect(isStaffOf({ ...member, roleIds: ['support'] }, category)).toBe(true);
    expect(isStaffOf({ ...member, roleIds: ['billing'] }, category)).toBe(false);
  });
});

describe('channel names', () => {
  it('fills the pattern and makes it a valid Discord channel name', () => {
    expect(
      channelName('ticket-{number}', { number: 7, username: 'Mia', category: 'Support' }),
    ).toBe('ticket-0007');
    expect(
      channelName('{category} {username}', {
        number: 7,
        username: 'Mia Ö!',
        category: 'Billing & Co',
      }),
    ).toBe('billing-co-mia-ö');
    expect(channelName('!!!', { number: 3, username: '', category: '' })).toBe('ticket-3');
    expect(channelName('x'.repeat(150), { number: 1, username: '', category: '' })).toHaveLength(
      100,
    );
  });
});

describe('refuseToOpen', () => {
  it('lets a member open their first ticket', () => {
    expect(refuseToOpen(base)).toBeNull();
  });

  it('refuses a blocked role, a member at the limit, and one inside the cooldown, each with its reason', () => {
    expect(refuseToOpen({ ...base, member: { ...member, roleIds: ['muted'] } })).toMatch(
      /not allowed/,
    );
    expect(refuseToOpen({ ...base, openCount: 1 })).toBe(
      'You already have an open ticket in this category.',
    );
    expect(
      refuseToOpen({ ...base, category: { ...category, openTicketLimit: 3 }, openCount: 3 }),
    ).toMatch(/limit is 3/);
    expect(refuseToOpen({ ...base, lastOpenedAt: new Date('2026-11-23T09:59:00Z') })).toBe(
      'Please wait 4 minutes before opening another ticket in this category.',
    );
    expect(refuseToOpen({ ...base, lastOpenedAt: new Date('2026-11-23T09:54:59Z') })).toBeNull();
  });

  it("refuses when the server is near Discord's channel limit", () => {
    expect(refuseToOpen({ ...base, guildChannelCount: 496 })).toMatch(/too many channels/);
  });

  it('treats a limit of 0 as no limit', () => {
    expect(
      refuseToOpen({ ...base, category: { ...category, openTicketLimit: 0 }, openCount: 9 }),
    ).toBeNull();
  });
});
