import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ID_LENGTH = 24;

export type IdPrefix = "asst_" | "thread_" | "msg_" | "run_" | "step_" | "call_" | "file-" | "vs_" | "vsfb_" | "key_" | "resp_" | "fc_" | "fco_" | "fs_" | "ci_" | "cntr_" | "rs_" | "cmp_" | "conv_" | "chatcmpl-";

/** prefix + 24 random base62 characters, like the hosted API's ids. */
export function newId(prefix: IdPrefix): string {
  // 256 % 62 != 0, so reject bytes ≥ 248 to keep the distribution uniform.
  let out = prefix;
  while (out.length < prefix.length + ID_LENGTH) {
    for (const byte of randomBytes(32)) {
      if (byte < 248 && out.length < prefix.length + ID_LENGTH) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

/** True when `value` is an id this server could have minted with `prefix`. Guards every id used in a filter. */
export function isOurId(value: string, prefix: IdPrefix): boolean {
  return value.length === prefix.length + ID_LENGTH && value.startsWith(prefix) && /^[0-9A-Za-z]+$/.test(value.slice(prefix.length));
}
