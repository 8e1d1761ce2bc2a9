import { randomFillSync } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ID_LENGTH = 24;

export type IdPrefix = "asst_" | "thread_" | "msg_" | "run_" | "step_" | "call_" | "file-" | "vs_" | "vsfb_" | "key_" | "resp_" | "fc_" | "fco_" | "fs_" | "ci_" | "cntr_" | "rs_" | "cmp_" | "conv_" | "chatcmpl-";

/** Random bytes drawn 4 KiB at a time (one call to the CSPRNG per ~150 ids, not one per id), used once each. */
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomByte(): number {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  return pool[used++]!;
}

/** prefix + 24 random base62 characters, like the hosted API's ids. */
export function newId(prefix: IdPrefix): string {
  // 256 % 62 != 0, so reject bytes ≥ 248 to keep the distribution uniform.
  let out = prefix;
  while (out.length < prefix.length + ID_LENGTH) {
    const byte = randomByte();
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out;
}

/** True when `value` is an id this server could have minted with `prefix`. Guards every id used in a filter. */
export function isOurId(value: string, prefix: IdPrefix): boolean {
  return value.length === prefix.length + ID_LENGTH && value.startsWith(prefix) && /^[0-9A-Za-z]+$/.test(value.slice(prefix.length));
}
