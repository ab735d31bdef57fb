#!/usr/bin/env node
// Entry point of the `basalt` command. Sources are TypeScript run through tsx's loader,
// so a fresh clone needs no build step (docs/decisions/0001-typescript-without-build.md).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
await main(process.argv.slice(2));
