import type Database from 'better-sqlite3';

/** SQL built from options (IN lists, optional filters) has a few forms; this only bounds a surprise. */
const MAX_PER_DB = 256;

const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * A prepared statement, compiled once per database and SQL text: compiling is most of the cost
 * of a point query, and intake runs several per task file (10,000 files at start-up).
 */
export function statement(db: Database.Database, sql: string): Database.Statement {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let st = cache.get(sql);
  if (!st) {
    st = db.prepare(sql);
    if (cache.size >= MAX_PER_DB) cache.clear();
    cache.set(sql, st);
  }
  return st;
}
