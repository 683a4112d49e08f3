/**
 * The summary `npm test` ends with, read from tap's TAP output line by line: each top-level test
 * of each file counted as passed, failed or skipped (a file that fails outside any test counts as
 * one failure); the skipped and failed ones listed, and under each failed test the assertions that
 * failed (their subtest path, source line and diff lines; bounded), so the last lines of a long
 * run say what went wrong. TAP as tap 21 prints it with --reporter=tap: a file's top-level tests
 * indented 4 spaces, their subtests 4 more each, a failure's YAML block 2 more than its line.
 */
const MAX_DETAILS_PER_TEST = 5;
const MAX_LINE = 600;
const MAX_DIFF_LINES = 12;

function clip(s: string): string {
  return s.length > MAX_LINE ? `${s.slice(0, MAX_LINE)} ...` : s;
}

export class TapSummary {
  passed = 0;
  failed = 0;
  skipped = 0;
  readonly skips: string[] = [];
  readonly failures: string[] = [];
  private currentFile = '';
  private readonly fileHadSubtests = new Map<string, boolean>();
  /** The open subtests' names by indentation below a file's top-level tests (8 spaces: depth 0). */
  private readonly subtestPath: string[] = [];
  /** Failed assertions (not subtests) of the current top-level test, with their details. */
  private pendingDetails: string[] = [];
  /** The failed assertion whose YAML block is being read: its indentation and kept lines. */
  private leaf: { indent: number; lines: string[]; inDiff: boolean; at: string[] } | null = null;

  onLine(line: string): void {
    if (this.onDetailLine(line)) return;
    const sub = /^ {4}(not )?ok \d+ - (.*?)(?: # (.*))?$/.exec(line);
    if (sub) {
      this.fileHadSubtests.set(this.currentFile, true);
      if (sub[1]) {
        this.failed++;
        this.failures.push(`${this.currentFile}: ${sub[2]}`, ...this.pendingDetails);
      } else if (/^SKIP\b/i.test(sub[3] ?? '')) {
        // A skipped test is not a pass: it is counted, and listed, on its own.
        this.skipped++;
        this.skips.push(`${this.currentFile}: ${sub[2]} (${sub[3]})`);
      } else this.passed++;
      this.pendingDetails = [];
      this.subtestPath.length = 0;
      return;
    }
    const subStart = /^# Subtest: (.*)$/.exec(line);
    if (subStart) {
      this.currentFile = subStart[1]!;
      return;
    }
    const top = /^(not )?ok \d+ - (\S+)/.exec(line);
    if (top && top[1] && !this.fileHadSubtests.get(top[2]!)) {
      this.failed++;
      this.failures.push(`${top[2]}: failed outside any test`);
    }
  }

  /** The closing text once tap exited with `code`, ending with the line `N passed, N failed`. */
  finish(code: number | null): string {
    if (code !== 0 && this.failed === 0) {
      this.failed++;
      this.failures.push(`tap exited with code ${code}`);
    }
    let out = '';
    if (this.skips.length > 0) out += `\nSkipped:\n${this.skips.map((f) => `  ${f}`).join('\n')}\n`;
    if (this.failures.length > 0) out += `\nFailures:\n${this.failures.map((f) => `  ${f}`).join('\n')}\n`;
    return `${out}\n${this.passed} passed, ${this.failed} failed${this.skipped > 0 ? `, ${this.skipped} skipped` : ''}\n`;
  }

  /** Reads failure details out of the lines below a file's top-level tests; true when it took the line. */
  private onDetailLine(line: string): boolean {
    const leaf = this.leaf;
    if (leaf) {
      // tap folds long YAML values with blank lines between their lines.
      if (line.trim() === '') return true;
      const inside = line.startsWith(' '.repeat(leaf.indent + 2));
      const body = line.slice(leaf.indent + 2);
      if (!inside || body === '...') {
        if (this.pendingDetails.length < MAX_DETAILS_PER_TEST) this.pendingDetails.push(leaf.lines.join('\n'));
        this.leaf = null;
        if (inside) return true;
      } else {
        const key = /^(\w+):/.exec(body);
        if (key) leaf.inDiff = key[1] === 'diff';
        const at = /^ {2}(fileName|lineNumber): (.*)$/.exec(body);
        if (at && !leaf.at.some((a) => a.startsWith(`${at[1]}:`))) {
          // The first fileName and lineNumber are where the assertion is (tap's `at`).
          leaf.at.push(`${at[1]}:${at[2]}`);
          if (leaf.at.length === 2) {
            const where = Object.fromEntries(leaf.at.map((a) => [a.slice(0, a.indexOf(':')), a.slice(a.indexOf(':') + 1)]));
            leaf.lines[0] = `${leaf.lines[0]} (${where.fileName}:${where.lineNumber})`;
          }
        } else if (leaf.inDiff && !key && /^ {2}[-+]/.test(body) && !/^ {2}(---|\+\+\+) /.test(body) && leaf.lines.length <= MAX_DIFF_LINES) {
          leaf.lines.push(`            ${clip(body.trim())}`);
        }
        return true;
      }
    }
    const depth = /^( {8,})(?:# Subtest: (.*)|not ok \d+ - (.*))$/.exec(line);
    if (!depth) return false;
    const level = (depth[1]!.length - 8) / 4;
    if (depth[2] !== undefined) {
      this.subtestPath.length = level;
      this.subtestPath[level] = depth[2];
      return false;
    }
    const name = depth[3]!;
    // A failed subtest carries its time; the failed assertions inside it are what say why.
    if (/ # time=[\d.]+m?s$/.test(name)) return false;
    this.leaf = { indent: depth[1]!.length, lines: [`      ${[...this.subtestPath.slice(0, level), clip(name)].join(' > ')}`], inDiff: false, at: [] };
    return false;
  }
}
