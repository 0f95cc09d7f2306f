#!/usr/bin/env node
import { isFilteredChild, runFilteredChild } from './quiet-dawn';

// The command line proper runs in a child whose stderr is filtered (see quiet-dawn.ts); this
// parent loads nothing else, so it costs one process start.
if (isFilteredChild()) await (await import('./program')).runCommandLine(process.argv);
else process.exitCode = await runFilteredChild(import.meta.url);
