// Preloaded (`node --import`) into the processes the ingest bench runs: at exit, writes the process's CPU time
// (user + system, every thread: the pdf.js workers too) and peak RSS to $AUTOD_BENCH_CPU_FILE.
import { writeFileSync } from 'node:fs';

const out = process.env['AUTOD_BENCH_CPU_FILE'];
if (out) {
  process.on('exit', () => {
    const r = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ userUs: r.userCPUTime, systemUs: r.systemCPUTime, maxRssKb: r.maxRSS }));
  });
}
