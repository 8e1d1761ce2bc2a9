import { describe, expect, it } from "vitest";
import { topLevelDeclarationsAsVar } from "../../src/sandbox/top-level-vars.js";

describe("topLevelDeclarationsAsVar", () => {
  it.each([
    ["const and let at the top level", "const a = 1; let b = 2;\nconst {c, d} = o; let [e] = f;", "var   a = 1; var b = 2;\nvar   {c, d} = o; var [e] = f;"],
    ["declarations after a newline without semicolon", "x = 1\nconst y = 2", "x = 1\nvar   y = 2"],
    ["a class declaration", "class A extends B { m() { return 1 } }\nnew A()", "var A = class A extends B { m() { return 1 } };\nnew A()"],
    ["declarations after a top-level block or function", "function f() { return 1 }\nif (x) { y() } const z = 1", "function f() { return 1 }\nif (x) { y() } var   z = 1"],
  ])("rewrites %s", (_name, code, expected) => {
    expect(topLevelDeclarationsAsVar(code)).toBe(expected);
  });

  it.each([
    ["nested declarations", "function f() { const x = 1; let y = 2 }\n{ let z = 3 }\nfor (const k of ks) {}\nif (a) { class C {} }"],
    ["strings and comments", `"const a = 1"; 'let b'; // const c = 1\n/* let d = 2 */`],
    ["template literals with nested braces", "`${ {a: 1}.a } const x = ${ `inner ${ y }` }`; q()"],
    ["regex literals containing braces and quotes", 'const_ = 1; r = /[{"]const x/g.test(s); n = a / b / c'],
    ["property names and object keys", "obj.const = 1; o = { let: 2, class: 3 }; x.class = 4"],
    ["let used as a plain identifier", "let = 5"],
  ])("leaves %s alone", (_name, code) => {
    expect(topLevelDeclarationsAsVar(code)).toBe(code);
  });
});
