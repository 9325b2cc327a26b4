/** What a malware scanner says about a file. */
export type ScanVerdict = { clean: true } | { clean: false; reason: string };

/**
 * The scanning hook: every upload passes through it before it is stored. Deployments plug in a
 * real scanner (ClamAV over clamd, a cloud API) by implementing this interface.
 */
export interface FileScanner {
  scan(file: { bytes: Buffer; mime: string; sha256: string }): Promise<ScanVerdict>;
}

/** The standard anti-malware test string (eicar.org); scanners must flag it. */
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/** The built-in scanner recognises only the EICAR test signature, so the hook is exercised end to end. */
export const signatureScanner: FileScanner = {
  async scan({ bytes }) {
    return bytes.includes(EICAR) ? { clean: false, reason: 'EICAR test signature' } : { clean: true };
  },
};
