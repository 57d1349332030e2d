// The import-cycle check: strongly connected components of the relative-import graph, type
// imports included, and the resolution of relative specifiers.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { importCycles, moduleEdges } from "../../scripts/import-cycles.ts";

describe("importCycles()", () => {
  test("finds a two-module cycle made of a type-only import", () => {
    const a = moduleEdges("src/core/a.ts", `import type { B } from "../sql/b.ts";\nexport type A = B;`);
    const b = moduleEdges("src/sql/b.ts", `import { a } from "../core/a.ts";`);
    assert.deepEqual(importCycles([a, b]), [["src/core/a.ts", "src/sql/b.ts"]]);
  });

  test("finds a longer cycle once, and leaves the modules that only lead into it out", () => {
    const graph = [
      { file: "x.ts", imports: ["y.ts"] },
      { file: "y.ts", imports: ["z.ts"] },
      { file: "z.ts", imports: ["x.ts", "w.ts"] },
      { file: "w.ts", imports: [] },
      { file: "entry.ts", imports: ["x.ts"] },
    ];
    assert.deepEqual(importCycles(graph), [["x.ts", "y.ts", "z.ts"]]);
  });

  test("reports a module that imports itself, and nothing for a tree", () => {
    assert.deepEqual(importCycles([{ file: "self.ts", imports: ["self.ts"] }]), [["self.ts"]]);
    assert.deepEqual(
      importCycles([{ file: "a.ts", imports: ["b.ts", "c.ts"] }, { file: "b.ts", imports: ["c.ts"] }, {
        file: "c.ts",
        imports: [],
      }]),
      [],
    );
  });

  test("resolves ./ and ../, ignores bare specifiers, comments and strings", () => {
    const edges = moduleEdges(
      "src/replay/engine.ts",
      `// import { x } from "./commented.ts";\nimport * as v from "valibot";\nimport { y } from "./dry-run.ts";\nexport { z } from "../core/store.ts";\nconst s = 'import "./string.ts"';\nawait import("../sql/late.ts");`,
    );
    assert.deepEqual(edges.imports, ["src/replay/dry-run.ts", "src/core/store.ts", "src/sql/late.ts"]);
  });
});
