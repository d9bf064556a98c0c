import { sql } from 'drizzle-orm';
import { type Executor, execute } from '../client.ts';

async function rows<T>(db: Executor, query: ReturnType<typeof sql>): Promise<T[]> {
  return (await execute<T>(db, query)).rows;
}

/**
 * A guild's numbers over the last `days`, limited to the categories the
 * viewer sees (undefined: all): opened and closed per day, tickets handled
 * per staff member (assignee, or who closed it), median first response and
 * resolution, feedback ratings.
 */
export async function guildStats(
  db: Executor,
  guildId: string,
  days: number,
  categoryIds?: string[],
) {
  const since = sql`now() - make_interval(days => ${days})`;
  const scope =
    categoryIds === undefined
      ? sql`true`
      : categoryIds.length === 0
        ? sql`false`
        : sql`t.category_id in (${sql.join(
            categoryIds.map((id) => sql`${id}::uuid`),
            sql`, `,
          )})`;
  const perDay = await rows<{ day: string; opened: number; closed: number }>(
    db,
    sql`with d as (select generate_series(date_trunc('day', ${since}), date_trunc('day', now()), interval '1 day') as day)
      select to_char(d.day, 'YYYY-MM-DD') as day,
        (select count(*)::int from tickets t where t.guild_id = ${guildId} and ${scope} and date_trunc('day', t.created_at) = d.day) as opened,
        (select count(*)::int from tickets t where t.guild_id = ${guildId} and ${scope} and t.closed_at is not null and date_trunc('day', t.closed_at) = d.day) as closed
      from d order by d.day`,
  );
  const perStaff = await rows<{ userId: string; handled: number }>(
    db,
    sql`select coalesce(t.assignee_id, t.closed_by)::text as "userId", count(*)::int as handled
      from tickets t
      where t.guild_id = ${guildId} and ${scope} and t.created_at >= ${since}
        and coalesce(t.assignee_id, t.closed_by) is not null and coalesce(t.assignee_id, t.closed_by) <> t.opener_id
      group by 1 order by 2 desc limit 50`,
  );
  const [medians] = await rows<{ firstResponse: number | null; resolution: number | null }>(
    db,
    sql`select
        percentile_cont(0.5) within group (order by extract(epoch from t.first_response_at - t.created_at)) filter (where t.first_response_at is not null) as "firstResponse",
        percentile_cont(0.5) within group (order by extract(epoch from t.closed_at - t.created_at)) filter (where t.closed_at is not null) as "resolution"
      from tickets t where t.guild_id = ${guildId} and ${scope} and t.created_at >= ${since}`,
  );
  const ratings = await rows<{ rating: number; n: number }>(
    db,
    sql`select f.rating::int as rating, count(*)::int as n from feedback f join tickets t on t.id = f.ticket_id
      where f.guild_id = ${guildId} and ${scope} and f.created_at >= ${since} group by 1`,
  );
  const distribution = [1, 2, 3, 4, 5].map((r) =>
    Number(ratings.find((x) => Number(x.rating) === r)?.n ?? 0),
  );
  const count = distribution.reduce((a, b) => a + b, 0);
  const sum = distribution.reduce((a, n, i) => a + n * (i + 1), 0);
  return {
    perDay: perDay.map((d) => ({ day: d.day, opened: Number(d.opened), closed: Number(d.closed) })),
    perStaff: perStaff.map((s) => ({ userId: s.userId, handled: Number(s.handled) })),
    medianFirstResponseSeconds:
      medians?.firstResponse == null ? null : Math.round(Number(medians.firstResponse)),
    medianResolutionSeconds:
      medians?.resolution == null ? null : Math.round(Number(medians.resolution)),
    feedback: {
      count,
      average: count ? Math.round((sum / count) * 100) / 100 : null,
      distribution,
    },
  };
}
