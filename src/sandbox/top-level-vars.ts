/**
 * Rewrites top-level `const`/`let` to `var` (and `class X {}` to `var X = class X {};`) before a call runs.
 *
 * Why: in a session, each call is a new script over the same global scope. Top-level lexical declarations
 * would stay behind, so re-running corrected code ("const rows = ...") fails with "redeclaration of 'rows'",
 * and a declaration whose initializer threw stays uninitialized forever. Models re-run code all the time.
 * `var` bindings can be declared again. Only statement-level declarations at nesting depth 0 are touched; the
 * scanner skips strings, templates, comments and regex literals, and the caller falls back to the original
 * code if the rewrite does not compile. Lengths are preserved where possible so error columns stay right.
 */

// After one of these words, "/" starts a regex literal rather than a division.
const REGEX_AFTER_WORDS = new Set(["return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else", "yield", "await"]);
const WORD_CHAR = /[\w$\u0080-\uffff]/;

interface Edit {
  at: number;
  remove: number;
  insert: string;
}

type TokenKind = "start" | "word" | "punct";

class TopLevelScanner {
  private i = 0;
  private depth = 0;
  /** Brace depths at which an enclosing template literal resumes after `${ ... }`. */
  private readonly templates: number[] = [];
  private prevKind: TokenKind = "start";
  private prevText = "";
  private prevEnd = 0;
  /** A rewritten class declaration: waiting for its body ("head") or inside it ("body"). */
  private classState: "none" | "head" | "body" = "none";
  /** In order of position, never overlapping (the scanner only moves forward). */
  readonly edits: Edit[] = [];

  constructor(private readonly code: string) {}

  run(): void {
    while (this.i < this.code.length) {
      const ch = this.code[this.i] as string;
      if (/\s/.test(ch)) this.i++;
      else if (ch === "/" && this.code[this.i + 1] === "/") this.skipUntil("\n", 2);
      else if (ch === "/" && this.code[this.i + 1] === "*") this.skipUntil("*/", 2);
      else if (ch === '"' || ch === "'") this.skipString(ch);
      else if (ch === "`") this.template(this.i + 1);
      else if (ch === "/" && this.regexAllowed()) this.token("punct", this.skipRegex());
      else if (WORD_CHAR.test(ch)) this.word();
      else this.punct(ch);
    }
  }

  private token(kind: TokenKind, end: number, text = ""): void {
    this.prevKind = kind;
    this.prevText = text;
    this.prevEnd = end;
    this.i = end;
  }

  private skipUntil(terminator: string, skip: number): void {
    const end = this.code.indexOf(terminator, this.i + skip);
    this.i = end < 0 ? this.code.length : end + terminator.length;
  }

  private skipString(quote: string): void {
    let j = this.i + 1;
    while (j < this.code.length && this.code[j] !== quote && this.code[j] !== "\n") j += this.code[j] === "\\" ? 2 : 1;
    this.token("word", j + 1, "string");
  }

  /** Skips template text from `j`; at `${` it hands back to the main loop until the matching `}`. */
  private template(j: number): void {
    while (j < this.code.length) {
      const ch = this.code[j];
      if (ch === "\\") j += 2;
      else if (ch === "`") break;
      else if (ch === "$" && this.code[j + 1] === "{") {
        this.templates.push(this.depth);
        this.depth++;
        this.token("punct", j + 2, "{");
        return;
      } else j++;
    }
    this.token("word", j + 1, "template");
  }

  private regexAllowed(): boolean {
    if (this.prevKind === "start") return true;
    if (this.prevKind === "word") return REGEX_AFTER_WORDS.has(this.prevText);
    return !/[)\]}]/.test(this.prevText);
  }

  private skipRegex(): number {
    let j = this.i + 1;
    let inClass = false;
    while (j < this.code.length && this.code[j] !== "\n") {
      const ch = this.code[j];
      if (ch === "\\") j++;
      else if (ch === "[") inClass = true;
      else if (ch === "]") inClass = false;
      else if (ch === "/" && !inClass) break;
      j++;
    }
    j++;
    while (j < this.code.length && WORD_CHAR.test(this.code[j] as string)) j++;
    return j;
  }

  private word(): void {
    let end = this.i;
    while (end < this.code.length && WORD_CHAR.test(this.code[end] as string)) end++;
    const text = this.code.slice(this.i, end);
    if (this.depth === 0 && this.atStatementStart()) this.declaration(text, end);
    this.token("word", end, text);
  }

  private atStatementStart(): boolean {
    if (this.prevKind === "start" || this.prevText === ";" || this.prevText === "}") return true;
    return this.code.slice(this.prevEnd, this.i).includes("\n");
  }

  private declaration(keyword: string, end: number): void {
    const next = /^\s*([A-Za-z_$\u0080-\uffff[{])/.exec(this.code.slice(end, end + 200));
    if (!next) return;
    if (keyword === "const") this.edits.push({ at: this.i, remove: 5, insert: "var  " });
    else if (keyword === "let") this.edits.push({ at: this.i, remove: 3, insert: "var" });
    else if (keyword === "class") {
      const name = /^\s*([A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*)/.exec(this.code.slice(end, end + 200))?.[1];
      if (!name || name === "extends") return;
      this.edits.push({ at: this.i, remove: 0, insert: `var ${name} = ` });
      this.classState = "head";
    }
  }

  private punct(ch: string): void {
    if (ch === "(" || ch === "[" || ch === "{") {
      if (ch === "{" && this.depth === 0 && this.classState === "head") this.classState = "body";
      this.depth++;
    } else if (ch === ")" || ch === "]" || ch === "}") {
      this.depth = Math.max(0, this.depth - 1);
      if (ch === "}" && this.templates.at(-1) === this.depth) {
        this.templates.pop();
        this.template(this.i + 1);
        return;
      }
      if (ch === "}" && this.depth === 0 && this.classState === "body") {
        this.classState = "none";
        this.edits.push({ at: this.i + 1, remove: 0, insert: ";" });
      }
    }
    this.token("punct", this.i + 1, ch);
  }
}

/**
 * The code with top-level lexical declarations turned into `var`; unchanged if there are none. One pass:
 * the scanner finds the edits in order of position, and the output is joined from the pieces between them
 * (applying each edit to the whole string had made 400 KB of declarations take ~10 s, outside QuickJS's
 * interrupt).
 */
export function topLevelDeclarationsAsVar(code: string): string {
  const scanner = new TopLevelScanner(code);
  scanner.run();
  if (scanner.edits.length === 0) return code;
  const parts: string[] = [];
  let from = 0;
  for (const edit of scanner.edits) {
    parts.push(code.slice(from, edit.at), edit.insert);
    from = edit.at + edit.remove;
  }
  parts.push(code.slice(from));
  return parts.join("");
}
