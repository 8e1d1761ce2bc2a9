/**
 * Whether bytes may be a ZIP-based document or an OLE compound file, told without loading the readers (the
 * container module and its XML parser load only for such files): by the first bytes, or by an extension that
 * names a ZIP-based format.
 */
export type OfficeFormat = "docx" | "xlsx" | "pptx" | "ods" | "epub";

export const BY_EXTENSION: Record<string, OfficeFormat> = {
  docx: "docx", docm: "docx", dotx: "docx", dotm: "docx",
  xlsx: "xlsx", xlsm: "xlsx", xltx: "xlsx", xltm: "xlsx",
  pptx: "pptx", pptm: "pptx", ppsx: "pptx", ppsm: "pptx", potx: "pptx", potm: "pptx",
  ods: "ods", ots: "ods",
  epub: "epub",
};

const CFB_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** Whether `bytes` start like a ZIP (a local header, or the end record of an empty archive). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/** An OLE compound file: a legacy or password-protected Office file. */
export function isCompoundFile(bytes: Uint8Array): boolean {
  return CFB_MAGIC.every((b, i) => bytes[i] === b);
}

/** True when openContainer (container.ts) has something to say about these bytes. */
export function mayBeContainer(bytes: Uint8Array, ext: string): boolean {
  return looksLikeZip(bytes) || isCompoundFile(bytes) || Object.hasOwn(BY_EXTENSION, ext);
}
