import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { declaredNames, docExamplesConfig, isDependencyTypeRef, parseDocLint } from "../../scripts/doc-checks.ts";

const OUTPUT = `Warning Failed resolving types. Could not find package 'zlib' from referrer 'file:///x/index.d.ts'.
    at file:///x/index.d.ts:116:21
error[missing-jsdoc]: exported symbol is missing JSDoc documentation
  --> /repo/src/core/wire.ts:31:12
   |
31 |   readonly id: string;

error[private-type-ref]: public type 'AttributesSchema' references private type 'ObjectSchema'
    --> /repo/src/core/resource.ts:13:1

error[private-type-ref]: public type 'EventLog["table"]' references private type 'TableName'
  --> /repo/src/core/event-log.ts:81:3

error: Found 3 documentation lint errors.
`;

describe("doc checks", () => {
  test("parseDocLint() reads each finding with its rule and referenced type", () => {
    const findings = parseDocLint(OUTPUT);
    assert.deepEqual(findings.map((f) => [f.rule, f.referenced]), [
      ["missing-jsdoc", undefined],
      ["private-type-ref", "ObjectSchema"],
      ["private-type-ref", "TableName"],
    ]);
    assert.ok(!findings.some((f) => f.text.includes("Found 3")));
  });

  test("only a reference to a type the repository does not declare passes", () => {
    const declared = new Set(declaredNames("export interface TableName {}\ntype AttributesSchema = 1;\n"));
    const verdicts = parseDocLint(OUTPUT).map((f) => isDependencyTypeRef(f, declared));
    assert.deepEqual(verdicts, [false, true, false]);
  });

  test("declaredNames() finds exported and private declarations of every kind", () => {
    const source = [
      "export interface A {}",
      "type B = string;",
      "export declare class C {}",
      "export abstract class D {}",
      "function e() {}",
      "export const F = 1;",
      "enum G {}",
    ].join("\n");
    assert.deepEqual(declaredNames(source), ["A", "B", "C", "D", "e", "F", "G"]);
  });

  test("docExamplesConfig() keeps deno.json imports and tsconfig's strictness, not noUnusedLocals", () => {
    const config = docExamplesConfig({
      deno: { imports: { pkg: "./mod.ts" }, nodeModulesDir: "manual" },
      tsconfig: {
        compilerOptions: {
          strict: true,
          noUnusedLocals: true,
          noUnusedParameters: true,
          module: "nodenext",
          lib: ["DOM"],
        },
      },
    });
    assert.deepEqual(config, {
      imports: { pkg: "./mod.ts" },
      nodeModulesDir: "manual",
      compilerOptions: { lib: ["DOM"], strict: true },
    });
  });
});
