// The CLI's argument parser: node:util's parseArgs (the same on Node, Bun and Deno), with its
// errors reworded to name the option, and options whose value may be left out.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type OptionSpec, parseCommandArgs } from "../../src/cli/parse-args.ts";
import { parseReplayFlags } from "../../src/cli/replay-flags.ts";

const OPTIONS: Record<string, OptionSpec> = {
  config: { type: "string" },
  json: { type: "boolean" },
  allow: { type: "string", multiple: true },
  limit: { type: "string", short: "n" },
  pglite: { type: "string", optionalValue: true },
};

test("--flag=value and --flag value read the same, with short aliases and repeated options", () => {
  const spaced = parseCommandArgs(["--config", "c.ts", "--allow", "a", "--allow", "b", "-n", "5", "--json"], OPTIONS);
  const joined = parseCommandArgs(["--config=c.ts", "--allow=a", "--allow=b", "-n5", "--json"], OPTIONS);
  assert.deepEqual(joined, spaced);
  assert.deepEqual(spaced, {
    help: false,
    values: { config: "c.ts", allow: ["a", "b"], limit: "5", json: true },
    positionals: [],
  });
  assert.equal(parseCommandArgs(["--config=a=b"], OPTIONS).values["config"], "a=b");
});

test("an optional value may be left out, alone or before another option", () => {
  assert.equal(parseCommandArgs(["--pglite"], OPTIONS).values["pglite"], "");
  assert.equal(parseCommandArgs(["--pglite", "--json"], OPTIONS).values["pglite"], "");
  assert.equal(parseCommandArgs(["--pglite", "./data"], OPTIONS).values["pglite"], "./data");
  assert.equal(parseCommandArgs(["--pglite=./data"], OPTIONS).values["pglite"], "./data");
});

test("-h and --help anywhere ask for help, whatever else is wrong", () => {
  for (const args of [["-h"], ["--help"], ["--nope", "--help"], ["--config", "c.ts", "-h"]]) {
    assert.deepEqual(parseCommandArgs(args, OPTIONS), { help: true, values: {}, positionals: [] }, args.join(" "));
  }
  assert.equal(parseCommandArgs(["--", "--help"], OPTIONS, 1).help, false, "after --, --help is an argument");
});

test("positionals up to the command's count; -- lets one start with a dash", () => {
  assert.deepEqual(parseCommandArgs(["account", "--json", "a-1"], OPTIONS, 2).positionals, ["account", "a-1"]);
  assert.deepEqual(parseCommandArgs(["account", "--", "-1"], OPTIONS, 2).positionals, ["account", "-1"]);
});

test("errors are TypeErrors naming the option or argument", () => {
  const refused: [string[], RegExp, number?][] = [
    [["--verbose"], /^unknown option --verbose$/],
    [["-x"], /^unknown option -x$/],
    [["--config"], /^--config needs a value$/],
    [["--config", "--json"], /^--config needs a value$/],
    [["--json=yes"], /^--json takes no value$/],
    [["stray"], /^unexpected argument stray$/],
    [["a", "b", "c"], /^unexpected argument c$/, 2],
  ];
  for (const [args, message, positionals] of refused) {
    assert.throws(() => parseCommandArgs(args, OPTIONS, positionals), { name: "TypeError", message }, args.join(" "));
  }
});

test("replay's flags take --flag=value too", () => {
  assert.deepEqual(
    parseReplayFlags(["--config=c.ts", "--page-size=50", "--on-error=skip", "--until-event=01J0"]),
    parseReplayFlags(["--config", "c.ts", "--page-size", "50", "--on-error", "skip", "--until-event", "01J0"]),
  );
});
