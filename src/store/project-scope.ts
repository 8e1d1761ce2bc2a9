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
 *
 * Isolation is switched on (`isolateProjects`) only where there can be more than one project: API_KEYS_FILE is
 * set, or the database already holds another project's rows (composition/services.ts decides at boot). Until
 * then every row is the default project's, so seeing all of them is seeing the default project's, and nothing
 * enters an AsyncLocalStorage: on Node 20 using one turns on async hooks for every promise in the process, which
 * cost about a quarter of the throughput of a cached GET (bench/api-throughput.ts measures both modes). Once
 * on, it stays on for the process (a process serves one configuration).
 */
export const DEFAULT_PROJECT = "default";

const scope = new AsyncLocalStorage<string>();
let isolating = false;

/** From now on, requests and work see their own project's rows only. */
export function isolateProjects(): void {
  isolating = true;
}

/**
 * The current project, or undefined: all projects. Until isolateProjects every row is the default project's,
 * and naming it keeps queries on their indexes: they all lead with `project`, so "all projects" on a table
 * of 20,000 messages was a scan of the table (977 µs for one thread's messages, against 13 µs by the index).
 */
export function currentProject(): string | undefined {
  return isolating ? scope.getStore() : DEFAULT_PROJECT;
}

/** Whether isolateProjects was called: until then every row is the default project's. */
export function projectsIsolated(): boolean {
  return isolating;
}

/** Runs `fn` (and every async continuation it starts) in `project`. */
export function inProject<T>(project: string, fn: () => T): T {
  return isolating ? scope.run(project, fn) : fn();
}

/** Runs `fn` (and its continuations) outside any project: the store sees all of them. */
export function allProjects<T>(fn: () => T): T {
  return isolating && scope.getStore() !== undefined ? scope.exit(fn) : fn();
}
