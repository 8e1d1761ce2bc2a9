/**
 * Isolation in the store layer: DocumentTable (and the repositories' own queries) show the current project's rows
 * only, stamp it on inserts, and see every project outside a scope. Services above get it without asking.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { Assistant, Run, VectorStoreFile } from "../../src/api/wire.js";
import { openDb } from "../../src/store/db.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { allProjects, currentProject, DEFAULT_PROJECT, inProject, isolateProjects } from "../../src/store/project-scope.js";
import { createRepos } from "../../src/store/repos.js";

const assistant = (id: string, name = id): Assistant => ({
  id, object: "assistant", created_at: 1, name, description: null, model: "m", instructions: null, tools: [],
  tool_resources: {}, metadata: {}, temperature: 1, top_p: 1, response_format: "auto",
});
const run = (id: string, threadId: string): Run => ({ id, object: "thread.run", created_at: 1, thread_id: threadId, status: "queued" }) as unknown as Run;
const member = (storeId: string, fileId: string, status: string, usage_bytes: number): VectorStoreFile & { batch_id: string | null } =>
  ({ id: fileId, object: "vector_store.file", created_at: 1, vector_store_id: storeId, status, usage_bytes, last_error: null, chunking_strategy: { type: "auto" }, attributes: {}, batch_id: "vsfb_1" }) as never;
const q = { limit: 10, order: "asc" as const };

// The process-wide switch composition/services.ts turns on where more than one project can exist.
isolateProjects();

describe("project scope in the store", () => {
  it("get, getBody, page, pageBodies, all, update, delete and deleteWhere see the current project's rows only", () => {
    const { assistants } = createRepos(openDb(":memory:"));
    inProject("a", () => assistants.insert(assistant("asst_a1")));
    inProject("a", () => assistants.insert(assistant("asst_a2")));
    inProject("b", () => assistants.insert(assistant("asst_b1")));

    inProject("b", () => {
      expect(assistants.get("asst_a1")).toBeNull();
      expect(assistants.getBody("asst_a1")).toBeNull();
      expect(assistants.page({}, q)!.data.map((x) => x.id)).toEqual(["asst_b1"]);
      expect(assistants.pageBodies({}, q)!.data).toHaveLength(1);
      expect(assistants.all().map((x) => x.id)).toEqual(["asst_b1"]);
      // A cursor naming another project's object is no cursor of this list.
      expect(assistants.page({}, { ...q, after: "asst_a1" })).toBeNull();
      expect(assistants.pageBodies({}, { ...q, before: "asst_a2" })).toBeNull();
      assistants.update(assistant("asst_a1", "changed by b"));
      expect(assistants.delete("asst_a2")).toBe(false);
      expect(assistants.deleteWhere({})).toBe(1); // b's own
    });
    inProject("a", () => {
      expect(assistants.get("asst_a1")!.name).toBe("asst_a1");
      expect(assistants.page({}, q)!.data.map((x) => x.id)).toEqual(["asst_a1", "asst_a2"]);
      expect(assistants.page({}, { ...q, after: "asst_a1" })!.data.map((x) => x.id)).toEqual(["asst_a2"]);
    });
    // Outside any scope: every project (boot recovery, tests reading the tables).
    expect(assistants.all().map((x) => x.id)).toEqual(["asst_a1", "asst_a2"]);
    expect(assistants.projectOf("asst_a2")).toBe("a");
    expect(assistants.projectOf("asst_b1")).toBeNull();
  });

  it("the page cache is kept per project: one project's cached page is never another's answer", () => {
    const { assistants } = createRepos(openDb(":memory:"));
    inProject("a", () => assistants.insert(assistant("asst_a1")));
    expect(inProject("a", () => assistants.pageBodies({}, q))!.data).toHaveLength(1);
    expect(inProject("b", () => assistants.pageBodies({}, q))!.data).toHaveLength(0);
    expect(assistants.pageBodies({}, q)!.data).toHaveLength(1);
  });

  it("an insert outside any scope goes to the default project", () => {
    const { assistants } = createRepos(openDb(":memory:"));
    assistants.insert(assistant("asst_x"));
    expect(assistants.projectOf("asst_x")).toBe(DEFAULT_PROJECT);
    expect(inProject(DEFAULT_PROJECT, () => assistants.get("asst_x"))).not.toBeNull();
    expect(inProject("other", () => assistants.get("asst_x"))).toBeNull();
  });

  it("the repositories' own queries are scoped too: active run, store counts and usage, batch counts", () => {
    const { runs, storeFiles } = createRepos(openDb(":memory:"));
    inProject("a", () => {
      runs.insert(run("run_a", "thread_a"));
      storeFiles.insert(member("vs_a", "file-1", "completed", 100));
      storeFiles.insert(member("vs_a", "file-2", "in_progress", 0));
    });
    inProject("b", () => {
      expect(runs.activeForThread("thread_a")).toBeNull();
      expect(runs.unfinished()).toEqual([]);
      expect(runs.getInThread("thread_a", "run_a")).toBeNull();
      expect(storeFiles.counts("vs_a")).toMatchObject({ total: 0, completed: 0 });
      expect(storeFiles.counts("vs_a", "vsfb_1")).toMatchObject({ total: 0 });
      expect(storeFiles.usageBytes("vs_a")).toBe(0);
      expect(storeFiles.find("vs_a", "file-1")).toBeNull();
      expect(storeFiles.pageInStore("vs_a", {}, q)!.data).toEqual([]);
    });
    inProject("a", () => {
      expect(runs.activeForThread("thread_a")!.id).toBe("run_a");
      expect(storeFiles.counts("vs_a")).toMatchObject({ total: 2, completed: 1, in_progress: 1 });
      expect(storeFiles.usageBytes("vs_a")).toBe(100);
    });
    expect(runs.unfinished().map((r) => r.id)).toEqual(["run_a"]);
  });

  it("async continuations keep their scope; allProjects leaves it", async () => {
    const seen: (string | undefined)[] = [];
    await Promise.all([
      inProject("a", async () => {
        await new Promise((r) => setTimeout(r, 5));
        seen.push(currentProject());
        await allProjects(async () => {
          await Promise.resolve();
          seen.push(currentProject());
        });
        seen.push(currentProject());
      }),
      inProject("b", async () => {
        await new Promise((r) => setTimeout(r, 1));
        seen.push(currentProject());
      }),
    ]);
    expect(seen).toEqual(["b", "a", undefined, "a"]);
  });

  it("rows from before projects belong to the default project after the migration", () => {
    const dir = mkdtempSync(join(tmpdir(), "migrate-projects-"));
    try {
      const old = new Database(join(dir, "db.sqlite"));
      for (const migration of MIGRATIONS.slice(0, 4)) old.exec(migration);
      old.pragma("user_version = 4");
      old.prepare("INSERT INTO assistants (id, created_at, body) VALUES ('asst_old', 1, ?)").run(JSON.stringify(assistant("asst_old")));
      old.close();
      const { assistants } = createRepos(openDb(dir));
      expect(assistants.projectOf("asst_old")).toBe(DEFAULT_PROJECT);
      expect(inProject(DEFAULT_PROJECT, () => assistants.get("asst_old"))!.id).toBe("asst_old");
      expect(inProject("other", () => assistants.get("asst_old"))).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
