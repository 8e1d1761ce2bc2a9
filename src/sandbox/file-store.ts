/**
 * The files one session can see: inputs given by the caller plus files the code wrote. Lives in the worker,
 * outside the WASM heap, so written bytes are bounded here separately from the memory cap.
 */
import type { InputFile } from "./protocol.js";
import type { SandboxFile, SkippedFile } from "./types.js";

const MAX_NAME_LENGTH = 200;
// Empty files cost no bytes, so the byte budget alone would not stop a loop creating millions of them.
const MAX_FILES = 1000;
// No separators or control characters: names may later become blob names or download file names.
const BAD_NAME = /[\\/\u0000-\u001f\u007f]/;

export function checkFileName(name: string): void {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || name === "." || name === ".." || BAD_NAME.test(name)) {
    throw new Error(`invalid file name ${JSON.stringify(name.slice(0, 50))}: use 1-${MAX_NAME_LENGTH} characters without "/", "\\" or control characters`);
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

export class FileStore {
  private readonly files = new Map<string, Uint8Array>();
  /** Sizes of the files that code wrote (inputs are the caller's business and not counted). */
  private readonly writtenSizes = new Map<string, number>();
  private writtenTotal = 0;
  /** Content of each file written in the current call, as it was before the call. */
  private before = new Map<string, Uint8Array | undefined>();
  /** Content key of each input as it was given (dropped when code overwrites the file). */
  private readonly inputKeys = new Map<string, string>();
  /** Inputs of the current call that were not loaded, and why. */
  private skipped = new Map<string, string>();

  constructor(private readonly maxWrittenBytes: number) {}

  /** Whether every input sent without bytes is held here with the same key. */
  holds(inputs: readonly InputFile[]): boolean {
    return inputs.every((f) => f.bytes !== undefined || (f.key !== undefined && this.inputKeys.get(f.name) === f.key && this.files.has(f.name)));
  }

  /**
   * Starts a call: inputs replace same-named files (those sent without bytes are already here, see `holds`),
   * skipped inputs are not readable, and change tracking restarts.
   */
  beginCall(inputs: readonly InputFile[], skipped: readonly SkippedFile[] = []): void {
    this.before = new Map();
    this.skipped = new Map();
    for (const file of inputs) {
      if (file.bytes === undefined) continue;
      this.files.set(file.name, file.bytes);
      this.forgetWritten(file.name);
      if (file.key !== undefined) this.inputKeys.set(file.name, file.key);
      else this.inputKeys.delete(file.name);
    }
    for (const { name, reason } of skipped) {
      // An earlier input of that name must not be read in its place; a file the code wrote stays.
      if (!this.writtenSizes.has(name)) {
        this.files.delete(name);
        this.inputKeys.delete(name);
      }
      this.skipped.set(name, reason);
    }
  }

  names(): string[] {
    return [...this.files.keys()].sort();
  }

  read(name: string): Uint8Array {
    const bytes = this.files.get(name);
    if (bytes) return bytes;
    const skipped = this.skipped.get(name);
    if (skipped !== undefined) throw new Error(`file ${JSON.stringify(name)} was not loaded into the sandbox: ${skipped}`);
    const names = this.names();
    const known = names.length ? `available files: ${names.map((n) => JSON.stringify(n)).join(", ")}` : "no files are available";
    throw new Error(`file not found: ${JSON.stringify(name)} (${known})`);
  }

  write(name: string, bytes: Uint8Array): void {
    checkFileName(name);
    if (!this.files.has(name) && this.files.size >= MAX_FILES) {
      throw new Error(`too many files: a session can hold at most ${MAX_FILES}`);
    }
    const total = this.writtenTotal - (this.writtenSizes.get(name) ?? 0) + bytes.byteLength;
    if (total > this.maxWrittenBytes) {
      throw new Error(`file write limit exceeded: written files may total at most ${this.maxWrittenBytes} bytes (this write would make ${total})`);
    }
    if (!this.before.has(name)) this.before.set(name, this.files.get(name));
    this.files.set(name, bytes);
    this.inputKeys.delete(name);
    this.writtenSizes.set(name, bytes.byteLength);
    this.writtenTotal = total;
  }

  /** Files written during the current call whose content differs from what was there before. */
  changed(): SandboxFile[] {
    const out: SandboxFile[] = [];
    for (const [name, previous] of this.before) {
      const bytes = this.files.get(name);
      if (bytes && !sameBytes(previous, bytes)) out.push({ name, bytes });
    }
    return out;
  }

  private forgetWritten(name: string): void {
    this.writtenTotal -= this.writtenSizes.get(name) ?? 0;
    this.writtenSizes.delete(name);
  }
}
