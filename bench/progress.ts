// Progress and log lines go to stderr, so stdout carries only the result table.

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A progress bar redrawn in place on a terminal, one line per 10 % otherwise (CI logs). */
export class Progress {
  private done = 0;
  private lastShown = -1;
  private readonly started = performance.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  tick(n = 1): void {
    this.done += n;
    const percent = Math.floor((this.done / Math.max(1, this.total)) * 100);
    const show = this.tty ? percent !== this.lastShown : Math.floor(percent / 10) !== Math.floor(this.lastShown / 10);
    if (!show) return;
    this.lastShown = percent;
    this.draw(percent);
  }

  finish(): number {
    const seconds = (performance.now() - this.started) / 1000;
    if (this.tty) process.stderr.write("\n");
    return seconds;
  }

  private draw(percent: number): void {
    const width = 30;
    const filled = Math.min(width, Math.round((percent / 100) * width));
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    const line = `${this.label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(Math.min(percent, 100)).padStart(3)}% ${this.done.toLocaleString("en")}/${this.total.toLocaleString("en")} ${seconds} s`;
    process.stderr.write(this.tty ? `\r${line}` : `${line}\n`);
  }
}
