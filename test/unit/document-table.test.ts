import { describe, expect, it } from "vitest";
import { openDb } from "../../src/store/db.js";
import { AssistantsRepo } from "../../src/store/assistants-repo.js";
import type { Assistant } from "../../src/api/wire.js";

const assistant = (id: string, name: string): Assistant => ({
  id, object: "assistant", created_at: 1, name, description: null, model: "m", instructions: null, tools: [],
  tool_resources: {}, metadata: {}, temperature: 1, top_p: 1, response_format: "auto",
});
const names = (repo: AssistantsRepo) => repo.pageBodies({}, { limit: 10, order: "asc" })!.data.map((b) => (JSON.parse(b) as Assistant).name);

describe("DocumentTable page cache", () => {
  it("never serves a page older than the table: insert, update, delete and deleteWhere all show at once", () => {
    const repo = new AssistantsRepo(openDb(":memory:"));
    repo.insert(assistant("asst_a", "a"));
    expect(names(repo)).toEqual(["a"]);
    repo.insert(assistant("asst_b", "b"));
    expect(names(repo)).toEqual(["a", "b"]);
    repo.update(assistant("asst_a", "a2"));
    expect(names(repo)).toEqual(["a2", "b"]);
    repo.delete("asst_b");
    expect(names(repo)).toEqual(["a2"]);
    repo.deleteWhere({});
    expect(names(repo)).toEqual([]);
  });

  it("keys pages by their query", () => {
    const repo = new AssistantsRepo(openDb(":memory:"));
    for (const id of ["asst_a", "asst_b", "asst_c"]) repo.insert(assistant(id, id.slice(5)));
    expect(repo.pageBodies({}, { limit: 2, order: "desc" })!.has_more).toBe(true);
    expect(repo.pageBodies({}, { limit: 3, order: "desc" })!.has_more).toBe(false);
    expect(repo.pageBodies({}, { limit: 2, order: "desc", after: "asst_b" })!.data).toHaveLength(1);
  });
});

describe("DocumentTable.updateIf (compare-and-set on a column)", () => {
  it("writes only over the value it was read with; a run's status written by another writer meanwhile is kept", async () => {
    const { RunsRepo } = await import("../../src/store/runs-repo.js");
    const runs = new RunsRepo(openDb(":memory:"));
    const run = { id: "run_a", object: "thread.run", created_at: 1, thread_id: "thread_a", status: "in_progress" } as unknown as import("../../src/api/wire.js").Run;
    runs.insert(run);
    // Another writer (a cancel received by another node) moves it first.
    runs.update({ ...run, status: "cancelling" });
    expect(runs.updateIf({ ...run, status: "completed" }, "status", "in_progress")).toBe(false);
    expect(runs.get("run_a")!.status).toBe("cancelling");
    expect(runs.updateIf({ ...run, status: "cancelled" }, "status", "cancelling")).toBe(true);
    expect(runs.get("run_a")!.status).toBe("cancelled");
    expect(() => runs.updateIf(run, "body", "x")).toThrow(/not a column/);
  });
});

describe("DocumentTable queries without project isolation", () => {
  it("use the table's indexes (which all lead with project): a thread's messages, a run's steps, a store's files", async () => {
    const { MessagesRepo } = await import("../../src/store/messages-repo.js");
    const { StepsRepo } = await import("../../src/store/steps-repo.js");
    const { VectorStoreFilesRepo } = await import("../../src/store/vector-stores-repo.js");
    const db = openDb(":memory:");
    // The SQL of every statement executed (not merely prepared: repositories prepare variants they may not use).
    const issued: string[] = [];
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      const statement = prepare(sql);
      for (const method of ["all", "get", "run"] as const) {
        const call = statement[method].bind(statement) as (...args: unknown[]) => unknown;
        (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
          issued.push(sql);
          return call(...args);
        };
      }
      return statement;
    }) as typeof db.prepare;
    const reads: [string, () => unknown][] = [
      ["messages", () => new MessagesRepo(db).all({ thread_id: "thread_a" })],
      ["run_steps", () => new StepsRepo(db).all({ run_id: "run_a" })],
      ["vector_store_files", () => new VectorStoreFilesRepo(db).all({ vector_store_id: "vs_a" })],
      ["vector_store_files", () => new VectorStoreFilesRepo(db).counts("vs_a")],
    ];
    for (const [table, read] of reads) {
      issued.length = 0;
      read();
      const selects = issued.filter((sql) => sql.startsWith("SELECT") && sql.includes(`FROM ${table} `));
      expect(selects.length, table).toBeGreaterThan(0);
      for (const sql of selects) {
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => "x")) as { detail: string }[]).map((r) => r.detail);
        expect(plan.join("; "), sql).not.toMatch(new RegExp(`SCAN ${table}\\b`));
      }
    }
  });
});

describe("DocumentTable body cache (SQLite)", () => {
  it("never serves a body older than the table: after update, delete, deleteWhere, and a rolled-back write", async () => {
    const db = openDb(":memory:");
    const repo = new AssistantsRepo(db);
    repo.insert(assistant("asst_a", "a"));
    const name = () => (repo.get("asst_a") as Assistant | null)?.name ?? null;
    expect(name()).toBe("a");
    expect(name()).toBe("a"); // cached now
    repo.update(assistant("asst_a", "a2"));
    expect(name()).toBe("a2");
    expect(JSON.parse(repo.getBody("asst_a")!).name).toBe("a2");
    // A write and a read inside a transaction that rolls back: the read must not outlive it.
    expect(() =>
      db.transaction(() => {
        repo.update(assistant("asst_a", "rolled back"));
        expect(name()).toBe("rolled back");
        throw new Error("roll back");
      })(),
    ).toThrow("roll back");
    expect(name()).toBe("a2");
    repo.delete("asst_a");
    expect(name()).toBeNull();
    repo.insert(assistant("asst_a", "again"));
    expect(name()).toBe("again");
    repo.deleteWhere({});
    expect(name()).toBeNull();
  });

  it("keeps a body for the project it was read in: another project reading the id gets nothing", async () => {
    const { isolateProjects, inProject } = await import("../../src/store/project-scope.js");
    isolateProjects(); // once on, on for this test file's process (a process serves one configuration)
    const repo = new AssistantsRepo(openDb(":memory:"));
    inProject("p1", () => repo.insert(assistant("asst_p", "p1's")));
    expect(inProject("p1", () => repo.get("asst_p")?.name)).toBe("p1's");
    expect(inProject("p2", () => repo.get("asst_p"))).toBeNull();
    expect(inProject("p2", () => repo.getBody("asst_p"))).toBeNull();
  });

  /** Changes the stored row behind the table's back: a read that still shows the old name was served from the cache. */
  const overwrite = (db: ReturnType<typeof openDb>, id: string, name: string) =>
    db.prepare("UPDATE assistants SET body = json_set(body, '$.name', ?) WHERE id = ?").run(name, id);

  it("keeps what a committed transaction wrote, so the next read needs no SQLite read", async () => {
    const { atomically } = await import("../../src/store/db.js");
    const db = openDb(":memory:");
    const repo = new AssistantsRepo(db);
    atomically(db, () => repo.insert(assistant("asst_a", "a")));
    overwrite(db, "asst_a", "behind the cache");
    expect(repo.get("asst_a")!.name).toBe("a");
    atomically(db, () => repo.update(assistant("asst_a", "a2")));
    overwrite(db, "asst_a", "behind the cache");
    expect(repo.get("asst_a")!.name).toBe("a2");
    // Outside a transaction a write is committed at once: kept at once.
    repo.update(assistant("asst_a", "a3"));
    overwrite(db, "asst_a", "behind the cache");
    expect(repo.get("asst_a")!.name).toBe("a3");
  });

  it("keeps nothing of a write rolled back: a transaction, a savepoint inside a committed one, or one begun without atomically", async () => {
    const { atomically } = await import("../../src/store/db.js");
    const db = openDb(":memory:");
    const repo = new AssistantsRepo(db);
    repo.insert(assistant("asst_a", "a"));
    expect(() => atomically(db, () => { repo.update(assistant("asst_a", "rolled back")); throw new Error("roll back"); })).toThrow("roll back");
    expect(repo.get("asst_a")!.name).toBe("a");
    atomically(db, () => {
      repo.insert(assistant("asst_b", "b"));
      try {
        atomically(db, () => { repo.insert(assistant("asst_c", "c")); throw new Error("savepoint"); });
      } catch {} // the outer transaction goes on and commits
    });
    expect(repo.get("asst_c")).toBeNull();
    expect(repo.get("asst_b")!.name).toBe("b");
    // better-sqlite3's own transaction: its rollback is reported to nobody, so its write must not wait to be kept.
    expect(() => db.transaction(() => { repo.update(assistant("asst_a", "direct")); throw new Error("roll back"); })()).toThrow("roll back");
    atomically(db, () => repo.insert(assistant("asst_d", "d"))); // a later commit must not bring it back
    expect(repo.get("asst_a")!.name).toBe("a");
    // Nor `atomically` inside such a transaction: its commit is a savepoint's, the outer one rolls back.
    expect(() => db.transaction(() => { atomically(db, () => repo.update(assistant("asst_a", "inner"))); throw new Error("roll back"); })()).toThrow("roll back");
    atomically(db, () => repo.insert(assistant("asst_g", "g")));
    expect(repo.get("asst_a")!.name).toBe("a");
    // Written and deleted in one transaction: gone.
    atomically(db, () => { repo.insert(assistant("asst_e", "e")); repo.delete("asst_e"); });
    expect(repo.get("asst_e")).toBeNull();
    atomically(db, () => { repo.insert(assistant("asst_f", "f")); repo.deleteWhere({}); });
    expect(repo.get("asst_f")).toBeNull();
  });

  it("keeps a written body for its row's project: another project gets nothing, a read outside any scope sees it", async () => {
    const { isolateProjects, inProject, allProjects } = await import("../../src/store/project-scope.js");
    const { atomically } = await import("../../src/store/db.js");
    isolateProjects();
    const db = openDb(":memory:");
    const repo = new AssistantsRepo(db);
    inProject("p1", () => atomically(db, () => repo.insert(assistant("asst_w", "p1's"))));
    overwrite(db, "asst_w", "behind the cache");
    expect(inProject("p2", () => repo.get("asst_w"))).toBeNull();
    expect(allProjects(() => repo.get("asst_w")?.name)).toBe("p1's");
    expect(inProject("p1", () => repo.get("asst_w")?.name)).toBe("p1's");
    // An update outside any scope keeps the project the cache knew the row by.
    allProjects(() => atomically(db, () => repo.update(assistant("asst_w", "updated"))));
    expect(inProject("p2", () => repo.get("asst_w"))).toBeNull();
    overwrite(db, "asst_w", "behind the cache");
    expect(inProject("p1", () => repo.get("asst_w")?.name)).toBe("updated");
  });
});
