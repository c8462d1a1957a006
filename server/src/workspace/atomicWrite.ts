/** Replacing a file atomically: a temporary file beside it, flushed, then renamed over it (never half-written). */
import { promises as fs, constants } from 'node:fs';
import { nodeCrypto } from './lazyNode';
import * as path from 'node:path';

export async function writeFileAtomic(file: string, text: string): Promise<void> {
  let target = file;
  try {
    target = await fs.realpath(file); // a symlink is written through to its target
  } catch {
    /* a new file */
  }
  let mode = 0o644;
  try {
    mode = (await fs.stat(target)).mode & 0o7777;
  } catch {
    /* a new file */
  }
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${nodeCrypto().randomBytes(6).toString('hex')}.iam-refine.tmp`);
  const h = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await h.writeFile(text, 'utf8');
    await h.sync();
  } catch (e) {
    await h.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await h.close();
  try {
    await fs.rename(tmp, target);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
