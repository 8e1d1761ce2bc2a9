/**
 * What the sandbox adds on top of QuickJS itself: p50/p95 of `sandbox.run` for a small computation, beside a
 * bare QuickJS eval of the same code (fresh runtime + context, in this process) measured in the same run.
 *
 *   npx tsx bench/sandbox.bench.ts
 */
import { getQuickJS } from "quickjs-emscripten";
import { createQuickJsSandbox } from "../src/sandbox/index.js";
import { benchLine } from "./bench-report.js";

const CODE = `let s = 0; for (let i = 0; i < 1000; i++) s += i * i; s`;
const EXPECTED = "332833500";
const WARMUP = 50;
const ROUNDS = 500;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(name: string, once: (i: number) => Promise<void> | void): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < WARMUP; i++) await once(i);
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await once(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const stats = { p50: percentile(times, 50), p95: percentile(times, 95) };
  console.log(`${name.padEnd(44)} p50 ${stats.p50.toFixed(3)} ms   p95 ${stats.p95.toFixed(3)} ms`);
  return stats;
}

async function main(): Promise<void> {
  const quickjs = await getQuickJS();
  const bare = await measure("bare QuickJS eval (fresh context)", () => {
    const vm = quickjs.newContext();
    const value = vm.unwrapResult(vm.evalCode(CODE));
    if (String(vm.dump(value)) !== EXPECTED) throw new Error("bare eval gave a wrong result");
    value.dispose();
    vm.dispose();
  });

  // Not the baseline, but shows what the worker round trip alone costs next to a warm session.
  const kept = quickjs.newContext();
  await measure("bare QuickJS eval (one reused context)", () => {
    kept.unwrapResult(kept.evalCode(`{ ${CODE} }`)).dispose();
  });
  kept.dispose();

  const sandbox = createQuickJsSandbox({ maxSessions: 64 });
  const check = async (sessionKey: string): Promise<void> => {
    const r = await sandbox.run(CODE, { sessionKey, files: [] });
    if (r.result !== EXPECTED) throw new Error(`sandbox gave ${JSON.stringify(r)}`);
  };
  const warm = await measure("sandbox.run, same session", () => check("bench"));
  const fresh = await measure("sandbox.run, new session each call", (i) => check(`fresh-${i}`));
  await sandbox.close();

  for (const [name, s] of [["same session", warm], ["new session", fresh]] as const) {
    const ratio = (s.p50 / bare.p50).toFixed(1);
    const added = s.p50 - bare.p50;
    console.log(`${name}: ${ratio}x bare at p50, ${added >= 0 ? "+" : ""}${added.toFixed(3)} ms per call`);
  }
  benchLine({ name: "sandbox_run_same_session_p50", value: Number(warm.p50.toFixed(3)), unit: "ms", baseline: Number(bare.p50.toFixed(3)), baseline_name: "bare QuickJS eval, fresh context", goal: null });
  benchLine({ name: "sandbox_run_new_session_p50", value: Number(fresh.p50.toFixed(3)), unit: "ms", baseline: Number(bare.p50.toFixed(3)), baseline_name: "bare QuickJS eval, fresh context", goal: null });
}

await main();
