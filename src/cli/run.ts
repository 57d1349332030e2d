/**
 * Entry point of the `edge-events` binary: runs {@link main} with the process's arguments.
 * @module
 */
import process from "node:process";
import { main } from "./main.ts";

process.exit(await main(process.argv.slice(2)));
