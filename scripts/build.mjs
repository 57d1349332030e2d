// npm run build: compile mod.ts and src/ to dist/ (ES modules + .d.ts) for the npm package.
// JSR publishes the TypeScript sources and needs no build.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { root, toolPath } from "./tools.mjs";

rmSync(join(root, "dist"), { recursive: true, force: true });
const result = spawnSync(toolPath("tsc"), ["-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
if (result.status !== 0) {
  console.error("build: tsc failed");
  process.exit(result.status ?? 1);
}
console.log("build: dist/ written");
