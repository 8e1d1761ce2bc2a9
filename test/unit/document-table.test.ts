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
});
