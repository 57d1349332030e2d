/**
 * Bundle a Worker the way a Workers project's bundler would: one ES module, browser platform,
 * workerd conditions. Shared by the workerd smoke test and the bundle-contents test.
 * @module
 */
import assert from "node:assert/strict";
import { build, type Metafile, type StdinOptions } from "esbuild";

/**
 * Bundle an entry file or an in-memory entry module.
 *
 * @param entry a file path, or esbuild `stdin` options for an entry given as text
 * @returns the bundled code and esbuild's metafile
 */
export async function esbuildWorker(entry: string | StdinOptions): Promise<{ code: string; metafile: Metafile }> {
  const result = await build({
    ...(typeof entry === "string" ? { entryPoints: [entry] } : { stdin: entry }),
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  assert.ok(output !== undefined, "esbuild wrote no output");
  return { code: output.text, metafile: result.metafile };
}
