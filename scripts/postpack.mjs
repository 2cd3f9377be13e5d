#!/usr/bin/env node
// After `npm pack` / `npm publish`: the prebuild belongs in the tarball only. Left in the checkout it would
// be untracked clutter, and a later `npm pack --ignore-scripts` would ship it stale.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

rmSync(join(dirname(dirname(fileURLToPath(import.meta.url))), 'prebuilds'), { recursive: true, force: true });
