/** A piece of SQL with `?` placeholders and the values that fill them, in order. */
export interface Sql {
  sql: string;
  params: unknown[];
}
