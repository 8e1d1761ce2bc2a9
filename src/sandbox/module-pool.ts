/**
 * QuickJS WebAssembly modules with a hard memory cap, one per session.
 *
 * `runtime.setMemoryLimit` does not bound total memory under emscripten (quickjs-emscripten issues #255, #271);
 * a module instantiated over a WebAssembly.Memory with a `maximum` does. WASM memory never shrinks, so a module
 * is reused only after a clean dispose and only for the same cap; after a memory-limit error it is dropped.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  RELEASE_SYNC,
  type QuickJSWASMModule,
} from "quickjs-emscripten";

const PAGE_BYTES = 64 * 1024;
// quickjs-emscripten needs at least 256 initial pages (16 MiB) to start.
const MIN_PAGES = 256;

/** A module plus the memory it runs in, so callers can see how full it is. */
export interface CappedModule {
  readonly module: QuickJSWASMModule;
  readonly memory: WebAssembly.Memory;
  readonly maxBytes: number;
}

/** Pages for a memory cap: never below the minimum the module needs to boot. */
export function capPages(memoryBytes: number): number {
  return Math.max(MIN_PAGES, Math.ceil(memoryBytes / PAGE_BYTES));
}

/** The release-sync variant's WASM, compiled: instantiating a compiled module takes ~2 ms instead of ~5. */
async function compileVariant(): Promise<WebAssembly.Module> {
  // Resolved from quickjs-emscripten's own location: the variant package is its dependency, not ours.
  const fromQuickJs = createRequire(createRequire(import.meta.url).resolve("quickjs-emscripten/package.json"));
  return WebAssembly.compile(await readFile(fromQuickJs.resolve("@jitl/quickjs-wasmfile-release-sync/wasm")));
}

/** Keeps a few idle modules per cap so a new session skips instantiation (~2 ms). */
export class ModulePool {
  private readonly idle = new Map<number, CappedModule[]>();
  private compiled: Promise<WebAssembly.Module> | null = null;

  constructor(private readonly maxIdle: number) {}

  async acquire(memoryBytes: number): Promise<CappedModule> {
    const pages = capPages(memoryBytes);
    return this.idle.get(pages)?.pop() ?? this.instantiate(pages);
  }

  private async instantiate(pages: number): Promise<CappedModule> {
    this.compiled ??= compileVariant();
    const memory = new WebAssembly.Memory({ initial: MIN_PAGES, maximum: pages });
    // The sync variant: the asyncify build of 0.32.0 mishandles freeing host refs.
    const variant = newVariant(RELEASE_SYNC, { wasmMemory: memory, wasmModule: await this.compiled });
    const module = await newQuickJSWASMModuleFromVariant(variant);
    return { module, memory, maxBytes: pages * PAGE_BYTES };
  }

  /** Returns a module whose runtimes were all disposed cleanly. */
  release(entry: CappedModule): void {
    const pages = entry.maxBytes / PAGE_BYTES;
    const list = this.idle.get(pages) ?? [];
    if (list.length >= this.maxIdle) return;
    list.push(entry);
    this.idle.set(pages, list);
  }

  /** Prepares one module for the default cap in the background, so the first session starts fast. */
  async prewarm(memoryBytes: number): Promise<void> {
    const pages = capPages(memoryBytes);
    if ((this.idle.get(pages)?.length ?? 0) > 0) return;
    this.release(await this.instantiate(pages));
  }
}
