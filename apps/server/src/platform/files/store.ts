import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Where file bytes live: content-addressed by sha256, so the same bytes are stored once. */
export interface FileStore {
  put(bytes: Buffer): Promise<{ sha256: string; size: number }>;
  read(sha256: string): Promise<Buffer>;
  has(sha256: string): Promise<boolean>;
}

const SHA = /^[0-9a-f]{64}$/;

/** The embedded default: files under `<data dir>/files/ab/cd/<sha256>`, written atomically and fsynced. */
export function diskFileStore(root: string): FileStore {
  const where = (sha: string) => {
    if (!SHA.test(sha)) throw new Error('not a sha256');
    return path.join(root, sha.slice(0, 2), sha.slice(2, 4), sha);
  };
  return {
    async put(bytes) {
      const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
      const file = where(sha256);
      if (fs.existsSync(file)) return { sha256, size: bytes.length };
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${crypto.randomUUID()}.tmp`;
      const fh = await fs.promises.open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.promises.rename(tmp, file);
      return { sha256, size: bytes.length };
    },
    read: (sha256) => fs.promises.readFile(where(sha256)),
    has: async (sha256) => fs.existsSync(where(sha256)),
  };
}
