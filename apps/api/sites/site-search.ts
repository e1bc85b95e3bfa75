import { type Database } from '../../../libs/db/orm';
import { type Sql } from './sql';

/**
 * Sites a search text finds: those whose name, requested host name label, owner, server host name
 * (any of its network configurations, held ones too, so a deleted site is found by its old name),
 * or a user or group holding a role on it contains the text, ignoring case (ASCII letters only on
 * SQLite). The text is matched literally: `%`, `_` and `\` are escaped, and both databases are
 * told the escape character, so no input widens the match.
 *
 * One condition of the list's own statement (subqueries, not extra statements), on the sites
 * table under `alias`.
 */
export function siteSearchSql(text: string, driver: Database['driver'], alias: string): Sql {
  const pattern = `%${escapeLike(text)}%`;
  // PostgreSQL's LIKE heeds case; SQLite's ignores it for ASCII letters and has no ILIKE.
  const like = driver === 'postgresql' ? 'ilike' : 'like';
  const matches = (column: string) => `${column} ${like} ? escape '\\'`;
  return {
    sql:
      `(${matches(`${alias}.name`)}` +
      ` or ${matches(`${alias}.owner`)}` +
      ` or ${matches(`${alias}.hostname_label`)}` +
      ` or ${alias}.id in (select n.site_id from network_config n where ${matches('n.hostname')})` +
      ` or ${alias}.id in (select r.site_id from site_role r where ${matches('r.subject')}))`,
    params: [pattern, pattern, pattern, pattern, pattern],
  };
}

/** A text as a LIKE pattern that matches it literally, with `\` as the escape character. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
