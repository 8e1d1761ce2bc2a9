import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The project whose objects the store shows: every object table filters its reads, updates and deletes by it
 * and stamps it on inserts (document-table.ts), so isolation between API keys holds for every table, the ones
 * to come included, without each service remembering it.
 *
 * The auth middleware enters the request's project (`inProject`) around everything the request does; async
 * continuations keep it (AsyncLocalStorage). Work that outlives a request or serves several does not rely on
 * that: the run engine enters each run's own project when it executes it, the ingestor each job's, and boot
 * recovery, the expiry sweep and the ingestion loop between jobs run `allProjects` (they address rows by id).
 *
 * Outside any scope (boot, tests reading the tables, benches seeding them) the store sees every project and
 * inserts into DEFAULT_PROJECT, the project of `API_KEY` and of a server without keys.
 */
export const DEFAULT_PROJECT = "default";

const scope = new AsyncLocalStorage<string>();

/** The current project, or undefined: all projects. */
export function currentProject(): string | undefined {
  return scope.getStore();
}

/** Runs `fn` (and every async continuation it starts) in `project`. */
export function inProject<T>(project: string, fn: () => T): T {
  return scope.run(project, fn);
}

/** Runs `fn` (and its continuations) outside any project: the store sees all of them. */
export function allProjects<T>(fn: () => T): T {
  return scope.getStore() === undefined ? fn() : scope.exit(fn);
}
