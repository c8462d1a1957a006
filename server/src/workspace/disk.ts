import * as fs from 'node:fs';

/**
 * How the workspace service reads the disk. The language server reads asynchronously (a slow disk
 * never holds up a keystroke); the CLI, which does one thing at a time and reads the disk once
 * (`WorkspaceHost.stableDisk`), synchronously: the first `fs.promises` call loads its module and
 * file handles, about 3 ms of a short command's start-up (`node -e` of one fs.promises.readFile:
 * 3.4 ms over `node -e 0`; of one readFileSync: 0.6). Failures are rejections either way.
 */
export interface Disk {
  readText(file: string): Promise<string>;
  stat(file: string): Promise<fs.Stats>;
  readdir(dir: string): Promise<fs.Dirent[]>;
}

export const asyncDisk: Disk = {
  readText: (file) => fs.promises.readFile(file, 'utf8'),
  stat: (file) => fs.promises.stat(file),
  readdir: (dir) => fs.promises.readdir(dir, { withFileTypes: true }),
};

export const syncDisk: Disk = {
  readText: async (file) => fs.readFileSync(file, 'utf8'),
  stat: async (file) => fs.statSync(file),
  readdir: async (dir) => fs.readdirSync(dir, { withFileTypes: true }),
};
